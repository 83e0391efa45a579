// The metadata store's writes during a sync — a stream's progress upsert and the run's heartbeat, back to back — on
// PostgreSQL against a bare `pg` loop sending the same two statements (the store layer's cost: validation, parsing,
// row mapping), and the SQLite store for context. Also a whole run's bookkeeping (create, 5 streams, finish) per
// second on both. The engine saves a stream's progress at most once a second, so these rates are headroom, not a
// limit on sync speed; on PostgreSQL they are set by the server's commit latency (fsync), which the bare loop shares.
// Run: npx tsx bench/store-pg.ts [pages] [runs]   (needs PostgreSQL: SNAGSYNC_TEST_PG or 127.0.0.1:5432/test; one JSON line)
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { newCredentialId, openPostgresStore, openStore, type Store } from '../src/store/index.js';

const pages = Number(process.argv[2] ?? 500);
const runs = Number(process.argv[3] ?? 100);
const base = process.env.SNAGSYNC_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `snag_bench_store_${randomBytes(4).toString('hex')}`;
const url = new URL(base);
url.searchParams.set('schema', schema);
const dir = mkdtempSync(join(tmpdir(), 'snagsync-bench-store-'));

async function sourceIn(store: Store): Promise<string> {
  const c = await store.credentials.create({
    id: newCredentialId(),
    name: 'bench',
    host: 'https://api.bugsnag.com',
    token_envelope: 'snagsync:v1:bench',
    token_key_id: 'kbench',
    token_last4: 'abcd',
    verified_status: 'UNVERIFIED',
  });
  return (await store.sources.create({ name: 'bench', credential_id: c.id, destination: 'sqlite:/tmp/bench.db' })).id;
}

/** What the engine does per page: the stream's absolute counters, then a heartbeat with the run's totals. */
async function progress(store: Store, sourceId: string): Promise<number> {
  const run = await store.runs.create({ source_id: sourceId, trigger: 'cli' });
  const start = performance.now();
  for (let p = 1; p <= pages; p++) {
    await store.runs.upsertStream({
      run_id: run.id,
      stream: 'events',
      partition: 'project:1',
      records_read: p * 30,
      records_written: p * 30,
      pages: p,
      requests: p,
    });
    await store.runs.heartbeat(run.id, {
      records_read: p * 30,
      records_written: p * 30,
      requests: p,
      rate_limit_wait_ms: 0,
    });
  }
  const ms = performance.now() - start;
  await store.runs.finish(run.id, { status: 'succeeded' });
  return ms;
}

/** The same two statements per page, sent with `pg` directly: no parsing, no validation, no row mapping. */
async function bareProgress(runId: string): Promise<number> {
  const pool = new pg.Pool({
    connectionString: url.toString().replace(/[?&]schema=[^&]*/, ''),
    max: 4,
    options: `-c search_path=${schema}`,
  });
  const start = performance.now();
  for (let p = 1; p <= pages; p++) {
    await pool.query(
      `INSERT INTO run_streams (run_id, stream, "partition", started_at, records_read, records_written, pages, requests) VALUES ($1, 'events', 'project:2', now(), $2, $2, $3, $3)
       ON CONFLICT (run_id, stream, "partition") DO UPDATE SET records_read = excluded.records_read, records_written = excluded.records_written, pages = excluded.pages, requests = excluded.requests
       RETURNING *`,
      [runId, p * 30, p],
    );
    await pool.query(
      `UPDATE runs SET heartbeat_at = now(), records_read = $2, records_written = $2, requests = $3 WHERE id = $1 AND status = 'running' RETURNING id`,
      [runId, p * 30, p],
    );
  }
  const ms = performance.now() - start;
  await pool.end();
  return ms;
}

async function lifecycles(store: Store, sourceId: string): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < runs; i++) {
    const run = await store.runs.create({ source_id: sourceId, trigger: 'schedule' });
    for (const stream of ['organizations', 'projects', 'errors', 'events', 'releases']) {
      await store.runs.upsertStream({
        run_id: run.id,
        stream,
        partition: 'project:1',
        records_read: 10,
        outcome: 'ok',
      });
    }
    await store.runs.finish(run.id, { status: 'succeeded' });
  }
  return performance.now() - start;
}

const pgStore = openPostgresStore(url.toString());
const sqliteStore = openStore({ home: dir, env: {} });
try {
  const pgSource = await sourceIn(pgStore);
  const sqliteSource = await sourceIn(sqliteStore);
  const pgMs = await progress(pgStore, pgSource);
  const bareRun = await pgStore.runs.create({ source_id: pgSource, trigger: 'cli' });
  const bareMs = await bareProgress(bareRun.id);
  await pgStore.runs.finish(bareRun.id, { status: 'succeeded' });
  const sqliteMs = await progress(sqliteStore, sqliteSource);
  const pgLife = await lifecycles(pgStore, pgSource);
  const sqliteLife = await lifecycles(sqliteStore, sqliteSource);
  const perS = (n: number, ms: number) => Math.round(n / (ms / 1000));
  console.log(
    JSON.stringify({
      pages,
      pg_store_pages_per_s: perS(pages, pgMs),
      pg_bare_pages_per_s: perS(pages, bareMs),
      pg_store_vs_bare: Number((bareMs / pgMs).toFixed(2)),
      sqlite_store_pages_per_s: perS(pages, sqliteMs),
      runs,
      pg_runs_per_s: perS(runs, pgLife),
      sqlite_runs_per_s: perS(runs, sqliteLife),
    }),
  );
} finally {
  await pgStore.close();
  await sqliteStore.close();
  rmSync(dir, { recursive: true, force: true });
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
}
