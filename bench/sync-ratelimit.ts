// Pacing against a rate limit: the simulator allows L requests per window (the real API: a one-minute window, 30
// requests seen; scaled down to 5 s here). A sync that needs R requests should take at most 1.15 × (R / L) windows
// and get no 429 at all, since Bugsnag announces the limit in X-RateLimit-* headers.
// Why 5 s and not less: with a 1 s window, the CPU time of the sync itself (parsing, writing) on a loaded machine is
// a sizeable part of each window, so the ratio measured the machine, not the pacing (1.955 × with zero waits). With
// 5 s windows the work of a window's requests is a small part of it, and the figure says whether the limiter waits
// as little as it may. The time the sync would take with no limit at all is measured too (same data, same run), so
// the figure can be read against it: windows ≥ that time are CPU, not pacing.
// Run: npm run build && npx tsx bench/sync-ratelimit.ts [--window-ms 5000] [--limits 30,100]
import { join } from 'node:path';
import { startRun } from '../src/engine/index.js';
import { benchHome, startSimProcess, verdict } from './sync-common.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const WINDOW_MS = Number(arg('window-ms', '5000'));
if (!(WINDOW_MS >= 5000)) {
  console.error(
    `--window-ms ${WINDOW_MS}: use 5000 or more (a shorter window measures the machine's load, not the pacing).`,
  );
  process.exit(2);
}
const LIMITS = arg('limits', '30,100').split(',').map(Number);

const results: Array<Record<string, unknown>> = [];
let allOk = true;
for (const limit of LIMITS) {
  // About 12 windows' worth of requests whatever the limit.
  const events = Math.round((limit * 12 * 30) / 2);
  const sim = await startSimProcess({
    orgs: 1,
    projects: 2,
    errors: 40,
    events,
    releases: 10,
    'rate-limit': limit,
    'rate-window-ms': WINDOW_MS,
  });
  const h = await benchHome(sim);
  // The same sync against a simulator with no limit: how long the work itself takes on this machine now.
  const free = await startSimProcess({
    orgs: 1,
    projects: 2,
    errors: 40,
    events,
    releases: 10,
    'rate-limit': 1_000_000_000,
  });
  const hf = await benchHome(free);
  const freeSource = await hf.source({
    name: `free-${limit}`,
    streams: ['events', 'errors', 'releases'],
    events_backfill: 'list',
    destination: `sqlite:${join(hf.home, 'free.db')}`,
  });
  const freeStarted = performance.now();
  const fs = await (await startRun(hf.runtime, freeSource)).done;
  const freeMs = performance.now() - freeStarted;
  if (fs.status !== 'succeeded') throw new Error(`unlimited sync ${fs.status}: ${fs.error?.message}`);
  await hf.cleanup();
  await free.close();
  const source = await h.source({
    name: `rl-${limit}`,
    streams: ['events', 'errors', 'releases'],
    events_backfill: 'list',
    destination: `sqlite:${join(h.home, 'rl.db')}`,
  });
  await sim.resetStats();
  const started = performance.now();
  const s = await (await startRun(h.runtime, source, { client: { rateWindowMs: WINDOW_MS } })).done;
  const ms = performance.now() - started;
  const stats = await sim.stats();
  const r = stats.requests;
  const windows = ms / WINDOW_MS;
  const ideal = r / limit;
  const ratio = windows / ideal;
  const ok = s.status === 'succeeded' && stats.rateLimited === 0 && ratio <= 1.15;
  allOk &&= ok;
  console.log(
    `L=${limit}/window (${WINDOW_MS} ms): R=${r} requests in ${windows.toFixed(2)} windows = ${ratio.toFixed(3)} × R/L (target ≤ 1.15), ` +
      `429s: ${stats.rateLimited} (target 0), waits: ${s.totals.rate_limit_waits}; the same sync with no limit: ${(freeMs / 1000).toFixed(1)} s ${verdict(ok)}`,
  );
  results.push({
    limit,
    window_ms: WINDOW_MS,
    requests: r,
    windows: Number(windows.toFixed(2)),
    ratio: Number(ratio.toFixed(3)),
    rate_limited: stats.rateLimited,
    status: s.status,
    unlimited_ms: Math.round(freeMs),
  });
  await h.cleanup();
  await sim.close();
}
console.log(JSON.stringify(results));
process.exitCode = allOk ? 0 : 1;
