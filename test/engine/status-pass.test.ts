import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBugsnagClient } from '../../src/bugsnag/index.js';
import { openDestination } from '../../src/destinations/index.js';
import { startRun } from '../../src/engine/index.js';
import type { Simulator } from '../../src/sim/index.js';
import { dropSchema, pgDestinationUrl, uniqueSchema } from '../destinations/pg-schema.js';
import { requireService } from '../helpers/services.js';
import { makeHome, startSim, type Home } from './helpers.js';

/**
 * The errors' status pass (src/streams/status-pass.ts): a status change made in Bugsnag with no new event reaches
 * `error_history` (observed_by = status_pass) at the first sync one status-pass interval after the last one, with no
 * full pass: an error fixed appears on the not-open list; an error reopened leaves it and is read back by itself.
 */
const HAS_PG = requireService('postgres');
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
  for (const s of schemas) await dropSchema(s);
});

const ERRORS_LIST = 'GET /projects/{project_id}/errors';
const ERROR_GET = 'GET /projects/{project_id}/errors/{error_id}';
const requests = (endpoint: string) => sim.stats().byToken.admin?.endpoints[endpoint] ?? 0;

type Kind = 'sqlite' | 'postgres' | 'jsonl';
const KINDS: Kind[] = HAS_PG ? ['sqlite', 'postgres', 'jsonl'] : ['sqlite', 'jsonl'];
const schemas: string[] = [];

function destinationFor(kind: Kind, name: string): string {
  if (kind === 'sqlite') return `sqlite:${join(h.home, `${name}.db`)}`;
  if (kind === 'jsonl') return `jsonl:${join(h.home, name)}`;
  const schema = uniqueSchema('snag_status');
  schemas.push(schema);
  return pgDestinationUrl(schema);
}

interface HistoryRow {
  error_id: string;
  status: string;
  observed_by: string;
  valid_from: string;
  valid_to: string | null;
}

/** The stored errors (id → status) and each error's intervals, oldest first, as the destination lists them. */
async function stored(url: string): Promise<{ status: Map<string, string>; history(id: string): HistoryRow[] }> {
  const dest = await openDestination(url);
  try {
    const errors = await dest.listRecords('errors');
    const history = (await dest.listRecords('error_history')) as unknown as HistoryRow[];
    const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));
    return {
      status: new Map(errors.map((e) => [String(e.id), String(e.status)])),
      history: (id) =>
        history
          .filter((r) => r.error_id === id)
          .map((r) => ({ ...r, valid_from: iso(r.valid_from), valid_to: r.valid_to === null ? null : iso(r.valid_to) }))
          .sort((a, b) => Date.parse(a.valid_from) - Date.parse(b.valid_from)),
    };
  } finally {
    await dest.close();
  }
}

describe('status pass', () => {
  it.each(KINDS)(
    'sees a fix and a reopen within one interval, without a full pass, at one page per 100 errors not open (%s)',
    async (kind) => {
      const url = destinationFor(kind, `status-${kind}`);
      const source = await h.source({ destination: url, streams: ['errors'] });
      const sync = async (now: Date) => {
        sim.resetStats();
        const s = await (await startRun(h.runtime, source.name, { now })).done;
        expect(s.status, JSON.stringify(s.error)).toBe('succeeded');
      };
      const t0 = Date.now();
      await sync(new Date(t0)); // the first sync: a full pass, which counts as a status pass

      const pid = sim.info().organizations[0]!.projects[0]!.id;
      const first = await stored(url);
      expect(first.status.size).toBe(ERRORS);
      const ids = [...first.status.keys()].sort();
      // Each destination changes errors of its own (the simulator is shared).
      const toFix = ids.filter((id) => first.status.get(id) === 'open')[KINDS.indexOf(kind)]!;
      const toReopen = ids.filter((id) => ['fixed', 'ignored'].includes(first.status.get(id)!))[KINDS.indexOf(kind)]!;
      const notOpen = [...first.status.values()].filter((st) => st !== 'open').length;
      const api = createBugsnagClient({ token: sim.tokens[0]!.token, host: sim.url, logger: false });
      await api.errors.update(pid, toFix, { operation: 'fix' });
      await api.errors.update(pid, toReopen, { operation: 'open' });

      // Within the interval: the incremental pass only (one request), the changes not seen.
      await sync(new Date(t0 + 10 * MIN));
      expect(requests(ERRORS_LIST)).toBe(1);
      expect((await stored(url)).history(toFix).map((r) => r.status)).toEqual(['open']);

      // One interval after the full pass: the incremental pass, then the errors not open (100 a page), then the one
      // error that left that list, read back by itself.
      await sync(new Date(t0 + 16 * MIN));
      expect(requests(ERRORS_LIST)).toBe(1 + Math.ceil(notOpen / 100));
      expect(requests(ERROR_GET)).toBe(1);
      const after = await stored(url);
      expect(after.history(toFix).map((r) => [r.status, r.observed_by, r.valid_to === null])).toEqual([
        ['open', 'full_pass', false],
        ['fixed', 'status_pass', true],
      ]);
      expect(after.history(toReopen).map((r) => [r.status, r.observed_by])).toEqual([
        [first.status.get(toReopen), 'full_pass'],
        ['open', 'status_pass'],
      ]);
      expect([after.status.get(toFix), after.status.get(toReopen)]).toEqual(['fixed', 'open']);

      // The next interval counts from that pass; nothing left the list, so nothing is read back.
      await sync(new Date(t0 + 20 * MIN));
      expect(requests(ERRORS_LIST)).toBe(1);
      await sync(new Date(t0 + 32 * MIN));
      expect(requests(ERRORS_LIST)).toBe(1 + Math.ceil(notOpen / 100));
      expect(requests(ERROR_GET)).toBe(0);
      expect((await stored(url)).history(toFix)).toHaveLength(2);
    },
  );

  it('resumes after a kill between its list and its read-backs, and reports an error gone', async () => {
    const url = destinationFor('sqlite', 'status-resume');
    const source = await h.source({ destination: url, streams: ['errors'] });
    const t0 = Date.now();
    const sync = async (now: Date, cancelAtPage?: number) => {
      sim.resetStats();
      const ctrl = new AbortController();
      const run = await startRun(h.runtime, source.name, { now, signal: ctrl.signal });
      let pages = 0;
      if (cancelAtPage !== undefined)
        run.events.subscribe((e) => {
          if (e.type === 'page' && e.stream === 'errors' && ++pages === cancelAtPage) ctrl.abort();
        });
      return run.done;
    };
    expect((await sync(new Date(t0))).status).toBe('succeeded');
    const first = await stored(url);
    const pid = sim.info().organizations[0]!.projects[0]!.id;
    const [toReopen, toDelete] = [...first.status.keys()].filter((id) => first.status.get(id) !== 'open').sort();
    const api = createBugsnagClient({ token: sim.tokens[0]!.token, host: sim.url, logger: false });
    await api.errors.update(pid, toReopen!, { operation: 'open' });
    await api.errors.update(pid, toDelete!, { operation: 'delete' });

    // Cancelled after its second page (the incremental pass's, then the status pass's list): nothing seen yet.
    expect((await sync(new Date(t0 + 16 * MIN), 2)).status).toBe('cancelled');
    expect((await stored(url)).history(toReopen!)).toHaveLength(1);
    // The next sync goes on from the checkpoint: the list is read, only the two that left it are read back.
    const resumed = await sync(new Date(t0 + 17 * MIN));
    expect(resumed.status).toBe('succeeded');
    expect(requests(ERRORS_LIST)).toBe(1);
    expect(requests(ERROR_GET)).toBe(2);
    expect((await stored(url)).history(toReopen!).map((r) => [r.status, r.observed_by])).toEqual([
      [first.status.get(toReopen!), 'full_pass'],
      ['open', 'status_pass'],
    ]);
    expect(resumed.warnings).toContainEqual(expect.objectContaining({ code: 'errors-gone' }));
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
    // A scheduled sync that starts a little before the hour is up (the scheduler's tick) still makes the pass.
    expect(await sync(new Date(t0 + 59.5 * MIN))).toBeGreaterThan(1);
    expect(await sync(new Date(t0 + 90 * MIN))).toBe(1);
  });
});
