// The bulk backfill (streams/backfill.ts) against the list path, three figures (docs/performance.md):
//
//  1. Windows. A project of N events (default 1,000,000) in a simulator process limited to 30 requests per window
//     (Bugsnag's minute scaled to --window-ms, default 5 s): `snagsync sync` of the events stream with
//     `--events-backfill bulk` and full reports, in a child process. Its API requests (everything but the signed
//     downloads, which Bugsnag does not count) give the windows it needs, ceil(requests / 30); its wall time is
//     printed in windows too. The list path is NOT run at N (33,000+ requests): it is measured on a sample project of
//     --sample events (default 30,000) with no limit, list-only, full reports, and its events requests are scaled by
//     N / sample (the list reads 30 events a request whatever the size; planning requests are counted once).
//     Target: the bulk path needs ≥ 50 × fewer windows.
//  2. Peak RSS of that child during the N-event download and write (/usr/bin/time): < 300 MB.
//  3. Parse and write speed: an export of --speed-events (default 100,000) saved gzipped once, served from a file over
//     loopback, then read by (a) the engine's per-page work — the client's readPages (streaming scanner + Event
//     model), the events stream's record, the SQLite destination's writePage with a checkpoint per page (BACKFILL_PAGE_SIZE records) — and
//     (b) a bare loop: a plain http.get, gunzip, the same streaming array scanner (jsonArrayPages; no JSON.parse of
//     the body), and a prepared upsert of the same columns and `_record` plus a checkpoint row per page, in one
//     transaction per page; checked to store the same rows. In turns, --rounds times (default 3); the median of the
//     rounds' ratios. Target ≥ 0.6 ×.
// Run: npm run build && npx tsx bench/backfill.ts [--events 1000000] [--sample 30000] [--window-ms 5000]
//        [--prepare-ms 10000] [--speed-events 100000] [--rounds 3] [--skip-windows | --skip-speed]
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import Database from 'better-sqlite3';
import { createBugsnagClient } from '../src/bugsnag/index.js';
import { openDestination } from '../src/destinations/index.js';
import { compileStream } from '../src/destinations/descriptor.js';
import { createTableSql, STATE_DDL, STATE_TABLE, upsertSql } from '../src/destinations/sqlite/schema.js';
import { startRun } from '../src/engine/index.js';
import { jsonArrayPages } from '../src/http/json-array.js';
import { descriptorOf, getStream } from '../src/streams/catalog.js';
import { BACKFILL_PAGE_SIZE } from '../src/streams/backfill.js';
import { eventRecord } from '../src/streams/events.js';
import { BIN, benchHome, startSimProcess, verdict } from './sync-common.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const has = (name: string) => process.argv.includes(`--${name}`);
const EVENTS = Number(arg('events', '1000000'));
const SAMPLE = Number(arg('sample', '30000'));
const WINDOW_MS = Number(arg('window-ms', '5000'));
const PREPARE_MS = Number(arg('prepare-ms', '10000'));
const SPEED_EVENTS = Number(arg('speed-events', '100000'));
const ROUNDS = Number(arg('rounds', '3'));
const LIMIT = 30;
// The engine's page of a download (records per committed page); the bare loop uses the same.
const PAGE = BACKFILL_PAGE_SIZE;
const result: Record<string, unknown> = { events: EVENTS, limit_per_window: LIMIT, window_ms: WINDOW_MS };
let ok = true;

type Stats = Awaited<ReturnType<Awaited<ReturnType<typeof startSimProcess>>['stats']>>;
/** API requests of the admin token (the signed downloads are not API requests and are not rate limited). */
const apiRequests = (s: Stats) => s.byToken.admin?.requests ?? 0;

async function bulkWindows(): Promise<void> {
  const sim = await startSimProcess({
    seed: 1,
    orgs: 1,
    projects: 1,
    errors: 500,
    events: EVENTS,
    releases: 1,
    'rate-limit': LIMIT,
    'rate-window-ms': WINDOW_MS,
    'edr-prepare-ms': PREPARE_MS,
  });
  const h = await benchHome(sim);
  try {
    const source = await h.source({
      name: 'bulk',
      streams: ['events'],
      full_reports: true,
      events_backfill: 'bulk',
      destination: `sqlite:${join(h.home, 'bulk.db')}`,
    });
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-f', 'MAXRSS_KB=%M', process.execPath, BIN, 'sync', source, '--json'], {
      env: { ...h.env, SNAGSYNC_PROGRESS: 'none', SNAGSYNC_RATE_WINDOW_MS: String(WINDOW_MS) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const ms = performance.now() - started;
    if (code !== 0) throw new Error(`bulk sync exited ${code}: ${stderr.slice(-2000)}`);
    const summary = JSON.parse(stdout) as {
      totals: { records_written: number; requests: number };
      warnings: Array<{ code: string }>;
    };
    const stats = await sim.stats();
    const requests = apiRequests(stats);
    const rssMb = Math.round(Number(/MAXRSS_KB=(\d+)/.exec(stderr)?.[1]) / 1024);
    const windows = Math.ceil(requests / LIMIT);
    Object.assign(result, {
      bulk: {
        records: summary.totals.records_written,
        api_requests: requests,
        endpoints: stats.byToken.admin?.endpoints,
        windows_needed: windows,
        wall_s: Math.round(ms / 100) / 10,
        wall_windows: Math.ceil(ms / WINDOW_MS),
        events_per_s: Math.round(summary.totals.records_written / (ms / 1000)),
        rate_limited: stats.byToken.admin?.rateLimited ?? 0,
        peak_rss_mb: rssMb,
        splits: summary.warnings.filter((w) => w.code === 'backfill-split').length,
      },
    });
    console.log(
      `bulk: ${summary.totals.records_written.toLocaleString('en')} events in ${(ms / 1000).toFixed(0)} s ` +
        `(${Math.ceil(ms / WINDOW_MS)} windows of wall time), ${requests} API requests → ${windows} windows needed; peak RSS ${rssMb} MB`,
    );
    if (summary.totals.records_written !== EVENTS) {
      console.log(`bulk: wrote ${summary.totals.records_written}, expected ${EVENTS}: FAIL`);
      ok = false;
    }
    const under = rssMb < 300;
    console.log(`memory: peak RSS < 300 MB ${verdict(under)}`);
    ok &&= under;
  } finally {
    await h.cleanup();
    await sim.close();
  }
}

async function listSample(): Promise<{ perEvent: number; planning: number }> {
  const sim = await startSimProcess({
    seed: 1,
    orgs: 1,
    projects: 1,
    errors: 500,
    events: SAMPLE,
    releases: 1,
    'rate-limit': 1_000_000_000,
  });
  const h = await benchHome(sim);
  try {
    const source = await h.source({
      name: 'list',
      streams: ['events'],
      full_reports: true,
      events_backfill: 'list',
      destination: `sqlite:${join(h.home, 'list.db')}`,
    });
    const s = await (await startRun(h.runtime, source)).done;
    if (s.status !== 'succeeded') throw new Error(`list sync ${s.status}: ${s.error?.message}`);
    const stats = await sim.stats();
    const events = stats.byToken.admin?.endpoints['GET /projects/{project_id}/events'] ?? 0;
    const all = apiRequests(stats);
    return { perEvent: events / s.totals.records_written, planning: all - events };
  } finally {
    await h.cleanup();
    await sim.close();
  }
}

// --- 3. parse and write speed -----------------------------------------------------------------------------------

type Row = Record<string, unknown>;
const str = (v: unknown) => (v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v));
const bool = (v: unknown) => (v === undefined || v === null ? null : v ? 1 : 0);
const sub = (v: unknown, k: string) => (v !== null && typeof v === 'object' ? (v as Row)[k] : undefined);

function serveFile(file: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    // One download per connection: a kept-alive socket idle across a round could be closed under the next one.
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', Connection: 'close' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${port}/export.json.gz?expires=1&signature=x`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    }),
  );
}

async function engineWrite(url: string, file: string, projectId: string): Promise<number> {
  const dest = await openDestination(`sqlite:${file}`);
  await dest.prepare([descriptorOf(getStream('events'))]);
  const client = createBugsnagClient({
    token: 'bench-token-not-used',
    host: url.replace(/\/export.*/, ''),
    logger: false,
  });
  const start = performance.now();
  let written = 0;
  for await (const page of client.eventDataRequests.readPages(url, { pageSize: PAGE })) {
    const records = page.map((e) => eventRecord(e, projectId));
    written += records.length;
    await dest.writePage('events', records, {
      sourceId: 'src_bench',
      partition: `project:${projectId}`,
      state: { backfill: { request: { id: 'bench', written } } },
    });
  }
  const ms = performance.now() - start;
  await dest.close();
  return ms;
}

async function bareWrite(url: string, file: string, projectId: string): Promise<number> {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const compiled = compileStream(descriptorOf(getStream('events')));
  db.exec(STATE_DDL);
  db.exec(createTableSql(compiled));
  const upsert = db.prepare(upsertSql(compiled));
  const state = db.prepare(
    `INSERT INTO ${STATE_TABLE} (source_id, stream, partition, state, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (source_id, stream, partition) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
  );
  const page = db.transaction((rows: Row[], written: number) => {
    const now = new Date().toISOString();
    for (const e of rows) {
      const first = (e.exceptions as Row[] | undefined)?.[0];
      const r: Row = { ...e, project_id: projectId };
      upsert.run(
        projectId,
        r.id,
        str(r.error_id),
        str(r.received_at ?? r.receivedAt),
        str(e.error_class ?? first?.errorClass ?? first?.error_class ?? null),
        str(e.message ?? first?.message ?? null),
        str(r.severity),
        bool(r.unhandled),
        str(r.context),
        str(sub(r.app, 'releaseStage')),
        str(sub(r.app, 'version')),
        bool(r.is_full_report),
        str(sub(r.user, 'id')),
        str(sub(r.user, 'email')),
        str(sub(r.device, 'osName')),
        str(sub(r.device, 'browserName')),
        JSON.stringify(r),
        now,
        'bare',
        null, // _run_id
      );
    }
    state.run('bare', 'events', `project:${projectId}`, JSON.stringify({ written }), now);
  });
  const start = performance.now();
  const body = await new Promise<http.IncomingMessage>((resolve, reject) =>
    http.get(url, { headers: { 'Accept-Encoding': 'gzip' } }, resolve).once('error', reject),
  );
  let written = 0;
  for await (const rows of jsonArrayPages(body.pipe(createGunzip()), PAGE)) {
    written += rows.length;
    page.immediate(rows as Row[], written);
  }
  const ms = performance.now() - start;
  db.close();
  return ms;
}

function sameRows(a: string, b: string): boolean {
  const read = (f: string) => {
    const db = new Database(f, { readonly: true });
    const rows = db.prepare('SELECT * FROM events ORDER BY project_id, id').all() as Row[];
    db.close();
    return rows.map((r) => JSON.stringify(Object.entries(r).filter(([k]) => k === '_record' || !k.startsWith('_'))));
  };
  const x = read(a);
  const y = read(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

async function speed(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'snagsync-backfill-bench-'));
  const sim = await startSimProcess({
    seed: 1,
    orgs: 1,
    projects: 1,
    errors: 500,
    events: SPEED_EVENTS,
    releases: 1,
    'rate-limit': 1_000_000_000,
    'edr-prepare-ms': 0,
    'edr-max-events': SPEED_EVENTS,
  });
  try {
    const token = sim.tokens.find((t) => t.role === 'admin')!.token;
    const client = createBugsnagClient({ token, host: sim.url, logger: false });
    const info = (await (
      await fetch(`${sim.url}/user/organizations`, { headers: { Authorization: `token ${token}` } })
    ).json()) as Row[];
    const projects = (await (
      await fetch(`${sim.url}/organizations/${info[0]!.id as string}/projects`, {
        headers: { Authorization: `token ${token}` },
      })
    ).json()) as Row[];
    const projectId = projects[0]!.id as string;
    const created = await client.eventDataRequests.create(projectId);
    const { url } = await client.eventDataRequests.waitUntilComplete(projectId, created.id, { initialDelayMs: 10 });
    const gz = join(dir, 'export.json.gz');
    await new Promise<void>((resolve, reject) => {
      http
        .get(url, { headers: { 'Accept-Encoding': 'gzip' } }, (res) =>
          pipeline(res, createWriteStream(gz)).then(resolve, reject),
        )
        .once('error', reject);
    });
    const served = await serveFile(gz);
    const ratios: number[] = [];
    const rates: Array<{ engine: number; bare: number }> = [];
    try {
      for (let r = 0; r < ROUNDS; r++) {
        const e = join(dir, `engine-${r}.db`);
        const b = join(dir, `bare-${r}.db`);
        // In turns: which one goes first alternates, so neither always meets a cold or a warm machine.
        let bareMs: number;
        let engineMs: number;
        if (r % 2 === 0) {
          bareMs = await bareWrite(served.url, b, projectId);
          engineMs = await engineWrite(served.url, e, projectId);
        } else {
          engineMs = await engineWrite(served.url, e, projectId);
          bareMs = await bareWrite(served.url, b, projectId);
        }
        if (r === 0 && !sameRows(e, b)) throw new Error('the engine and the bare loop stored different rows');
        rmSync(e, { force: true });
        rmSync(b, { force: true });
        ratios.push(bareMs / engineMs);
        rates.push({
          engine: Math.round(SPEED_EVENTS / (engineMs / 1000)),
          bare: Math.round(SPEED_EVENTS / (bareMs / 1000)),
        });
        console.log(
          `speed round ${r + 1}: engine ${rates[r]!.engine} events/s, bare loop ${rates[r]!.bare} events/s → ${ratios[r]!.toFixed(2)} ×`,
        );
      }
    } finally {
      await served.close();
    }
    const median = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)]!;
    const pass = median >= 0.6;
    console.log(`speed: median ratio ${median.toFixed(2)} × (target ≥ 0.6) ${verdict(pass)}`);
    ok &&= pass;
    Object.assign(result, {
      speed: {
        events: SPEED_EVENTS,
        gzip_mb: +(statSync(gz).size / 1e6).toFixed(1),
        ratio: +median.toFixed(2),
        ratios: ratios.map((x) => +x.toFixed(2)),
        rates,
      },
    });
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!has('skip-speed')) await speed();
if (!has('skip-windows')) {
  const list = await listSample();
  const listRequests = Math.ceil(list.perEvent * EVENTS) + list.planning;
  const listWindows = Math.ceil(listRequests / LIMIT);
  console.log(
    `list (extrapolated from a ${SAMPLE.toLocaleString('en')}-event sample: ${list.perEvent.toFixed(4)} events requests per event): ` +
      `${listRequests.toLocaleString('en')} requests → ${listWindows.toLocaleString('en')} windows`,
  );
  Object.assign(result, {
    list: {
      sample_events: SAMPLE,
      requests_per_event: +list.perEvent.toFixed(5),
      requests: listRequests,
      windows: listWindows,
    },
  });
  await bulkWindows();
  const bulk = result.bulk as { windows_needed: number };
  const ratio = listWindows / bulk.windows_needed;
  const pass = ratio >= 50;
  console.log(
    `windows: list ${listWindows} / bulk ${bulk.windows_needed} = ${ratio.toFixed(0)} × fewer (target ≥ 50) ${verdict(pass)}`,
  );
  result.windows_ratio = Math.round(ratio);
  ok &&= pass;
}
console.log(JSON.stringify(result));
process.exitCode = ok ? 0 : 1;
