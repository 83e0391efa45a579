// Sync throughput of a cluster: 1, 2 and 4 `snagsync worker` processes (each --concurrency 1) over 8 tokens, each
// rate-limited by its own simulator (L requests per 1 s window, scaled down from Bugsnag's minute so a round takes
// seconds), syncing into PostgreSQL through the job queue. Per round: events per second from the first enqueue to the
// last run's end, its ratio to N × the 1-worker rate (target ≥ 0.8 × while tokens outnumber worker slots), 429s
// (none expected) and the peak RSS of each worker (VmHWM). Workers are started and ready before the clock starts.
// Run: npm run build && npx tsx bench/workers.ts [--workers 1,2,4] [--concurrency 1] [--limit 10] [--events 1500]
// (needs PostgreSQL; one JSON line on stdout, one per round on stderr)
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { enqueueRun, followRun, openRunQueue } from '../src/engine/cluster/index.js';
import { createSource } from '../src/engine/sources.js';
import { openRuntime } from '../src/runtime.js';
import { startSimulator, type Simulator } from '../src/sim/index.js';
import { newCredentialId } from '../src/store/index.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const WORKERS = arg('workers', '1,2,4').split(',').map(Number);
const LIMIT = Number(arg('limit', '10'));
const EVENTS = Number(arg('events', '1500'));
const SLOTS = Number(arg('concurrency', '1'));
const TOKENS = 8;
const BIN = fileURLToPath(new URL('../bin/snagsync.js', import.meta.url));
const base = process.env.SNAGSYNC_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const tag = `bw_${randomBytes(3).toString('hex')}`;
const storeUrl = new URL(base);
storeUrl.searchParams.set('schema', `${tag}_store`);
const home = mkdtempSync(join(tmpdir(), 'snagsync-bench-workers-'));
const env: NodeJS.ProcessEnv = {
  SNAGSYNC_HOME: home,
  SNAGSYNC_MASTER_KEY: randomBytes(32).toString('base64'),
  SNAGSYNC_DATABASE_URL: storeUrl.toString(),
  SNAGSYNC_RATE_WINDOW_MS: '1000',
  SNAGSYNC_RETRY_BASE_MS: '50',
};
const schemas: string[] = [`${tag}_store`, `${tag}_store_queue`];

const sims: Simulator[] = [];
for (let i = 0; i < TOKENS; i++)
  sims.push(
    await startSimulator({
      anchor: '2026-01-15T00:00:00Z',
      seed: 500 + i,
      orgs: 1,
      projects: 2,
      errors: 40,
      events: EVENTS,
      releases: 4,
      rateLimit: LIMIT,
      rateWindowMs: 1000,
    }),
  );
const rt = openRuntime({ env: { ...process.env, ...env }, home });
for (let i = 0; i < TOKENS; i++) {
  const t = sims[i]!.tokens.find((x) => x.role === 'admin')!;
  const id = newCredentialId();
  await rt.store.credentials.create({
    id,
    name: `token-${i}`,
    host: sims[i]!.url,
    ...(await rt.vault.seal(id, t.token)),
    verified_status: 'VERIFIED',
    verified_at: new Date(),
    organizations: [],
  });
}
const queue = await openRunQueue({ ...process.env, ...env });

const spawned: ChildProcess[] = [];
function worker(): Promise<{ child: ChildProcess; peakKb: () => number }> {
  const child = spawn(process.execPath, [BIN, 'worker', '--concurrency', String(SLOTS), '--json'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  spawned.push(child);
  let peak = 0;
  const sample = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]));
    } catch {
      // exited
    }
  }, 200);
  child.on('exit', () => clearInterval(sample));
  return new Promise((resolve) => {
    let text = '';
    child.stderr!.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('"worker-start"')) resolve({ child, peakKb: () => peak });
    });
  });
}

interface Round {
  workers: number;
  events: number;
  seconds: number;
  events_per_s: number;
  rate_limited: number;
  peak_rss_mb: number[];
}
const rounds: Round[] = [];
try {
  for (const n of WORKERS) {
    const ws = await Promise.all(Array.from({ length: n }, worker));
    const names: string[] = [];
    for (let i = 0; i < TOKENS; i++) {
      const schema = `${tag}_w${n}_${i}`;
      schemas.push(schema);
      const dest = new URL(base);
      dest.searchParams.set('schema', schema);
      const { source } = await createSource(
        rt,
        { name: `w${n}-${i}`, credential: `token-${i}`, destination: dest.toString(), streams: ['events', 'errors'] },
        { cwd: home },
      );
      names.push(source.name);
    }
    for (const s of sims) s.resetStats();
    const start = performance.now();
    const summaries = await Promise.all(
      names.map(async (name) => {
        const q = await enqueueRun(rt, queue, name);
        return (await followRun(rt, q.runId, { queue, pollMs: 100 })).done;
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    for (const w of ws) w.child.kill('SIGTERM');
    await Promise.all(ws.map((w) => new Promise((r) => w.child.once('exit', r))));
    const events = summaries.reduce(
      (t, s) => t + (s.streams.find((x) => x.stream === 'events')?.records_written ?? 0),
      0,
    );
    const bad = summaries.filter((s) => s.status !== 'succeeded');
    if (bad.length) throw new Error(`runs did not succeed: ${JSON.stringify(bad.map((s) => s.error))}`);
    rounds.push({
      workers: n,
      events,
      seconds: Math.round(seconds * 10) / 10,
      events_per_s: Math.round(events / seconds),
      rate_limited: sims.reduce((t, s) => t + (s.stats().byToken.admin?.rateLimited ?? 0), 0),
      peak_rss_mb: ws.map((w) => Math.round(w.peakKb() / 1024)),
    });
    process.stderr.write(`${JSON.stringify(rounds.at(-1))}\n`);
  }
  const one = rounds.find((r) => r.workers === 1);
  const result = {
    tokens: TOKENS,
    slots_per_worker: SLOTS,
    limit_per_window: LIMIT,
    window_ms: 1000,
    rounds: rounds.map((r) => ({
      ...r,
      vs_linear: one ? Math.round((r.events_per_s / (one.events_per_s * r.workers)) * 100) / 100 : null,
    })),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  for (const c of spawned) if (c.exitCode === null) c.kill('SIGKILL');
  await queue.close();
  await rt.close();
  for (const s of sims) await s.close();
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await admin.end();
  rmSync(home, { recursive: true, force: true });
}
