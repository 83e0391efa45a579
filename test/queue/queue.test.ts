import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { graphileQueue, memoryQueue, postgresQueue, type JobQueue, type TakenJob } from '../../src/queue/index.js';
import { postgresUrl, requireService } from '../helpers/services.js';
import { adminQuery } from '../store/pg.js';

/** One contract, three implementations: the in-process queue, pg-boss and graphile-worker on PostgreSQL. */
const pgEnabled = requireService('postgres');
const schemas: string[] = [];
const opened: JobQueue[] = [];

afterAll(async () => {
  for (const q of opened) await q.close();
  for (const s of schemas) await adminQuery(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
});

async function openPg(schema: string, leaseMs = 60_000): Promise<JobQueue> {
  const q = await postgresQueue({
    connectionString: postgresUrl(),
    schema,
    leaseMs,
    superviseMs: 1000,
    onError: () => undefined,
  });
  opened.push(q);
  return q;
}

async function openGraphile(schema: string, leaseMs = 60_000): Promise<JobQueue> {
  const q = await graphileQueue({ connectionString: postgresUrl(), schema, leaseMs, onError: () => undefined });
  opened.push(q);
  return q;
}

const impls: Array<[string, () => Promise<JobQueue>, boolean]> = [
  ['memory', async () => memoryQueue(), true],
  [
    'postgres',
    async () => {
      const schema = `queue_contract_${process.pid}_${randomBytes(3).toString('hex')}`;
      schemas.push(schema);
      return openPg(schema);
    },
    pgEnabled,
  ],
  [
    'graphile',
    async () => {
      const schema = `queue_contract_gw_${process.pid}_${randomBytes(3).toString('hex')}`;
      schemas.push(schema);
      return openGraphile(schema);
    },
    pgEnabled,
  ],
];

/** Takes until `want` jobs are out or nothing more comes (polls: pg-boss has no push). */
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
  describe.runIf(enabled)(`job queue contract: ${name}`, () => {
    it('runs one job of a lane at a time, and other lanes meanwhile', async () => {
      const q = await open();
      await q.enqueue([
        { lane: 'tokA', data: { n: 1 } },
        { lane: 'tokA', data: { n: 2 } },
        { lane: 'tokB', data: { n: 3 } },
      ]);
      const first = await takeAll(q, 2);
      expect(first.map((j) => j.data).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
        { n: 1 },
        { n: 3 },
      ]);
      // tokA is busy: nothing more until its job completes.
      expect(await q.take()).toBeNull();
      await q.complete(first.find((j) => (j.data as { n: number }).n === 1)!);
      const next = await takeAll(q, 1);
      expect(next.map((j) => j.data)).toEqual([{ n: 2 }]);
      for (const j of [...first, ...next]) await q.complete(j);
    });

    it('does not hand out a delayed job before its time, and frees its lane meanwhile', async () => {
      const q = await open();
      await q.enqueue([{ lane: 'slow', data: { unit: 'a' } }]);
      const [a] = await takeAll(q, 1);
      const until = new Date(Date.now() + 1200);
      await q.delay(a!, until, { unit: 'a', page: 2 });
      await q.enqueue([{ lane: 'slow', data: { unit: 'b' } }]);
      const [b] = await takeAll(q, 1);
      expect(b!.data).toEqual({ unit: 'b' });
      await q.complete(b!);
      const [again] = await takeAll(q, 1);
      expect(Date.now()).toBeGreaterThanOrEqual(until.getTime() - 100);
      expect(again!.data).toEqual({ unit: 'a', page: 2 });
      await q.complete(again!);
    });

    it('takes a failed job again', async () => {
      const q = await open();
      await q.enqueue([{ lane: 'flaky', data: { x: 1 } }]);
      const [j] = await takeAll(q, 1);
      await q.fail(j!, new Error('boom'));
      const [k] = await takeAll(q, 1);
      expect(k!.data).toEqual({ x: 1 });
      expect(k!.retries).toBe(1);
      await q.complete(k!);
    });

    it('settles each key of a group once, and exactly one settle completes it', async () => {
      const q = await open();
      const g = `run_${randomBytes(3).toString('hex')}`;
      await q.openGroup(g, 1);
      expect(await q.settle(g, 'plan', { k: 'plan' }, 3)).toEqual({ fresh: true, complete: false });
      // Settled again (a job run twice): its jobs are not counted twice.
      expect(await q.settle(g, 'plan', { k: 'plan' }, 3)).toEqual({ fresh: false, complete: false });
      const settles = await Promise.all(['a', 'b', 'c'].map((k) => q.settle(g, k, { k })));
      expect(settles.filter((s) => s.complete && s.fresh)).toHaveLength(1);
      expect(await q.settle(g, 'a', { k: 'again' })).toEqual({ fresh: false, complete: true });
      expect((await q.results(g)).get('a')).toEqual({ k: 'a' });
      expect(await q.isCancelled(g)).toBe(false);
      await q.cancelGroup(g);
      expect(await q.isCancelled(g)).toBe(true);
    });

    it('forgets complete groups settled before a time, and only those', async () => {
      const q = await open();
      const done = `run_${randomBytes(3).toString('hex')}`;
      const open1 = `run_${randomBytes(3).toString('hex')}`;
      await q.openGroup(done, 1);
      await q.settle(done, 'plan', { k: 'plan' });
      await q.openGroup(open1, 2);
      await q.settle(open1, 'plan', { k: 'plan' });
      // Settled now: not before a time in the past.
      expect(await q.purgeGroups(new Date(Date.now() - 60_000))).toBe(0);
      expect((await q.results(done)).size).toBe(1);
      // Before a time to come: the complete one goes, the one still waiting for a job stays.
      expect(await q.purgeGroups(new Date(Date.now() + 60_000))).toBeGreaterThanOrEqual(1);
      expect((await q.results(open1)).get('plan')).toEqual({ k: 'plan' });
      await expect(q.settle(done, 'late', {})).rejects.toThrow();
    });

    it('keeps a state per lane', async () => {
      const q = await open();
      expect(await q.laneState('tokZ')).toBeNull();
      await q.setLaneState('tokZ', { limit: 10, remaining: 3 });
      await q.setLaneState('tokZ', { limit: 10, remaining: 2 });
      expect(await q.laneState('tokZ')).toEqual({ limit: 10, remaining: 2 });
    });
  });
}

describe.runIf(pgEnabled).each([
  ['pg-boss', openPg],
  ['graphile', openGraphile],
] as const)('job queue: postgres leases (%s)', (_name, openLeased) => {
  it('takes a job again once the lease of the process that took it runs out', async () => {
    const schema = `queue_lease_${process.pid}_${randomBytes(3).toString('hex')}`;
    schemas.push(schema);
    const a = await openLeased(schema, 1000);
    const b = await openLeased(schema, 1000);
    await a.enqueue([{ lane: 'tok', data: { unit: 'u1' } }]);
    const [taken] = await takeAll(a, 1);
    expect(taken).toBeDefined();
    await a.close(); // like a kill -9: the job stays taken
    const started = Date.now();
    const [again] = await takeAll(b, 1, 15_000);
    expect(again?.data).toEqual({ unit: 'u1' });
    expect(Date.now() - started).toBeLessThan(10_000);
    await b.complete(again!);
  });
});
