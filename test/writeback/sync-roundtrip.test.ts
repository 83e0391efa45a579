import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { startRun } from '../../src/engine/index.js';
import { prepareWriteback } from '../../src/writeback/index.js';
import { makeHome, startSim, type Home } from '../engine/helpers.js';

let sim: Simulator;
let h: Home;
let dbPath: string;
let source: string;

beforeAll(async () => {
  sim = await startSim({ orgs: 1, projects: 1, errors: 40, events: 400 });
  h = await makeHome(sim);
  dbPath = join(h.home, 'triage.db');
  source = (await h.source({ destination: `sqlite:${dbPath}`, streams: ['errors'] })).name;
});
afterAll(async () => {
  await h.cleanup();
  await sim.close();
});

const sync = async (fullRefresh = false) => {
  const s = await (await startRun(h.runtime, source, fullRefresh ? { fullRefresh: true } : {})).done;
  expect(s.status, JSON.stringify(s.error)).toBe('succeeded');
};
const read = (sql: string) => {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare(sql).all() as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
};

describe('write-back from a synced SQLite table, then a sync', () => {
  it('fixes the errors a query selects; the next full pass of errors shows them fixed in the destination', async () => {
    await sync();
    const open = read(`SELECT id FROM errors WHERE status = 'open' ORDER BY id LIMIT 5`).map((r) => r.id as string);
    expect(open).toHaveLength(5);
    const query = `SELECT project_id, id AS error_id, 'fix' AS operation FROM errors WHERE status = 'open' AND id IN (${open.map((i) => `'${i}'`).join(',')})`;
    const s = await prepareWriteback(
      h.runtime,
      await h.credential('admin'),
      `sqlite:${dbPath}?query=${encodeURIComponent(query)}`,
    );
    expect(s.plan.rows).toBe(5);
    expect((await s.apply()).totals.applied).toBe(5);

    // Errors change status without last_seen moving, so an incremental pass does not see it: the write-back records
    // the change in the source's destination itself (writeback/history.ts), and the full pass confirms it.
    const statuses = () => read(`SELECT status FROM errors WHERE id IN (${open.map((i) => `'${i}'`).join(',')})`);
    expect(statuses().map((r) => r.status)).toEqual(['fixed', 'fixed', 'fixed', 'fixed', 'fixed']);
    await sync();
    expect(statuses().map((r) => r.status)).toEqual(['fixed', 'fixed', 'fixed', 'fixed', 'fixed']);
    await sync(true);
    const after = statuses();
    expect(after.map((r) => r.status)).toEqual(['fixed', 'fixed', 'fixed', 'fixed', 'fixed']);
  });
});
