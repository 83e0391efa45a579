import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cancelQueuedRun,
  enqueueRun,
  followRun,
  startWorker,
  type WorkerEvent,
  type WorkerOptions,
} from '../../src/engine/cluster/index.js';
import type { RunEvent } from '../../src/engine/index.js';
import { override } from '../../src/engine/cluster/rows.js';
import { tokenKey } from '../../src/http/rate-limiter.js';
import { memoryQueue, type JobQueue } from '../../src/queue/index.js';
import type { Runtime } from '../../src/runtime.js';
import type { RunStream } from '../../src/store/models.js';
import type { Simulator } from '../../src/sim/index.js';
import { DEFAULT_STALE_AFTER_MS, isStaleRun } from '../../src/store/index.js';
import { makeHome, startSim, type Home } from '../engine/helpers.js';
import { forkTs } from '../store/fork-helper.js';
import { diffKeys, keyOf, simTruth, stored, type Truth } from '../engine/truth.js';

/**
 * A run through the queue, in one process (the in-process queue, SQLite store and destination): split into a plan
 * and one unit per project stream, executed by a worker's slots, followed through the store. The destination ends
 * equal to what the simulator serves; units cut into slices (yield, continue from the checkpoint) change nothing;
 * the run's totals equal the rows; cancelling ends the run cancelled.
 */
let sim: Simulator;
let h: Home;
let truth: Truth;

beforeAll(async () => {
  sim = await startSim({ orgs: 1, projects: 3, errors: 60, events: 900, releases: 12 });
  h = await makeHome(sim);
  truth = await simTruth(sim, 'admin');
});

afterAll(async () => {
  await h.cleanup();
  await sim.close();
});

/**
 * Enqueues a run of `source`, has one worker execute it (on `workerRuntime` when given: a store that misbehaves) and
 * follows it to its end. Returns the summary, the run's progress events and the worker's events.
 */
async function runOnQueue(
  runtime: Runtime,
  source: string,
  o: { queue?: JobQueue; worker?: Omit<WorkerOptions, 'onEvent'>; workerRuntime?: Runtime } = {},
) {
  const queue = o.queue ?? memoryQueue();
  const workerEvents: WorkerEvent[] = [];
  const worker = startWorker(o.workerRuntime ?? runtime, queue, {
    pollMs: 20,
    ...o.worker,
    onEvent: (e) => workerEvents.push(e),
  });
  const queued = await enqueueRun(runtime, queue, source);
  const handle = await followRun(runtime, queued.runId, { pollMs: 50, queue });
  const seen: RunEvent[] = [];
  seen.push(...handle.events.history());
  handle.events.subscribe((e) => seen.push(e));
  const summary = await handle.done;
  await worker.stop();
  return { summary, seen, workerEvents, runId: queued.runId, queue };
}

async function syncThroughQueue(dest: string, unit: { sliceMs?: number; delayOverMs?: number } = {}) {
  const src = (await h.source({ destination: dest, streams: ['events', 'errors', 'releases'] })).name;
  return runOnQueue(h.runtime, src, { worker: { concurrency: 3, unit } });
}

describe('a run through the in-process queue', () => {
  it('stores every record once, and follows with the progress events and summary of a local run', async () => {
    const dest = `sqlite:${join(h.home, 'queued.db')}`;
    const { summary, seen, workerEvents, runId } = await syncThroughQueue(dest);
    // A plan and one unit per project stream, none cut short.
    const ends = workerEvents.filter((e) => e.type === 'unit-end');
    expect(ends.map((e) => (e.type === 'unit-end' ? e.outcome : '')).sort()).toEqual(Array(10).fill('done'));
    expect(summary.status, JSON.stringify(summary.error)).toBe('succeeded');
    for (const stream of ['events', 'errors', 'releases'] as const) {
      const got = await stored(dest, stream, keyOf[stream]);
      expect(diffKeys(truth[stream], got.byKey), stream).toEqual({ missing: [], extra: [] });
      expect(got.rows).toBe(truth[stream].size);
    }
    const rows = truth.events.size + truth.errors.size + truth.releases.size;
    expect(summary.totals.records_written).toBe(rows);
    expect(summary.streams.find((s) => s.stream === 'events')?.partitions).toBe(3);
    const types = new Set(seen.map((e) => e.type));
    for (const t of ['run-start', 'plan', 'stream-start', 'page', 'stream-done', 'run-done'])
      expect(types).toContain(t);
    expect(seen.find((e) => e.type === 'plan')).toMatchObject({ organizations: 1, projects: 3 });
    // Lineage: the workers' run has its row in the destination's _snagsync_runs, ended as the store ended it, and
    // every row it wrote names it.
    const db = new Database(dest.slice('sqlite:'.length), { readonly: true });
    try {
      const runs = db.prepare('SELECT run_id, status, ended_at FROM _snagsync_runs').all() as Array<{
        run_id: string;
        status: string;
        ended_at: string | null;
      }>;
      expect(runs).toEqual([{ run_id: runId, status: 'succeeded', ended_at: expect.any(String) }]);
      const other = db.prepare('SELECT count(*) AS n FROM events WHERE _run_id IS NOT ?').get(runId) as { n: number };
      expect(other.n).toBe(0);
    } finally {
      db.close();
    }
  });

  it('cuts units into slices that go on from their checkpoint, with the same records and totals', async () => {
    const dest = `sqlite:${join(h.home, 'sliced.db')}`;
    sim.resetStats();
    // Every unit yields after 1 ms: each slice writes at most a page or two, then the rest is enqueued.
    const { summary, workerEvents } = await syncThroughQueue(dest, { sliceMs: 1 });
    const delayed = workerEvents.filter((e) => e.type === 'unit-end' && e.outcome === 'delayed');
    expect(delayed.length).toBeGreaterThan(10);
    expect(summary.status, JSON.stringify(summary.error)).toBe('succeeded');
    for (const stream of ['events', 'errors', 'releases'] as const) {
      const got = await stored(dest, stream, keyOf[stream]);
      expect(diffKeys(truth[stream], got.byKey), stream).toEqual({ missing: [], extra: [] });
      expect(got.rows).toBe(truth[stream].size);
    }
    expect(summary.totals.records_written).toBe(truth.events.size + truth.errors.size + truth.releases.size);
    // One row per (stream, project), not one per slice.
    expect(summary.streams.find((s) => s.stream === 'events')?.partitions).toBe(3);
  });

  it('counts every committed page when the run history lags the commits (a kill -9 between commit and save)', async () => {
    const dest = `sqlite:${join(h.home, 'lagging.db')}`;
    // The worker's store loses every save of an events row made after a page (what a worker killed right after its
    // page's commit leaves): the row stays behind what the destination holds, slice after slice. Only the final
    // save of each project's events row (outcome ok) gets through.
    const runs = h.runtime.store.runs;
    let lost = 0;
    const upsertStream: typeof runs.upsertStream = async (row) => {
      if (row.stream === 'events' && row.outcome === null && (row.pages ?? 0) > 0) {
        lost++;
        return row as RunStream; // never written; its caller does not read the answer
      }
      return runs.upsertStream(row);
    };
    const store = override(h.runtime.store, { runs: override(runs, { upsertStream }) });
    const src = (await h.source({ destination: dest, streams: ['events'] })).name;
    // Slices of 1 ms: each unit goes on as a new job after every page or two, from a row that lags its commits.
    const {
      summary,
      workerEvents: ends,
      runId,
    } = await runOnQueue(h.runtime, src, {
      workerRuntime: { ...h.runtime, store },
      worker: { concurrency: 2, unit: { sliceMs: 1 } },
    });
    expect(summary.status, JSON.stringify(summary.error)).toBe('succeeded');
    expect(ends.filter((e) => e.type === 'unit-end' && e.outcome === 'delayed').length).toBeGreaterThan(10);
    expect(lost).toBeGreaterThan(10);
    const got = await stored(dest, 'events', keyOf.events);
    expect(diffKeys(truth.events, got.byKey)).toEqual({ missing: [], extra: [] });
    expect(summary.totals.records_written).toBe(truth.events.size);
    expect(summary.totals.records_read).toBe(truth.events.size);
    const rows = await h.runtime.store.runs.listStreams(runId);
    expect(rows.map((r) => r.outcome)).toEqual(['ok', 'ok', 'ok']);
  });

  it('cancelling a run while its units work stops them everywhere and ends it cancelled', async () => {
    const dest = `sqlite:${join(h.home, 'cancel-live.db')}`;
    const queue = memoryQueue();
    const src = (await h.source({ destination: dest, streams: ['events'] })).name;
    const ends: WorkerEvent[] = [];
    // Slices of 1 ms: the units go on as new jobs page after page, so the cancellation meets both kinds.
    const worker = startWorker(h.runtime, queue, {
      concurrency: 2,
      pollMs: 20,
      unit: { sliceMs: 1, heartbeatMs: 50 },
      onEvent: (e) => ends.push(e),
    });
    const queued = await enqueueRun(h.runtime, queue, src);
    const handle = await followRun(h.runtime, queued.runId, { pollMs: 20, queue });
    handle.events.subscribe((e) => {
      if (e.type === 'page') handle.cancel();
    });
    const summary = await handle.done;
    await worker.stop();
    expect(summary.status).toBe('cancelled');
    expect(summary.totals.records_read).toBeLessThan(truth.events.size);
    const run = await h.runtime.store.runs.findById(queued.runId);
    expect(run.status).toBe('cancelled');
  });

  it('a queued run belongs to no process: the one that enqueued it may die, the run is not judged stale', async () => {
    const src = (await h.source({ destination: `sqlite:${join(h.home, 'orphan.db')}`, streams: ['events'] })).name;
    const child = forkTs(new URL('./children/enqueue-then-exit.ts', import.meta.url), [src], h.env);
    const { runId } = (await child.waitFor((m) => m.type === 'enqueued')) as { runId: string };
    await child.exited;
    const run = await h.runtime.store.runs.findById(runId);
    expect(run.pid).toBeNull();
    expect(isStaleRun(run)).toBe(false);
    // Starting the source again is refused while the run is alive (its heartbeat is fresh), not taken as abandoned.
    await expect(enqueueRun(h.runtime, memoryQueue(), src)).rejects.toMatchObject({ code: 'conflict' });
    expect((await h.runtime.store.runs.findById(runId)).status).toBe('running');
    // Nothing beats for it for longer than the stale time: then it is abandoned, and the source may start again.
    const later = new Date(Date.parse(run.heartbeat_at ?? run.started_at) + DEFAULT_STALE_AFTER_MS + 1000);
    expect(isStaleRun(run, later)).toBe(true);
  });

  it('cancelling a queued run stops its units and ends it cancelled', async () => {
    const dest = `sqlite:${join(h.home, 'cancelled.db')}`;
    const queue = memoryQueue();
    const src = (await h.source({ destination: dest, streams: ['events'] })).name;
    const queued = await enqueueRun(h.runtime, queue, src);
    await cancelQueuedRun(queue, queued.runId);
    const worker = startWorker(h.runtime, queue, { concurrency: 1, pollMs: 20 });
    const summary = await (await followRun(h.runtime, queued.runId, { pollMs: 50, queue })).done;
    await worker.stop();
    expect(summary.status).toBe('cancelled');
    expect(summary.error?.error).toBe('aborted');
  });
});

describe('a rate-limited token on the in-process queue', () => {
  let limited: Simulator;
  let lh: Home;
  beforeAll(async () => {
    limited = await startSim({
      orgs: 1,
      projects: 2,
      errors: 20,
      events: 400,
      releases: 4,
      rateLimit: 6,
      rateWindowMs: 1000,
    });
    lh = await makeHome(limited);
  });
  afterAll(async () => {
    await lh.cleanup();
    await limited.close();
  });

  it('delays a unit whose budget is spent instead of waiting in its slot, and never gets a 429', async () => {
    const dest = `sqlite:${join(lh.home, 'limited.db')}`;
    const src = (await lh.source({ destination: dest, streams: ['events', 'errors'] })).name;
    const {
      summary,
      workerEvents: ends,
      queue,
    } = await runOnQueue(lh.runtime, src, {
      worker: { concurrency: 2, unit: { delayOverMs: 100, client: { rateWindowMs: 1000 } } },
    });
    expect(summary.status, JSON.stringify(summary.error)).toBe('succeeded');
    const delayed = ends.filter((e) => e.type === 'unit-end' && e.outcome === 'delayed');
    expect(delayed.length).toBeGreaterThan(0);
    const t = limited.stats().byToken.admin!;
    expect(t.rateLimited).toBe(0);
    expect(t.maxConcurrent).toBeLessThanOrEqual(2);
    // The budget the token's units learned is kept with its lane, for the next unit on whichever worker.
    expect(await queue.laneState(tokenKey(limited.tokens.find((x) => x.role === 'admin')!.token))).toMatchObject({
      limit: 6,
    });
    const want = await simTruth(limited, 'admin');
    const got = await stored(dest, 'events', keyOf.events);
    expect(diffKeys(want.events, got.byKey)).toEqual({ missing: [], extra: [] });
  });
});

describe('a bulk backfill on the in-process queue', () => {
  let slow: Simulator;
  let bh: Home;
  beforeAll(async () => {
    // Exports Bugsnag takes a while to prepare: a unit waiting on one yields its slot and its token's lane.
    slow = await startSim({ orgs: 1, projects: 3, errors: 20, events: 300, releases: 2, edrPrepareMs: 1500 });
    bh = await makeHome(slow);
  });
  afterAll(async () => {
    await bh.cleanup();
    await slow.close();
  });

  it("yields while an export is prepared, so the lane's other projects request theirs meanwhile", async () => {
    const dest = `sqlite:${join(bh.home, 'bulk.db')}`;
    const src = (await bh.source({ destination: dest, streams: ['events'], events_backfill: 'bulk' })).name;
    const { summary, workerEvents: ends } = await runOnQueue(bh.runtime, src, {
      worker: { concurrency: 1, unit: { delayOverMs: 500 } },
    });
    expect(summary.status, JSON.stringify(summary.error)).toBe('succeeded');
    const units = ends.flatMap((e) =>
      (e.type === 'unit-start' || e.type === 'unit-end') && e.unit.startsWith('events@') ? [e] : [],
    );
    // One worker slot and one lane: the second project's unit started before the first one's was done.
    const firstDone = units.findIndex((e) => e.type === 'unit-end' && e.outcome === 'done');
    expect(new Set(units.slice(0, firstDone).map((e) => e.unit)).size).toBe(3);
    expect(units.filter((e) => e.type === 'unit-end' && e.outcome === 'delayed').length).toBeGreaterThanOrEqual(3);
    // Each project's export was requested once: a unit going on polls the request in its checkpoint.
    const t = slow.stats().byToken.admin!;
    expect(t.endpoints['POST /projects/{project_id}/event_data_requests']).toBe(3);
    const want = await simTruth(slow, 'admin');
    const got = await stored(dest, 'events', keyOf.events);
    expect(diffKeys(want.events, got.byKey)).toEqual({ missing: [], extra: [] });
    expect(summary.totals.records_written).toBe(want.events.size);
  });
});
