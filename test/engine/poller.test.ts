import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Simulator } from '../../src/sim/index.js';
import { startRun } from '../../src/engine/index.js';
import { type LookReport, type PollerHandle, pollerStatus, startPoller } from '../../src/engine/poller/index.js';
import { type DueResult, startScheduler } from '../../src/engine/scheduler.js';
import type { Source } from '../../src/store/models.js';
import { makeHome, startSim, type Home } from './helpers.js';

/**
 * The continuous poller against the simulator on a 30 requests/window token, time scaled down (the simulator's and
 * the client's window: WINDOW_MS). Every wait is on a condition with a deadline counted in windows.
 */
const WINDOW_MS = 500;
const LIMIT = 30;
const SHARE = 0.5;
const MAX_INTERVAL_MS = 5 * WINDOW_MS;
const client = { rateWindowMs: WINDOW_MS, retry: { baseDelayMs: 10, retries: 6, rateLimitRetries: 8 } };
let sim: Simulator;
let h: Home;
let source: Source;
let dbPath: string;
let projects: string[];
const looks: Array<LookReport & { at: number }> = [];
let onLook: (look: LookReport) => void = () => undefined;
let poller: PollerHandle;

async function until<T>(what: string, check: () => T | undefined | false, windows = 40): Promise<T> {
  const deadline = Date.now() + windows * WINDOW_MS;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function has(table: string, id: string): boolean {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare(`SELECT 1 FROM ${table} WHERE id = ?`).get(id) !== undefined;
  } catch {
    return false;
  } finally {
    db.close();
  }
}

const errorReads = () =>
  Object.entries(sim.stats().endpoints)
    .filter(([k]) => /^GET \/projects\/[^/]+\/errors\/[^/]+$/.test(k))
    .reduce((n, [, v]) => n + v, 0);

beforeAll(async () => {
  sim = await startSim({
    orgs: 1,
    projects: 3,
    errors: 8,
    events: 40,
    releases: 1,
    rateLimit: LIMIT,
    rateWindowMs: WINDOW_MS,
  });
  h = await makeHome(sim);
  projects = sim.info().organizations.flatMap((o) => o.projects.map((p) => p.id));
  dbPath = join(h.home, 'poll.db');
  source = await h.source({ destination: `sqlite:${dbPath}`, streams: ['events', 'errors'], schedule: 'continuous' });
  // The first sync (the scheduler runs one before the poller starts): cursors and known errors.
  const first = await (await startRun(h.runtime, source.name, { client })).done;
  expect(first.status, JSON.stringify(first.error)).toBe('succeeded');
  poller = startPoller(h.runtime, source.id, {
    client,
    maxIntervalMs: MAX_INTERVAL_MS,
    onLook: (l) => {
      looks.push({ ...l, at: Date.now() });
      onLook(l);
    },
  });
  await until('a look at every project', () => poller.status().projects.every((p) => p.looks > 0));
}, 60_000);

afterAll(async () => {
  poller?.stop();
  await poller?.done;
  await h?.cleanup();
  await sim?.close();
});

describe('continuous poller', () => {
  it('an event added lands in the destination within a sweep of looks', async () => {
    const [event] = sim.addEvents({ projectId: projects[1] });
    await until('the event row', () => has('events', event!.id));
    // Bugsnag's times are whole seconds: a pass sees an event once its second is over (the simulator stamps it so).
    // From then on, work-conserving looks reach every project within one sweep (+1 for the look in flight).
    const visibleFrom = Date.parse(event!.received_at) + 1000;
    const after = looks.filter((l) => l.at > visibleFrom);
    const landed = after.findIndex((l) => l.partition === `project:${projects[1]}` && l.found > 0);
    expect(landed).toBeGreaterThanOrEqual(0);
    expect(landed).toBeLessThanOrEqual(projects.length + 1);
    expect(poller.status().state).toBe('polling');
  });

  it('spends no more than its share of the token budget', async () => {
    sim.resetStats();
    const t0 = Date.now();
    const from = poller.status().looks;
    await until('40 looks', () => poller.status().looks >= from + 40);
    const requests = sim.stats().requests;
    const elapsed = Date.now() - t0;
    const allowed = (SHARE * LIMIT * elapsed) / WINDOW_MS;
    // One look of credit (the bucket holds one) and the look in flight.
    expect(requests).toBeLessThanOrEqual(allowed + 2);
    // And it uses the share: a poller that idled would pass the test above trivially.
    expect(requests).toBeGreaterThanOrEqual(0.6 * allowed);
    expect(sim.stats().rateLimited).toBe(0);
    expect(poller.status().requests_per_window).toBe(SHARE * LIMIT);
  });

  it('reads a new error named by an event once, and writes it', async () => {
    const reads0 = errorReads();
    const errorsRead0 = poller.status().errors_read;
    const [made] = sim.addErrors({ projectId: projects[2], count: 1, eventsPerError: 1 });
    await until('the error row', () => has('errors', made!.id));
    expect(has('events', made!.events[0]!.id)).toBe(true);
    // A few more sweeps re-read the event (the look reaches back one window): the error is known now.
    const from = poller.status().looks;
    await until('two more sweeps', () => poller.status().looks >= from + 2 * projects.length);
    expect(errorReads() - reads0).toBe(1);
    expect(poller.status().errors_read - errorsRead0).toBe(1);
  });

  it('looks at an idle project within its maximum interval while another is busy', async () => {
    const busy = `project:${projects[0]}`;
    onLook = (l) => {
      if (l.partition === busy) sim.addEvents({ projectId: projects[0] });
    };
    sim.addEvents({ projectId: projects[0] });
    const start = Date.now();
    await until('three maximum intervals', () => Date.now() - start > 3 * MAX_INTERVAL_MS || undefined, 60);
    onLook = () => undefined;
    const during = looks.filter((l) => l.at >= start);
    const busyLooks = during.filter((l) => l.partition === busy).length;
    // The busy project gets more looks than any idle one (the policy's fine points: poller-visits.test.ts)…
    for (const p of projects.slice(1))
      expect(busyLooks).toBeGreaterThan(during.filter((l) => l.partition === `project:${p}`).length);
    for (const p of projects.slice(1)) {
      const at = [start, ...during.filter((l) => l.partition === `project:${p}`).map((l) => l.at), Date.now()];
      const gaps = at.slice(1).map((t, i) => t - at[i]!);
      // …and an idle one still waits no longer than its maximum interval (plus a look per project in the line).
      expect(Math.max(...gaps), p).toBeLessThanOrEqual(MAX_INTERVAL_MS + projects.length * 2 * WINDOW_MS);
      expect(gaps.length).toBeGreaterThanOrEqual(3);
    }
  }, 30_000);

  it('goes on through 500s and a 429 storm, and still lands what arrives', async () => {
    sim.setFaults('500:0.3');
    const failed0 = poller.status().failed_looks;
    const [a] = sim.addEvents({ projectId: projects[2] });
    await until('the event row through 500s', () => has('events', a!.id), 80);
    sim.setFaults(`429storm:${2 * WINDOW_MS}ms`);
    const [b] = sim.addEvents({ projectId: projects[1] });
    await until('the event row after a 429 storm', () => has('events', b!.id), 80);
    sim.setFaults('');
    expect((sim.stats().faults['429storm'] ?? 0) + (sim.stats().faults['500'] ?? 0)).toBeGreaterThan(0);
    expect(poller.status().state).toBe('polling');
    expect(poller.status().failed_looks).toBeGreaterThanOrEqual(failed0);
  }, 60_000);

  it('in the scheduler: stands aside for the full sync, stops when paused, and stops with the scheduler', async () => {
    poller.stop();
    await poller.done;
    expect(poller.status().state).toBe('stopped');
    await h.runtime.store.sources.update(source.id, { next_run_at: new Date(Date.now() + 3_600_000) });
    const results: DueResult[] = [];
    const scheduler = startScheduler(h.runtime, {
      client,
      tickMs: 200,
      poller: { client },
      onResults: (r) => results.push(...r),
    });
    const looking = () => {
      const st = pollerStatus(source.id);
      return st && st.looks > 0 && st.state === 'polling' ? st.run_id : undefined;
    };
    const first = await until('the scheduler’s poller looking', looking);

    // The full sync falls due: the poller ends its run, the sync runs (no conflict), the poller goes on in a new run.
    await h.runtime.store.sources.update(source.id, { next_run_at: new Date() });
    await until('the full sync', () => results.find((r) => r.source_id === source.id), 80);
    expect(results[0]).toMatchObject({ status: 'succeeded' });
    expect((await h.runtime.store.runs.get(first!))?.status).toBe('succeeded');
    const second = await until('the poller back', () => {
      const id = looking();
      return id && id !== first ? id : undefined;
    });

    // Paused: the poller stops at the next sweep and its run ends.
    await h.runtime.store.sources.update(source.id, { status: 'paused' });
    await until('the poller gone', () => pollerStatus(source.id) === undefined || undefined);
    expect((await h.runtime.store.runs.get(second!))?.status).toBe('cancelled');
    await h.runtime.store.sources.update(source.id, { status: 'active' });
    const third = await until('the poller again', looking);

    scheduler.stop();
    await scheduler.done;
    expect(pollerStatus(source.id)).toBeUndefined();
    const run = await h.runtime.store.runs.get(third!);
    expect(run?.status).toBe('cancelled');
    expect(run?.options).toMatchObject({ continuous: true, poll_share: SHARE });
    const after = sim.stats().requests;
    // Nothing is left running to make requests: the simulator is idle and the count stays.
    await sim.idle();
    expect(sim.stats().requests).toBe(after);
  }, 60_000);

  it('a new continuous source: its first full sync runs first, then the poller, without a conflict', async () => {
    const fresh = await h.source({
      destination: `sqlite:${join(h.home, 'fresh.db')}`,
      streams: ['events'],
      schedule: 'continuous',
      name: 'fresh',
    });
    const results: DueResult[] = [];
    const scheduler = startScheduler(h.runtime, { client, tickMs: 200, onResults: (r) => results.push(...r) });
    try {
      await until('the poller looking', () => (pollerStatus(fresh.id)?.looks ?? 0) > 0, 80);
      expect(results.filter((r) => r.source_id === fresh.id)).toMatchObject([{ status: 'succeeded' }]);
      const runs = await h.runtime.store.runs.list({ sourceId: fresh.id });
      // The sync, then the poller's run: nothing refused, no empty poller runs while the sync was due.
      expect(runs.map((r) => r.options.continuous === true).sort()).toEqual([false, true]);
    } finally {
      scheduler.stop();
      await scheduler.done;
    }
  }, 60_000);
});
