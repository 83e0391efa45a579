// Peak RSS of one `snagsync worker` over a 1,000,000-event run (issue: < 250 MB, as for the CLI), into PostgreSQL
// through the job queue, by each path a first sync of that size can take: the bulk backfill (event data requests;
// what `events_backfill = auto` picks at this size) and the list (33,000+ pages of 30). One simulator process (no rate
// limit: this measures memory, not the limit), a PostgreSQL store, queue and destination in their own schemas, one
// worker process with --concurrency 1 started and ready before the run is enqueued; its VmHWM (the kernel's peak of
// resident memory) read once the run has ended. Each round checks the run wrote every event.
// Run: npm run build && npx tsx bench/worker-rss.ts [--events 1000000] [--paths bulk,list]
// (needs PostgreSQL; one JSON line on stdout, progress on stderr)
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { enqueueRun, followRun, openRunQueue } from '../src/engine/cluster/index.js';
import { BIN, benchHome, startSimProcess, verdict } from './sync-common.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const EVENTS = Number(arg('events', '1000000'));
const PATHS = arg('paths', 'bulk,list').split(',') as Array<'bulk' | 'list'>;
const TARGET_MB = 250;
const base = process.env.SNAGSYNC_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const tag = `br_${randomBytes(3).toString('hex')}`;
const schemaUrl = (schema: string) => {
  const u = new URL(base);
  u.searchParams.set('schema', schema);
  return u.toString();
};
const schemas = [`${tag}_store`, `${tag}_store_queue`];
// The bench's runtime (benchHome) and the worker share the PostgreSQL store through the environment.
process.env.SNAGSYNC_DATABASE_URL = schemaUrl(`${tag}_store`);
process.env.SNAGSYNC_PROGRESS = 'none';

const sim = await startSimProcess({
  seed: 7,
  orgs: 1,
  projects: 1,
  errors: 500,
  events: EVENTS,
  releases: 1,
  'rate-limit': 1_000_000,
  'edr-prepare-ms': 500,
});
const h = await benchHome(sim);
const queue = await openRunQueue(h.env);
const spawned: ChildProcess[] = [];

function vmHwmKb(pid: number): number {
  const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

async function startWorker(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, 'worker', '--concurrency', '1', '--json'], {
    env: h.env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  spawned.push(child);
  await new Promise<void>((resolve, reject) => {
    let text = '';
    child.stderr!.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('"worker-start"')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited ${code}: ${text.slice(-2000)}`)));
  });
  return child;
}

const rounds: Array<Record<string, unknown>> = [];
let ok = true;
try {
  for (const path of PATHS) {
    const schema = `${tag}_${path}`;
    schemas.push(schema);
    const source = await h.source({
      name: `rss-${path}`,
      streams: ['events'],
      full_reports: true,
      events_backfill: path,
      destination: schemaUrl(schema),
    });
    const worker = await startWorker();
    const started = performance.now();
    const queued = await enqueueRun(h.runtime, queue, source);
    const summary = await (await followRun(h.runtime, queued.runId, { queue, pollMs: 500 })).done;
    const seconds = (performance.now() - started) / 1000;
    const peakMb = Math.round(vmHwmKb(worker.pid!) / 1024);
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
    const written = summary.streams.find((s) => s.stream === 'events')?.records_written ?? 0;
    const pass = summary.status === 'succeeded' && written === EVENTS && peakMb < TARGET_MB;
    ok &&= pass;
    const round = {
      path,
      status: summary.status,
      events_written: written,
      seconds: Math.round(seconds),
      events_per_s: Math.round(written / seconds),
      requests: summary.totals.requests,
      worker_peak_rss_mb: peakMb,
      verdict: verdict(pass),
    };
    rounds.push(round);
    process.stderr.write(`${JSON.stringify(round)}\n`);
  }
  process.stdout.write(`${JSON.stringify({ events: EVENTS, target_mb: TARGET_MB, rounds })}\n`);
} finally {
  for (const c of spawned) if (c.exitCode === null) c.kill('SIGKILL');
  await queue.close();
  await h.cleanup();
  await sim.close();
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await admin.end();
}
process.exitCode = ok ? 0 : 1;
