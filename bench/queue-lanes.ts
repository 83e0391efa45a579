// What an idle worker pays per poll as tokens grow, for each way of keeping a lane per token on PostgreSQL:
//  - `pgboss`: pg-boss, a queue per token's lane (src/queue/postgres.ts): taking visits the lanes in turn;
//  - `graphile`: graphile-worker, a named queue per lane (src/queue/graphile.ts): one query takes from any free lane;
//  - `pgboss-key`: one pg-boss queue with the `singleton` policy and a `singletonKey` per token (not an implementation
//    of the port: measured here only, with its stall — a busy token's waiting job stops every other token's).
// N lanes that have each run one job, then `take()` with nothing to take (averaged over 20), and `take()` of the one
// job enqueued on the last lane. Its own schema, dropped at the end (pg-boss keeps each lane in a partition of its job
// table: one DROP SCHEMA over a thousand of them runs out of lock memory, so partitions go first).
// With --takers K (pgboss, graphile): then one job on every lane, drained by K takers at once (four per queue
// instance, as a worker's slots), each completing at once: jobs/s, and takes that found nothing while jobs waited.
// Run: npx tsx bench/queue-lanes.ts [--lanes 300] [--queue pgboss|graphile|pgboss-key] [--takers 0]
// (needs PostgreSQL; one JSON line on stdout)
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { graphileQueue, type JobQueue, type Json, postgresQueue } from '../src/queue/index.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const LANES = Number(arg('--lanes') ?? 300);
const KIND = arg('--queue') ?? 'pgboss';
const TAKERS = Number(arg('--takers') ?? 0);
const url = process.env.SNAGSYNC_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `bq_${randomBytes(3).toString('hex')}`;
const round1 = (ms: number) => Math.round(ms * 10) / 10;

/** Only what the measure needs: enqueue, take, complete. */
interface Taker {
  enqueue(lanes: { lane: string; data: Json }[]): Promise<void>;
  take(): Promise<{ id: string } | null>;
  complete(job: { id: string }): Promise<void>;
  close(): Promise<void>;
}

async function portTaker(q: JobQueue): Promise<Taker> {
  return {
    enqueue: (jobs) => q.enqueue(jobs),
    take: () => q.take(),
    complete: (job) => q.complete(job as never),
    close: () => q.close(),
  };
}

async function keyedTaker(): Promise<Taker & { stalls(): Promise<boolean> }> {
  const boss = new PgBoss({ connectionString: url, schema, schedule: false, supervise: false });
  boss.on('error', () => undefined);
  await boss.start();
  await boss.createQueue('lanes', { name: 'lanes', policy: 'singleton' });
  const fetchOne = async () => (await boss.fetch('lanes'))[0] ?? null;
  const enqueue = async (jobs: { lane: string; data: Json }[]) => {
    for (const j of jobs) await boss.send('lanes', j.data as object, { singletonKey: j.lane });
  };
  return {
    enqueue,
    take: fetchOne,
    complete: (job) => boss.complete('lanes', job.id),
    close: () => boss.stop({ graceful: false, wait: true, close: true }),
    /** Token A busy with a second job waiting before token B's: is B's job taken? */
    async stalls() {
      await enqueue([
        { lane: 'A', data: {} },
        { lane: 'A', data: {} },
        { lane: 'B', data: {} },
      ]);
      const a = await fetchOne();
      const b = await fetchOne();
      for (const j of [a, b, await fetchOne(), await fetchOne()]) if (j) await boss.complete('lanes', j.id);
      return b === null;
    },
  };
}

const opts = { connectionString: url, schema, onError: () => undefined };
const keyed = KIND === 'pgboss-key' ? await keyedTaker() : undefined;
const q: Taker =
  keyed ??
  (KIND === 'graphile'
    ? await portTaker(await graphileQueue(opts))
    : KIND === 'pgboss'
      ? await portTaker(await postgresQueue(opts))
      : (() => {
          throw new Error(`--queue is pgboss, graphile or pgboss-key, not ${KIND}`);
        })());
try {
  const t = performance.now();
  await q.enqueue(Array.from({ length: LANES }, (_, n) => ({ lane: `tok${n}`, data: { n } })));
  const enqueueMs = performance.now() - t;
  for (;;) {
    const job = await q.take();
    if (!job) break;
    await q.complete(job);
  }
  const t0 = performance.now();
  for (let n = 0; n < 20; n++) if (await q.take()) throw new Error('a job was left on the queue');
  const idle = (performance.now() - t0) / 20;
  await q.enqueue([{ lane: `tok${LANES - 1}`, data: { last: true } }]);
  const t1 = performance.now();
  const last = await q.take();
  const takeLast = performance.now() - t1;
  if (!last) throw new Error('the last lane’s job was not taken');
  await q.complete(last);
  const stall = keyed ? { busy_token_stalls_others: await keyed.stalls() } : {};
  const drain: Record<string, number> = {};
  if (TAKERS > 0 && !keyed) {
    const open = KIND === 'graphile' ? graphileQueue : postgresQueue;
    const more = await Promise.all(Array.from({ length: Math.ceil(TAKERS / 4) - 1 }, () => open(opts)));
    const all = [q, ...(await Promise.all(more.map(portTaker)))];
    await q.enqueue(Array.from({ length: LANES }, (_, n) => ({ lane: `tok${n}`, data: { n } })));
    let left = LANES;
    let empty = 0;
    const t2 = performance.now();
    await Promise.all(
      Array.from({ length: TAKERS }, async (_, k) => {
        const taker = all[Math.floor(k / 4)]!;
        while (left > 0) {
          const job = await taker.take();
          if (!job) {
            empty++;
            await new Promise((r) => setTimeout(r, 5));
            continue;
          }
          left--;
          await taker.complete(job);
        }
      }),
    );
    drain.drain_jobs_per_s = Math.round(LANES / ((performance.now() - t2) / 1000));
    drain.empty_takes_while_waiting = empty;
    for (const t of all.slice(1)) await t.close();
  }
  process.stdout.write(
    `${JSON.stringify({ queue: KIND, lanes: LANES, idle_take_ms: round1(idle), take_last_lane_ms: round1(takeLast), enqueue_ms_per_job: round1(enqueueMs / LANES), ...stall, ...(TAKERS > 0 ? { takers: TAKERS, ...drain } : {}) })}\n`,
  );
} finally {
  await q.close();
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const parts = await admin.query<{ t: string }>(
    "SELECT tablename AS t FROM pg_tables WHERE schemaname = $1 AND tablename LIKE 'j%' AND tablename <> 'job' AND tablename NOT LIKE '\\_%'",
    [schema],
  );
  if (KIND !== 'graphile') for (const { t } of parts.rows) await admin.query(`DROP TABLE IF EXISTS "${schema}"."${t}"`);
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
}
