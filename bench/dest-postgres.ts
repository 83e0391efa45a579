// Upsert rate of the PostgreSQL destination (COPY into a staging table, INSERT … ON CONFLICT DO UPDATE, checkpoint,
// one transaction per page) against a bare COPY of the same rows, in the same pages, into a table of the same shape
// (same columns, types and primary key; one COPY and commit per page, no checkpoint) — measured in the same run.
// Run: npx tsx bench/dest-postgres.ts [--records 100000] [--page-size 100]   (prints one JSON line; target ≥ 0.5 ×)
// The server: SNAGSYNC_BENCH_PG (default postgres://postgres@127.0.0.1:5432/test); a schema of its own, dropped after.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { compileStream } from '../src/destinations/descriptor.js';
import { openDestination } from '../src/destinations/index.js';
import { createTableSql, qualified } from '../src/destinations/postgres/schema.js';
import { EVENTS, pageRecords } from '../test/destinations/fixtures.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const total = arg('records', 100_000);
const pageSize = arg('page-size', 100);
const pages = Math.ceil(total / pageSize);
const server = process.env.SNAGSYNC_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `snag_bench_${randomBytes(4).toString('hex')}`;

const admin = new pg.Client({ connectionString: server });
await admin.connect();

/** COPY text for a page, written plainly: each field read straight off the record (what a hand-written loader does). */
function bareCopyText(records: ReturnType<typeof pageRecords>, now: string): string {
  const esc = (s: string) =>
    /[\\\t\n\r]/.test(s)
      ? s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
      : s;
  let out = '';
  for (const r of records) {
    const app = r.app as { releaseStage?: string };
    out += `${esc(String(r.project_id))}\t${esc(String(r.id))}\t${String(r.received_at)}\t${r.unhandled ? 't' : 'f'}\t${esc(String(r.severity))}\t${esc(String(app.releaseStage))}\t${String(r.error_count)}\t${esc(JSON.stringify(r.tags))}\t${esc(JSON.stringify(r))}\t${now}\tsrc_bench\n`;
  }
  return out;
}

async function bareCopy(): Promise<number> {
  const table = qualified(schema, 'bare_events');
  await admin.query(createTableSql(schema, compileStream({ ...EVENTS, name: 'bare_events' })));
  const c = new pg.Client({ connectionString: server });
  await c.connect();
  const start = performance.now();
  for (let p = 0; p < pages; p++) {
    const text = bareCopyText(pageRecords(p, pageSize), new Date().toISOString());
    await pipeline(Readable.from([text]), c.query(copyFrom(`COPY ${table} FROM STDIN`)));
  }
  const ms = performance.now() - start;
  await c.end();
  return ms;
}

async function destination(version: number): Promise<number> {
  const dest = await openDestination(`${server}${server.includes('?') ? '&' : '?'}schema=${schema}`);
  await dest.prepare([EVENTS]);
  const start = performance.now();
  for (let p = 0; p < pages; p++) {
    await dest.writePage('events', pageRecords(p, pageSize, version), {
      sourceId: 'src_bench',
      partition: 'project:all',
      state: { next: p + 1 },
    });
  }
  const ms = performance.now() - start;
  await dest.close();
  return ms;
}

try {
  await admin.query(`CREATE SCHEMA "${schema}"`);
  // Alternated twice and the better of each kept, so that a busy moment of a shared machine does not decide the ratio.
  const bareRuns: number[] = [];
  const destRuns: number[] = [];
  for (let round = 0; round < 2; round++) {
    await admin.query(`DROP TABLE IF EXISTS ${qualified(schema, 'bare_events')}, ${qualified(schema, 'events')}`);
    bareRuns.push(await bareCopy());
    destRuns.push(await destination(1));
  }
  // The same rows again: every one an update (what a look-back window or a replayed page costs).
  const replayMs = await destination(2);
  const { rows } = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualified(schema, 'events')}`);
  if (Number(rows[0]!.n) !== pages * pageSize)
    throw new Error(`expected ${pages * pageSize} rows, found ${rows[0]!.n}`);
  const bareMs = Math.min(...bareRuns);
  const destMs = Math.min(...destRuns);
  const rate = (ms: number) => Math.round((pages * pageSize) / (ms / 1000));
  console.log(
    JSON.stringify({
      records: pages * pageSize,
      pageSize,
      bare_copy_per_s: rate(bareMs),
      destination_insert_per_s: rate(destMs),
      destination_vs_bare_copy: Number((bareMs / destMs).toFixed(2)),
      destination_update_per_s: rate(replayMs),
      update_vs_bare_copy: Number((bareMs / replayMs).toFixed(2)),
    }),
  );
} finally {
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
}
