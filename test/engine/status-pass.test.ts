import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBugsnagClient } from '../../src/bugsnag/index.js';
import { startRun } from '../../src/engine/index.js';
import type { Simulator } from '../../src/sim/index.js';
import { makeHome, startSim, type Home } from './helpers.js';

/**
 * The errors' status pass (src/streams/status-pass.ts): a status change made in Bugsnag with no new event reaches
 * `error_history` (observed_by = status_pass) at the first sync one status-pass interval after the last one, with no
 * full pass: an error fixed appears on the not-open list; an error reopened leaves it and is read back by itself.
 */
let sim: Simulator;
let h: Home;
const MIN = 60_000;
const ERRORS = 120;

beforeAll(async () => {
  sim = await startSim({ orgs: 1, projects: 1, errors: ERRORS, events: 600 });
  h = await makeHome(sim);
});

afterAll(async () => {
  await h.cleanup();
  await sim.close();
});

const ERRORS_LIST = 'GET /projects/{project_id}/errors';
const ERROR_GET = 'GET /projects/{project_id}/errors/{error_id}';
const requests = (endpoint: string) => sim.stats().byToken.admin?.endpoints[endpoint] ?? 0;

function rows<T>(file: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

describe('status pass', () => {
  it('sees a fix and a reopen within one interval, without a full pass, at one page per 100 errors not open', async () => {
    const file = join(h.home, 'status.db');
    const source = await h.source({ destination: `sqlite:${file}`, streams: ['errors'] });
    const sync = async (now: Date) => {
      sim.resetStats();
      const s = await (await startRun(h.runtime, source.name, { now })).done;
      expect(s.status, JSON.stringify(s.error)).toBe('succeeded');
    };
    const t0 = Date.now();
    await sync(new Date(t0)); // the first sync: a full pass, which counts as a status pass

    const pid = sim.info().organizations[0]!.projects[0]!.id;
    const stored = rows<{ id: string; status: string }>(file, 'SELECT id, status FROM errors ORDER BY id');
    expect(stored).toHaveLength(ERRORS);
    const toFix = stored.find((e) => e.status === 'open')!.id;
    const toReopen = stored.find((e) => e.status === 'fixed' || e.status === 'ignored')!.id;
    const notOpen = stored.filter((e) => e.status !== 'open').length;
    const api = createBugsnagClient({ token: sim.tokens[0]!.token, host: sim.url, logger: false });
    await api.errors.update(pid, toFix, { operation: 'fix' });
    await api.errors.update(pid, toReopen, { operation: 'open' });

    const history = (id: string) =>
      rows<{ status: string; observed_by: string; valid_to: string | null }>(
        file,
        'SELECT status, observed_by, valid_to FROM error_history WHERE error_id = ? ORDER BY valid_from',
        id,
      );

    // Within the interval: the incremental pass only (one request), the changes not seen.
    await sync(new Date(t0 + 10 * MIN));
    expect(requests(ERRORS_LIST)).toBe(1);
    expect(history(toFix).map((r) => r.status)).toEqual(['open']);

    // One interval after the full pass: the incremental pass, then the errors not open (100 a page), then the one
    // error that left that list, read back by itself.
    await sync(new Date(t0 + 16 * MIN));
    expect(requests(ERRORS_LIST)).toBe(1 + Math.ceil(notOpen / 100));
    expect(requests(ERROR_GET)).toBe(1);
    expect(history(toFix)).toEqual([
      { status: 'open', observed_by: 'full_pass', valid_to: expect.any(String) },
      { status: 'fixed', observed_by: 'status_pass', valid_to: null },
    ]);
    expect(history(toReopen).map((r) => [r.status, r.observed_by])).toEqual([
      [stored.find((e) => e.id === toReopen)!.status, 'full_pass'],
      ['open', 'status_pass'],
    ]);
    const now = rows<{ id: string; status: string }>(
      file,
      'SELECT id, status FROM errors WHERE id IN (?, ?)',
      toFix,
      toReopen,
    );
    expect(Object.fromEntries(now.map((r) => [r.id, r.status]))).toEqual({ [toFix]: 'fixed', [toReopen]: 'open' });

    // The next interval counts from that pass; nothing left the list, so nothing is read back.
    await sync(new Date(t0 + 20 * MIN));
    expect(requests(ERRORS_LIST)).toBe(1);
    await sync(new Date(t0 + 32 * MIN));
    expect(requests(ERRORS_LIST)).toBe(1 + Math.ceil(notOpen / 100));
    expect(requests(ERROR_GET)).toBe(0);
    expect(history(toFix)).toHaveLength(2);
  });

  it('takes its interval from the source (errors_status_pass_interval)', async () => {
    const file = join(h.home, 'status-1h.db');
    const source = await h.source({
      destination: `sqlite:${file}`,
      streams: ['errors'],
      errors_status_pass_interval: '1h',
    });
    const sync = async (now: Date) => {
      sim.resetStats();
      const s = await (await startRun(h.runtime, source.name, { now })).done;
      expect(s.status, JSON.stringify(s.error)).toBe('succeeded');
      return requests(ERRORS_LIST);
    };
    const t0 = Date.now();
    await sync(new Date(t0));
    expect(await sync(new Date(t0 + 30 * MIN))).toBe(1);
    expect(await sync(new Date(t0 + 61 * MIN))).toBeGreaterThan(1);
  });
});
