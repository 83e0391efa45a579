// What an idle worker pays per poll as tokens grow: the PostgreSQL queue (pg-boss, a queue per token's lane) with N
// lanes that have each run one job, then `take()` with nothing to take (averaged over 20), and `take()` of the one job
// enqueued on the last lane. Taking visits the lanes in turn, one fetch each (src/queue/postgres.ts), so both grow with
// N; docs/postgres.md says where that stops suiting. Its own schema, dropped partition by partition at the end (pg-boss
// keeps each lane in a partition of its job table: one DROP SCHEMA over a thousand of them runs out of lock memory).
// Run: npx tsx bench/queue-lanes.ts [--lanes 300] (needs PostgreSQL; one JSON line on stdout)
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { postgresQueue } from '../src/queue/index.js';

const i = process.argv.indexOf('--lanes');
const LANES = i >= 0 ? Number(process.argv[i + 1]) : 300;
const url = process.env.SNAGSYNC_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `bq_${randomBytes(3).toString('hex')}`;

const q = await postgresQueue({ connectionString: url, schema, onError: () => undefined });
try {
  await q.enqueue(Array.from({ length: LANES }, (_, n) => ({ lane: `tok${n}`, data: { n } })));
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
  process.stdout.write(
    `${JSON.stringify({ lanes: LANES, idle_take_ms: Math.round(idle * 10) / 10, take_last_lane_ms: Math.round(takeLast * 10) / 10 })}\n`,
  );
} finally {
  await q.close();
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const parts = await admin.query<{ t: string }>(
    "SELECT tablename AS t FROM pg_tables WHERE schemaname = $1 AND tablename LIKE 'j%' AND tablename <> 'job'",
    [schema],
  );
  for (const { t } of parts.rows) await admin.query(`DROP TABLE IF EXISTS "${schema}"."${t}"`);
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
}
