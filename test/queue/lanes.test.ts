import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { graphileQueue, type JobQueue, memoryQueue } from '../../src/queue/index.js';
import { postgresUrl, requireService } from '../helpers/services.js';
import { adminQuery } from '../store/pg.js';

/**
 * Hundreds of token lanes on one queue (issue 25): every token gets its turn in rounds, whatever order the work came
 * in, and one token's units never run at once however many processes take. The pg-boss queue is left out: it asks
 * each lane in turn, hundreds of milliseconds a take at this size (bench/queue-lanes.ts).
 */
const pgEnabled = requireService('postgres');
const schemas: string[] = [];
const opened: JobQueue[] = [];

afterAll(async () => {
  for (const q of opened) await q.close();
  for (const s of schemas) await adminQuery(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
});

function graphileOpener() {
  const schema = `queue_lanes_${process.pid}_${randomBytes(3).toString('hex')}`;
  schemas.push(schema);
  return async () => {
    const q = await graphileQueue({ connectionString: postgresUrl(), schema, onError: () => undefined });
    opened.push(q);
    return q;
  };
}

const impls: Array<[string, () => () => Promise<JobQueue>, boolean]> = [
  ['memory', () => async () => memoryQueue(), true],
  ['graphile', graphileOpener, pgEnabled],
];

for (const [name, opener, enabled] of impls) {
  describe.runIf(enabled)(`token lanes: ${name}`, () => {
    it('serves 300 tokens in rounds, a token enqueued late included, whatever order their units came in', async () => {
      const q = await opener()();
      const LANES = 300;
      const PER = 3;
      // Token by token, each token's units together: first come, first served would run token 0's three first.
      for (let l = 0; l < LANES; l++)
        await q.enqueue(Array.from({ length: PER }, (_, k) => ({ lane: `t${l}`, data: { l, k } })));
      const served = new Map<string, number>();
      const waiting = () => [...served.keys()].filter((l) => (served.get(l) ?? 0) < PER);
      for (let l = 0; l < LANES; l++) served.set(`t${l}`, 0);
      let worstGap = 0;
      let taken = 0;
      for (;;) {
        if (taken === LANES / 2) {
          await q.enqueue(Array.from({ length: PER }, (_, k) => ({ lane: 'late', data: { late: k } })));
          served.set('late', 0);
        }
        const job = await q.take();
        if (!job) break;
        taken++;
        served.set(job.lane, (served.get(job.lane) ?? 0) + 1);
        // No token with units waiting is more than one round behind the one just served.
        const behind = waiting().map((l) => served.get(job.lane)! - 1 - served.get(l)!);
        worstGap = Math.max(worstGap, ...behind, 0);
        await q.complete(job);
      }
      expect(taken).toBe((LANES + 1) * PER);
      expect(worstGap).toBeLessThanOrEqual(1);
    }, 60_000);

    it('runs one unit per token at a time across three processes with four slots each', async () => {
      const open = opener();
      const queues = [await open(), await open(), await open()];
      const LANES = 200;
      const PER = 2;
      await queues[0]!.enqueue(Array.from({ length: LANES * PER }, (_, n) => ({ lane: `t${n % LANES}`, data: { n } })));
      const running = new Map<string, number>();
      let peak = 0;
      let side = 0;
      const done = new Set<number>();
      const slot = async (q: JobQueue) => {
        let idle = 0;
        while (done.size < LANES * PER && idle < 200) {
          const job = await q.take();
          if (!job) {
            idle++;
            await new Promise((r) => setTimeout(r, 10));
            continue;
          }
          idle = 0;
          const n = (running.get(job.lane) ?? 0) + 1;
          running.set(job.lane, n);
          peak = Math.max(peak, n);
          side = Math.max(side, [...running.values()].filter((c) => c > 0).length);
          await new Promise((r) => setTimeout(r, 2));
          running.set(job.lane, n - 1);
          const id = (job.data as { n: number }).n;
          expect(done.has(id)).toBe(false);
          done.add(id);
          await q.complete(job);
        }
      };
      await Promise.all(queues.flatMap((q) => [slot(q), slot(q), slot(q), slot(q)]));
      expect(done.size).toBe(LANES * PER);
      expect(peak).toBe(1);
      expect(side).toBeGreaterThan(1);
    }, 60_000);
  });
}
