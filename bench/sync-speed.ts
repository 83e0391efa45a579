// Local sync speed and memory, no rate limit.
//  1. Speed: events synced into SQLite by the engine, against a bare loop that fetches the same pages (plain fetch,
//     following Link) and inserts them with a checkpoint row per page — same simulator, same run. Target ≥ 0.6 ×.
//  2. Memory: peak RSS of `snagsync sync` (a child process, measured by /usr/bin/time) for 100,000 and 1,000,000
//     events. Targets: < 250 MB, and the 1M peak ≤ 1.3 × the 100k peak.
// Run: npm run build && npx tsx bench/sync-speed.ts [--events 150000] [--skip-memory] [--memory-max 1000000]
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startRun } from '../src/engine/index.js';
import { BIN, benchHome, startSimProcess, verdict, type SimProcess } from './sync-common.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const EVENTS = Number(arg('events', '150000'));
const MEMORY_MAX = Number(arg('memory-max', '1000000'));
const skipMemory = process.argv.includes('--skip-memory');

async function bareLoop(sim: SimProcess, projectId: string, file: string): Promise<{ events: number; ms: number }> {
  const token = sim.tokens.find((t) => t.role === 'admin')!.token;
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE events (project_id TEXT, id TEXT, received_at TEXT, data TEXT, PRIMARY KEY (project_id, id))');
  db.exec('CREATE TABLE state (k TEXT PRIMARY KEY, v TEXT)');
  const insert = db.prepare('INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?)');
  const state = db.prepare('INSERT OR REPLACE INTO state VALUES (?, ?)');
  const page = db.transaction((rows: Array<Record<string, unknown>>, next: string | null) => {
    for (const r of rows) insert.run(projectId, r.id as string, r.received_at as string, JSON.stringify(r));
    state.run('events', next);
  });
  let url: string | null = `${sim.url}/projects/${projectId}/events?per_page=30&base=2026-01-15T00:00:00Z`;
  let events = 0;
  const start = performance.now();
  while (url) {
    const res: Response = await fetch(url, { headers: { Authorization: `token ${token}`, 'X-Version': '2' } });
    const rows = (await res.json()) as Array<Record<string, unknown>>;
    const m = /<([^>]+)>\s*;\s*rel="next"/.exec(res.headers.get('link') ?? '');
    url = m ? m[1]! : null;
    page(rows, url);
    events += rows.length;
  }
  const ms = performance.now() - start;
  db.close();
  return { events, ms };
}

async function engine(sim: SimProcess, file: string): Promise<{ events: number; ms: number }> {
  const h = await benchHome(sim);
  try {
    const source = await h.source({ name: 'speed', streams: ['events'], destination: `sqlite:${file}` });
    const run = await startRun(h.runtime, source);
    const s = await run.done;
    if (s.status !== 'succeeded') throw new Error(`engine run ${s.status}: ${s.error?.message}`);
    const events = s.streams.find((x) => x.stream === 'events')!;
    return { events: events.records_written, ms: s.duration_ms };
  } finally {
    await h.cleanup();
  }
}

async function speed(): Promise<{ ratio: number; bare: number; engine: number }> {
  const sim = await startSimProcess({ orgs: 1, projects: 1, errors: 200, events: EVENTS, releases: 1, 'rate-limit': 1_000_000_000 });
  const h = await benchHome(sim);
  const projectId = (await (await fetch(`${sim.url}/__sim`)).json() as { organizations: Array<{ projects: Array<{ id: string }> }> }).organizations[0]!.projects[0]!.id;
  await h.cleanup();
  const dir = (await import('node:fs')).mkdtempSync(join((await import('node:os')).tmpdir(), 'snagsync-speed-'));
  const rate = (x: { events: number; ms: number }) => Math.round(x.events / (x.ms / 1000));
  // Alternate, keep the best of two of each: the same machine noise for both.
  const bares: number[] = [];
  const engines: number[] = [];
  for (let i = 0; i < 2; i++) {
    bares.push(rate(await bareLoop(sim, projectId, join(dir, `bare${i}.db`))));
    engines.push(rate(await engine(sim, join(dir, `engine${i}.db`))));
  }
  await sim.close();
  (await import('node:fs')).rmSync(dir, { recursive: true, force: true });
  const bare = Math.max(...bares);
  const eng = Math.max(...engines);
  return { ratio: eng / bare, bare, engine: eng };
}

/** Peak RSS (MB) of `snagsync sync` reading `events` events, in a child process of its own. */
async function peakRss(events: number): Promise<{ mb: number; seconds: number; records: number }> {
  const sim = await startSimProcess({ orgs: 1, projects: 1, errors: 500, events, releases: 1, 'rate-limit': 1_000_000_000 });
  const h = await benchHome(sim);
  try {
    const source = await h.source({ name: 'mem', streams: ['events'], destination: `sqlite:${join(h.home, 'mem.db')}` });
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-f', 'MAXRSS_KB=%M', process.execPath, BIN, 'sync', source, '--json'], {
      env: { ...h.env, SNAGSYNC_PROGRESS: 'none' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`sync exited ${code}: ${stderr.slice(-2000)}`);
    const kb = Number(/MAXRSS_KB=(\d+)/.exec(stderr)?.[1]);
    const summary = JSON.parse(stdout) as { totals: { records_written: number } };
    return { mb: Math.round(kb / 1024), seconds: Math.round((performance.now() - started) / 100) / 10, records: summary.totals.records_written };
  } finally {
    await h.cleanup();
    await sim.close();
  }
}

const result: Record<string, unknown> = { events: EVENTS };
const s = await speed();
result.bare_events_per_s = s.bare;
result.engine_events_per_s = s.engine;
result.ratio = Number(s.ratio.toFixed(2));
console.log(`speed: engine ${s.engine} events/s, bare loop ${s.bare} events/s → ${s.ratio.toFixed(2)} × (target ≥ 0.6) ${verdict(s.ratio >= 0.6)}`);
if (!skipMemory) {
  const small = await peakRss(100_000);
  console.log(`memory: 100,000 events: peak RSS ${small.mb} MB (${small.records} records in ${small.seconds} s)`);
  const big = await peakRss(MEMORY_MAX);
  console.log(`memory: ${MEMORY_MAX.toLocaleString('en')} events: peak RSS ${big.mb} MB (${big.records} records in ${big.seconds} s)`);
  const under = big.mb < 250;
  const flat = big.mb <= 1.3 * small.mb;
  console.log(`memory: < 250 MB ${verdict(under)}; ≤ 1.3 × the 100k peak (${(big.mb / small.mb).toFixed(2)} ×) ${verdict(flat)}`);
  Object.assign(result, { rss_100k_mb: small.mb, [`rss_${MEMORY_MAX}_mb`]: big.mb, rss_ratio: Number((big.mb / small.mb).toFixed(2)), seconds_big: big.seconds });
}
console.log(JSON.stringify(result));
