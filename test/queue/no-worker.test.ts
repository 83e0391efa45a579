import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  enqueueRun,
  executeJob,
  followRun,
  queuedExecutor,
  startWorker,
  WORKER_ALIVE_MS,
} from '../../src/engine/cluster/index.js';
import { graphileQueue, memoryQueue, postgresQueue, type JobQueue, type TakenJob } from '../../src/queue/index.js';
import type { Simulator } from '../../src/sim/index.js';
import { makeHome, startSim, type Home } from '../engine/helpers.js';
import { postgresUrl, requireService } from '../helpers/services.js';
import { adminQuery } from '../store/pg.js';

/**
 * What a queue needs so that nobody waits on it in silence (issue 19): jobs of a group taken back while no worker has
 * them, and workers that beat, so that a follower can tell none is alive. Then, on the in-process queue: a run nobody
 * executes is reported as such and ends cancelled at once when cancelled; one a worker holds is left to it, and the
 * follower stops following within the time it was given.
 */
const pgEnabled = requireService('postgres');
const schemas: string[] = [];
const opened: JobQueue[] = [];

afterAll(async () => {
  for (const q of opened) await q.close();
  for (const s of schemas) await adminQuery(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
});

const impls: Array<[string, () => Promise<JobQueue>, boolean]> = [
  ['memory', async () => memoryQueue(), true],
  [
    'postgres',
    async () => {
      const schema = `queue_noworker_${process.pid}_${randomBytes(3).toString('hex')}`;
      schemas.push(schema);
      const q = await postgresQueue({ connectionString: postgresUrl(), schema, onError: () => undefined });
      opened.push(q);
      return q;
    },
    pgEnabled,
  ],
  [
    'graphile',
    async () => {
      const schema = `queue_noworker_gw_${process.pid}_${randomBytes(3).toString('hex')}`;
      schemas.push(schema);
      const q = await graphileQueue({ connectionString: postgresUrl(), schema, onError: () => undefined });
      opened.push(q);
      return q;
    },
    pgEnabled,
  ],
];

/** Takes until `want` jobs are out or nothing more comes (pg-boss has no push). */
async function takeAll(q: JobQueue, want: number, ms = 5000): Promise<TakenJob[]> {
  const got: TakenJob[] = [];
  const until = Date.now() + ms;
  while (got.length < want && Date.now() < until) {
    const j = await q.take();
    if (j) got.push(j);
    else await new Promise((r) => setTimeout(r, 50));
  }
  return got;
}

for (const [name, open, enabled] of impls) {
  describe.runIf(enabled)(`job queue: withdrawing and workers (${name})`, () => {
    it("takes back the group's jobs no one has taken, and only those", async () => {
      const q = await open();
      const g = `run_${randomBytes(3).toString('hex')}`;
      const other = `run_${randomBytes(3).toString('hex')}`;
      await q.openGroup(g, 3);
      await q.openGroup(other, 1);
      await q.enqueue([
        { lane: 'tokW', data: { n: 1 }, group: g },
        { lane: 'tokW', data: { n: 2 }, group: g },
        { lane: 'tokV', data: { n: 3 }, group: g, startAfter: new Date(Date.now() + 3_600_000) },
        { lane: 'tokV', data: { n: 4 }, group: other },
        { lane: 'tokU', data: { n: 5 } },
      ]);
      const [held] = await takeAll(q, 1);
      expect(held).toMatchObject({ data: { n: 1 }, group: g });
      const back = await q.withdraw(g);
      // The waiting one and the delayed one; the one taken stays with its taker.
      expect(back.map((d) => (d as { n: number }).n).sort()).toEqual([2, 3]);
      expect(await q.withdraw(g)).toEqual([]);
      const rest = await takeAll(q, 2);
      expect(rest.map((j) => (j.data as { n: number }).n).sort()).toEqual([4, 5]);
      expect(rest.find((j) => (j.data as { n: number }).n === 5)?.group).toBeUndefined();
      // A delayed job stays in its group: its continuation can be taken back too.
      await q.delay(held!, new Date(Date.now() + 3_600_000), { n: 1, page: 2 });
      expect(await q.withdraw(g)).toEqual([{ n: 1, page: 2 }]);
      for (const j of rest) await q.complete(j);
    });

    it('knows which workers are alive: a beat registers one, leaving forgets it', async () => {
      const q = await open();
      const w = { id: `w-${randomBytes(3).toString('hex')}`, host: 'here', pid: 4242, slots: 2 };
      expect((await q.workers(WORKER_ALIVE_MS)).map((x) => x.id)).not.toContain(w.id);
      await q.beat(w);
      await q.beat(w);
      const alive = (await q.workers(WORKER_ALIVE_MS)).filter((x) => x.id === w.id);
      expect(alive).toHaveLength(1);
      expect(alive[0]).toMatchObject({ host: 'here', pid: 4242, slots: 2 });
      await q.leave(w.id);
      expect((await q.workers(WORKER_ALIVE_MS)).map((x) => x.id)).not.toContain(w.id);
    });
  });
}

describe.runIf(pgEnabled)('job queue: a worker whose beats stopped', () => {
  it('no longer counts as alive once its last beat is older than the window', async () => {
    const schema = `queue_beat_${process.pid}_${randomBytes(3).toString('hex')}`;
    schemas.push(schema);
    const q = await postgresQueue({ connectionString: postgresUrl(), schema, onError: () => undefined });
    opened.push(q);
    await q.beat({ id: 'gone', host: 'h', pid: 1, slots: 1 });
    await q.beat({ id: 'here', host: 'h', pid: 2, slots: 1 });
    // As if killed 20 s ago: its row stays, its beat does not move.
    await adminQuery(
      `UPDATE "${schema}".snagsync_workers SET beat_at = now() - interval '20 seconds' WHERE id = 'gone'`,
    );
    expect((await q.workers(WORKER_ALIVE_MS)).map((w) => w.id)).toEqual(['here']);
  });
});

describe('a queued run no worker executes (in-process queue)', () => {
  let sim: Simulator;
  let h: Home;
  beforeAll(async () => {
    sim = await startSim({ orgs: 1, projects: 1, errors: 5, events: 40, releases: 1 });
    h = await makeHome(sim);
  });
  afterAll(async () => {
    await h.cleanup();
    await sim.close();
  });

  const newSource = async () =>
    (await h.source({ destination: `sqlite:${join(h.home, `${randomBytes(3).toString('hex')}.db`)}` })).name;

  it('is said to have no worker, then to have one once a worker beats; cancelled, it ends at once', async () => {
    const queue = memoryQueue();
    const queued = await enqueueRun(h.runtime, queue, await newSource());
    const changes: number[] = [];
    let told: (() => void) | undefined;
    const handle = await followRun(h.runtime, queued.runId, {
      queue,
      pollMs: 20,
      workersEveryMs: 20,
      onWorkers: ({ runId, alive }) => {
        expect(runId).toBe(queued.runId);
        changes.push(alive);
        told?.();
      },
    });
    const toldTimes = (n: number) =>
      new Promise<void>((resolve) => {
        told = () => {
          if (changes.length >= n) resolve();
        };
        told();
      });
    await toldTimes(1);
    expect(changes).toEqual([0]);
    // A worker registers (as `startWorker` does first), without taking anything yet.
    await queue.beat({ id: 'w1', host: 'here', pid: process.pid, slots: 1 });
    await toldTimes(2);
    expect(changes).toEqual([0, 1]);

    handle.cancel();
    const summary = await handle.done;
    expect(summary.status).toBe('cancelled');
    expect(summary.error?.error).toBe('aborted');
    expect((await h.runtime.store.runs.findById(queued.runId)).status).toBe('cancelled');
    // Nothing of it is left for a worker to take.
    expect(await queue.take()).toBeNull();
  });

  it("the executor's cancel (the server's, for a run it does not follow) ends a run nobody executes at once", async () => {
    const queue = memoryQueue();
    const queued = await enqueueRun(h.runtime, queue, await newSource());
    const run = await h.runtime.store.runs.findById(queued.runId);
    expect(await queuedExecutor(queue).cancel!(h.runtime, run)).toBe(true);
    expect((await h.runtime.store.runs.findById(queued.runId)).status).toBe('cancelled');
    expect(await queue.take()).toBeNull();
  });

  it('cancelled while a worker holds its unit, it is left to that worker; the follower stops following in time', async () => {
    const queue = memoryQueue();
    const queued = await enqueueRun(h.runtime, queue, await newSource());
    // A worker took the plan and has not come back (hung, or its machine gone until the lease runs out).
    const [held] = await takeAll(queue, 1);
    const handle = await followRun(h.runtime, queued.runId, { queue, pollMs: 20, cancelWaitMs: 300 });
    handle.cancel();
    const summary = await handle.done;
    expect(summary.status).toBe('cancelled');
    // Still the worker's to end: the run is not ended under it.
    expect((await h.runtime.store.runs.findById(queued.runId)).status).toBe('running');
    // The worker comes back to it: it finds the run cancelled and ends it.
    await executeJob(h.runtime, queue, held!);
    expect((await h.runtime.store.runs.findById(queued.runId)).status).toBe('cancelled');
  });

  it('a worker registers itself while it runs, and leaves when it stops', async () => {
    const queue = memoryQueue();
    const worker = startWorker(h.runtime, queue, { concurrency: 3, pollMs: 20 });
    const alive = await queue.workers(WORKER_ALIVE_MS);
    expect(alive).toHaveLength(1);
    expect(alive[0]).toMatchObject({ pid: process.pid, slots: 3 });
    await worker.stop();
    expect(await queue.workers(WORKER_ALIVE_MS)).toEqual([]);
  });
});
