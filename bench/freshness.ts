/**
 * Freshness: how long an event that arrives in Bugsnag (the simulator) takes to be a row in SQLite, and what it costs
 * in requests, for (a) webhooks into `serve`, (b) the continuous poller at 5 and 25 projects with uniform and skewed
 * activity, (c) timed runs `every 1m` (the events stream alone) — one run, side by side (docs/performance.md,
 * "Freshness"). Activity: `uniform`; `skewed` (a fifth of the projects get 80 % of the events); `skewed-95` (95 %);
 * `bursty` (80/20, and each event is, 4 times in 5, from the same project as the one before: bursts of 5 on average,
 * the same long-run shares). `best` is the lowest p95 / sweep any fixed look interval per project can reach for
 * Poisson arrivals at those shares, the quiet projects looked at least every 5 minutes (computed, not measured;
 * bursty arrivals are not Poisson, so its `best` is the 80/20 figure, for reference).
 *
 * The token allows 30 requests a window. Polling time is scaled: the simulator's and the client's window is
 * --window-ms (default 3 s) instead of Bugsnag's minute, so a factor k = 60 000 / window-ms, and every polling lag is
 * reported converted back to real seconds: (row − visible) × k + (visible − arrival), where `visible` is the end of
 * the event's whole second (Bugsnag's times are whole seconds: a list shows an event once its second is over — that
 * part is real time and is not scaled). Events arrive every --every-s real seconds (scaled too). Webhooks are not
 * scaled: their lag is measured as is.
 *
 *   npx tsx bench/freshness.ts [--events 150] [--window-ms 3000] [--every-s 10] [--only webhooks,poll,timed]
 *     [--projects 5,25] [--activities uniform,skewed,skewed-95,bursty]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { createLogger } from '../src/core/log.js';
import { startRun } from '../src/engine/index.js';
import { type PollerHandle, startPoller } from '../src/engine/poller/index.js';
import { createSource } from '../src/engine/sources.js';
import { ensureWebhook } from '../src/engine/webhooks/secret.js';
import { openRuntime, type Runtime } from '../src/runtime.js';
import { buildServer } from '../src/server/app.js';
import { type Simulator, startSimulator } from '../src/sim/index.js';
import { newCredentialId } from '../src/store/index.js';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '150' },
    'window-ms': { type: 'string', default: '3000' },
    'every-s': { type: 'string', default: '10' },
    only: { type: 'string', default: 'webhooks,poll,timed' },
    share: { type: 'string', default: '0.5' },
    projects: { type: 'string', default: '5,25' },
    activities: { type: 'string', default: 'uniform,skewed,skewed-95,bursty' },
  },
});
const EVENTS = Number(args.events);
const WINDOW_MS = Number(args['window-ms']);
const K = 60_000 / WINDOW_MS;
const EVERY_REAL_MS = Number(args['every-s']) * 1000;
const SHARE = Number(args.share);
const LIMIT = 30;
const ONLY = new Set(args.only.split(','));
const ANCHOR = '2026-01-15T00:00:00Z';
const ACTIVITIES = ['uniform', 'skewed', 'skewed-95', 'bursty'] as const;
type Activity = (typeof ACTIVITIES)[number];
const POLL_PROJECTS = args.projects.split(',').map(Number);
const POLL_ACTIVITIES = args.activities
  .split(',')
  .filter((a): a is Activity => (ACTIVITIES as readonly string[]).includes(a));
/** The poller's longest interval for an idle project (its default: 5 windows, 5 minutes real). */
const MAX_INTERVAL_S = 300;

interface Figures {
  scenario: string;
  projects: number;
  activity: Activity;
  events: number;
  lost: number;
  p50_s: number;
  p95_s: number;
  max_s: number;
  requests_per_min: number;
  /** Polling: projects × requests per look ÷ requests per second spent (real seconds). */
  sweep_limit_s: number | null;
  ratio_to_sweep: number | null;
  /** The lowest p95 / sweep fixed intervals can reach at this activity (see the header). */
  best_ratio: number | null;
  goal: string;
  ok: boolean | null;
}

/** A deterministic stream of project picks (see the header for the activities). */
function picker(projects: string[], activity: Activity): () => string {
  let seed = 12345;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const hot = projects.slice(0, Math.max(1, Math.round(projects.length / 5)));
  const cold = projects.slice(hot.length);
  const hotShare = activity === 'skewed-95' ? 0.95 : 0.8;
  let last: string | null = null;
  return () => {
    if (activity === 'uniform' || cold.length === 0) return projects[Math.floor(rnd() * projects.length)]!;
    // A burst goes on (4 times in 5), else a fresh pick: the long-run shares stay 80/20.
    if (activity === 'bursty' && last !== null && rnd() < 0.8) return last;
    last = rnd() < hotShare ? hot[Math.floor(rnd() * hot.length)]! : cold[Math.floor(rnd() * cold.length)]!;
    return last;
  };
}

/**
 * The lowest p95 of lags, as a share of the sweep limit, that looking at each busy project every `a` and each quiet
 * one every `b` (fixed intervals, as many looks as a sweep) reaches for Poisson arrivals with `hotShare` of the
 * events in a fifth of the projects, `b` at most `maxB` sweeps. A lag is uniform on [0, interval): the p95 is where
 * hotShare·(1 − x/a)⁺ + (1 − hotShare)·(1 − x/b)⁺ = 0.05.
 */
function bestRatio(hotShare: number, maxB: number): number {
  const p95 = (a: number, b: number) => {
    let lo = 0;
    let hi = Math.max(a, b);
    for (let i = 0; i < 60; i++) {
      const x = (lo + hi) / 2;
      const over = hotShare * Math.max(0, 1 - x / a) + (1 - hotShare) * Math.max(0, 1 - x / b);
      if (over > 0.05) lo = x;
      else hi = x;
    }
    return hi;
  };
  let best = Number.POSITIVE_INFINITY;
  // A sweep: 0.2/a + 0.8/b = 1 (in sweeps).
  for (let a = 0.2 + 1e-3; a <= 5; a += 1e-3) {
    const b = 0.8 / (1 - 0.2 / a);
    if (b > maxB || b <= 0) continue;
    best = Math.min(best, p95(a, b));
  }
  return Math.round(best * 100) / 100;
}

const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
};
const r1 = (x: number) => Math.round(x * 10) / 10;

interface Home {
  home: string;
  runtime: Runtime;
  credential: string;
  cleanup(): Promise<void>;
}

async function makeHome(sim: Simulator): Promise<Home> {
  const home = mkdtempSync(join(tmpdir(), 'snagsync-fresh-'));
  const env = { ...process.env, SNAGSYNC_HOME: home, SNAGSYNC_MASTER_KEY: randomBytes(32).toString('base64') };
  const runtime = openRuntime({ env, home });
  const t = sim.tokens.find((x) => x.role === 'admin')!;
  const id = newCredentialId();
  await runtime.store.credentials.create({
    id,
    name: 'sim',
    host: sim.url,
    ...(await runtime.vault.seal(id, t.token)),
    verified_status: 'VERIFIED',
    verified_at: new Date(),
    organizations: t.organizations.map((o) => ({ id: o, name: o, slug: null })),
  });
  return {
    home,
    runtime,
    credential: 'sim',
    cleanup: async () => {
      await runtime.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * Adds events at the scaled pace and times each one's row. `scale`: polling lags are converted to real seconds (see
 * the header); webhooks are measured as they are.
 */
async function measure(
  sim: Simulator,
  dbPath: string,
  pick: () => string,
  everyMs: number,
  scale: number,
): Promise<{ lags: number[]; lost: number; elapsedMs: number }> {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  const pending = new Map<string, { arrived: number; visible: number }>();
  const lags: number[] = [];
  const started = Date.now();
  let added = 0;
  let nextAdd = started;
  const deadline = () => started + EVENTS * everyMs + 60 * everyMs;
  const has = db.prepare('SELECT 1 FROM events WHERE id = ?');
  while ((added < EVENTS || pending.size > 0) && Date.now() < deadline()) {
    const now = Date.now();
    if (added < EVENTS && now >= nextAdd) {
      const [e] = sim.addEvents({ projectId: pick() });
      const sec = Date.parse(e!.received_at);
      pending.set(e!.id, { arrived: now, visible: Math.max(now, sec + 1000) });
      added++;
      nextAdd += everyMs;
    }
    for (const [id, t] of pending) {
      if (!has.get(id)) continue;
      const at = Date.now();
      const lag = scale === 1 ? at - t.arrived : Math.max(0, at - t.visible) * scale + (t.visible - t.arrived);
      lags.push(lag / 1000);
      pending.delete(id);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  db.close();
  return { lags, lost: pending.size, elapsedMs: Date.now() - started };
}

async function polling(projects: number, activity: Activity): Promise<Figures> {
  const sim = await startSimulator({
    anchor: ANCHOR,
    orgs: 1,
    projects,
    errors: 5,
    events: 20,
    releases: 1,
    rateLimit: LIMIT,
    rateWindowMs: WINDOW_MS,
  });
  const h = await makeHome(sim);
  const client = { rateWindowMs: WINDOW_MS, retry: { baseDelayMs: 50 } };
  const dbPath = join(h.home, 'poll.db');
  let poller: PollerHandle | undefined;
  try {
    const { source } = await createSource(
      h.runtime,
      {
        name: 'poll',
        credential: h.credential,
        destination: `sqlite:${dbPath}`,
        streams: ['events', 'errors'],
        schedule: 'continuous',
        poll_share: SHARE,
      },
      { cwd: h.home },
    );
    // The full sync a continuous source starts with (the scheduler runs it before the poller).
    const first = await (await startRun(h.runtime, source.name, { client })).done;
    if (first.status !== 'succeeded') throw new Error(`first sync ${first.status}: ${first.error?.message}`);
    // The poller's segment lasts until the next full sync: none during the measurement.
    await h.runtime.store.sources.update(source.id, { next_run_at: new Date(Date.now() + 86_400_000) });
    poller = startPoller(h.runtime, source.id, { client });
    const p = poller;
    await waitFor(() => p.status().projects.every((x) => x.looks > 0), 120 * WINDOW_MS);
    const ids = sim.info().organizations.flatMap((o) => o.projects.map((x) => x.id));
    const s0 = p.status();
    sim.resetStats();
    const m = await measure(sim, dbPath, picker(ids, activity), EVERY_REAL_MS / K, K);
    const s1 = p.status();
    const requests = s1.requests - s0.requests;
    const looks = s1.looks - s0.looks;
    const realSeconds = (m.elapsedMs * K) / 1000;
    const perSecond = requests / realSeconds;
    const sweep = (projects * (requests / looks)) / perSecond;
    const p95 = quantile(m.lags, 0.95);
    const target = activity === 'uniform' ? 1.1 : 0.5;
    const rpm = (sim.stats().requests / realSeconds) * 60;
    return {
      scenario: 'continuous poller',
      projects,
      activity,
      events: m.lags.length,
      lost: m.lost,
      p50_s: r1(quantile(m.lags, 0.5)),
      p95_s: r1(p95),
      max_s: r1(Math.max(...m.lags)),
      requests_per_min: r1(rpm),
      sweep_limit_s: r1(sweep),
      ratio_to_sweep: Math.round((p95 / sweep) * 100) / 100,
      best_ratio:
        activity === 'uniform' ? 0.95 : bestRatio(activity === 'skewed-95' ? 0.95 : 0.8, MAX_INTERVAL_S / sweep),
      goal: `p95 ≤ ${target} × sweep limit, ≤ ${SHARE * LIMIT} requests/min`,
      ok: p95 <= target * sweep && rpm <= SHARE * LIMIT * 1.05 && m.lost === 0,
    };
  } finally {
    poller?.stop();
    await poller?.done;
    await h.cleanup();
    await sim.close();
  }
}

/** Today's way: `every 1m`, the events stream alone — a run, then the next one a minute after it finished. */
async function timed(projects: number): Promise<Figures> {
  const sim = await startSimulator({
    anchor: ANCHOR,
    orgs: 1,
    projects,
    errors: 5,
    events: 20,
    releases: 1,
    rateLimit: LIMIT,
    rateWindowMs: WINDOW_MS,
  });
  const h = await makeHome(sim);
  const client = { rateWindowMs: WINDOW_MS, retry: { baseDelayMs: 50 } };
  const dbPath = join(h.home, 'timed.db');
  const stop = new AbortController();
  try {
    const { source } = await createSource(
      h.runtime,
      { name: 'timed', credential: h.credential, destination: `sqlite:${dbPath}`, streams: ['events'] },
      { cwd: h.home },
    );
    await (await startRun(h.runtime, source.name, { client })).done;
    const loop = (async () => {
      while (!stop.signal.aborted) {
        await (await startRun(h.runtime, source.name, { client, trigger: 'schedule' })).done;
        // As the scheduler does: the next run one interval after this one finished (1 minute, scaled).
        await new Promise((r) => setTimeout(r, WINDOW_MS));
      }
    })();
    const ids = sim.info().organizations.flatMap((o) => o.projects.map((x) => x.id));
    sim.resetStats();
    const m = await measure(sim, dbPath, picker(ids, 'uniform'), EVERY_REAL_MS / K, K);
    stop.abort();
    await loop;
    const realSeconds = (m.elapsedMs * K) / 1000;
    return {
      scenario: 'timed runs, every 1m',
      projects,
      activity: 'uniform',
      events: m.lags.length,
      lost: m.lost,
      p50_s: r1(quantile(m.lags, 0.5)),
      p95_s: r1(quantile(m.lags, 0.95)),
      max_s: r1(Math.max(...m.lags)),
      requests_per_min: r1((sim.stats().requests / realSeconds) * 60),
      sweep_limit_s: null,
      ratio_to_sweep: null,
      best_ratio: null,
      goal: 'baseline',
      ok: null,
    };
  } finally {
    stop.abort();
    await h.cleanup();
    await sim.close();
  }
}

/** The simulator's webhook sender → a `serve` app on loopback → SQLite; real time, no scaling. */
async function webhooks(projects: number): Promise<Figures> {
  const sim = await startSimulator({ anchor: ANCHOR, orgs: 1, projects, errors: 5, events: 20, releases: 1 });
  const h = await makeHome(sim);
  const dbPath = join(h.home, 'hooks.db');
  const app = await buildServer({
    runtime: h.runtime,
    apiKey: randomBytes(24).toString('base64url'),
    logger: createLogger(process.stderr, 'warn'),
    scheduler: false,
  });
  try {
    const { source } = await createSource(
      h.runtime,
      { name: 'hooks', credential: h.credential, destination: `sqlite:${dbPath}`, streams: ['events', 'errors'] },
      { cwd: h.home },
    );
    await (await startRun(h.runtime, source.name, {})).done;
    const w = await ensureWebhook(h.runtime, source.id);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    sim.webhooks.add({
      url: `http://127.0.0.1:${port}/hooks/bugsnag/${source.id}/${w.secret}`,
      triggers: ['exception'],
    });
    const ids = sim.info().organizations.flatMap((o) => o.projects.map((x) => x.id));
    sim.resetStats();
    // Real time: an event every 100 ms, so the run stays short; webhooks cost no API request.
    const m = await measure(sim, dbPath, picker(ids, 'uniform'), 100, 1);
    const p95 = quantile(m.lags, 0.95);
    return {
      scenario: 'webhooks into serve',
      projects,
      activity: 'uniform',
      events: m.lags.length,
      lost: m.lost,
      p50_s: Math.round(quantile(m.lags, 0.5) * 1000) / 1000,
      p95_s: Math.round(p95 * 1000) / 1000,
      max_s: Math.round(Math.max(...m.lags) * 1000) / 1000,
      requests_per_min: r1((sim.stats().requests / (m.elapsedMs / 1000)) * 60),
      sweep_limit_s: null,
      ratio_to_sweep: null,
      best_ratio: null,
      goal: 'p95 ≤ 5 s',
      ok: p95 <= 5 && m.lost === 0,
    };
  } finally {
    await app.close();
    await h.cleanup();
    await sim.close();
  }
}

async function waitFor(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const rows: Figures[] = [];
if (ONLY.has('webhooks')) rows.push(await webhooks(25));
if (ONLY.has('poll')) for (const n of POLL_PROJECTS) for (const a of POLL_ACTIVITIES) rows.push(await polling(n, a));
if (ONLY.has('timed')) rows.push(await timed(25));

console.log(
  JSON.stringify({
    bench: 'freshness',
    window_ms: WINDOW_MS,
    time_scale: K,
    event_every_s: EVERY_REAL_MS / 1000,
    limit_per_min: LIMIT,
    poll_share: SHARE,
    rows,
  }),
);
const head = [
  'scenario',
  'projects',
  'activity',
  'events',
  'p50 s',
  'p95 s',
  'max s',
  'req/min',
  'sweep s',
  'p95/sweep',
  'best',
  'goal',
  'ok',
];
const table = rows.map((r) => [
  r.scenario,
  String(r.projects),
  r.activity,
  `${r.events}${r.lost ? ` (${r.lost} lost)` : ''}`,
  String(r.p50_s),
  String(r.p95_s),
  String(r.max_s),
  String(r.requests_per_min),
  r.sweep_limit_s === null ? '' : String(r.sweep_limit_s),
  r.ratio_to_sweep === null ? '' : String(r.ratio_to_sweep),
  r.best_ratio === null ? '' : String(r.best_ratio),
  r.goal,
  r.ok === null ? '' : r.ok ? 'yes' : 'NO',
]);
const widths = head.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(line(head));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const t of table) console.log(line(t));
console.log(
  `\nPolling lags in real seconds (time scaled ${K} ×: a ${WINDOW_MS} ms window for Bugsnag's minute); an event every ${EVERY_REAL_MS / 1000} s; a token of ${LIMIT} requests/min, the poller's share ${SHARE}.`,
);
