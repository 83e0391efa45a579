// Soak: syncs in a loop for a bounded time against the simulator (in its own process) while new events and errors
// arrive and a changing fault mix is injected; reports memory at start and end, handles left open, and whether the
// final data is exactly the simulator's.
//
//   npm run build && node --expose-gc --import tsx bench/soak.ts [--minutes 20]
//
// (--expose-gc lets the memory figures be taken after a full collection; without it they are taken as they are.)
import { join } from 'node:path';
import { startRun } from '../src/engine/index.js';
import { diffKeys, keyOf, simTruth, stored } from '../test/engine/truth.js';
import type { Simulator } from '../src/sim/index.js';
import { benchHome, startSimProcess, verdict } from './sync-common.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}

const minutes = Number(arg('minutes', '20'));
if (!(minutes > 0)) throw new Error('--minutes must be a positive number');
const STREAMS = ['events', 'errors', 'releases'] as const;
// Each pass runs under one of these (the simulator's fault spec: see src/sim/http/faults.ts), in turn.
const FAULT_MIXES = [
  '',
  '500:0.15,reset:0.08',
  'truncate:0.15,502:0.08',
  '429storm:400ms,500:0.1',
  'slow:40ms@0.2,reset:0.05,truncate:0.05',
];

interface Memory {
  rss_mb: number;
  heap_used_mb: number;
}
function memory(): Memory {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
  return { rss_mb: mb(m.rss), heap_used_mb: mb(m.heapUsed) };
}
function handles(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const h of process.getActiveResourcesInfo()) out[h] = (out[h] ?? 0) + 1;
  return out;
}
function moreThan(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(after)) if (n > (before[k] ?? 0)) out[k] = n - (before[k] ?? 0);
  return out;
}

async function control(url: string, path: string, body: unknown, method = 'POST'): Promise<void> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`simulator control ${path}: ${res.status} ${await res.text()}`);
}

async function main(): Promise<void> {
  const sim = await startSimProcess({
    orgs: 1,
    projects: 3,
    errors: 40,
    events: 800,
    releases: 8,
    'rate-limit': 1_000_000,
  });
  const h = await benchHome(sim);
  const dest = `sqlite:${join(h.home, 'soak.db')}`;
  const source = await h.source({ name: 'soak', destination: dest, streams: [...STREAMS] });
  const client = { retry: { baseDelayMs: 10, retries: 6, rateLimitRetries: 8 } };

  // The first pass reads the whole history: memory and handles are taken after it, at the steady state.
  const first = await (await startRun(h.runtime, source, { client })).done;
  const startMemory = memory();
  const startHandles = handles();
  const started = Date.now();
  const deadline = started + minutes * 60_000;
  const runs = {
    total: 1,
    succeeded: first.status === 'succeeded' ? 1 : 0,
    failed: [] as string[],
    retries: first.totals.retries,
  };
  let added = { events: 0, errors: 0 };
  let peakRss = startMemory.rss_mb;
  for (let i = 0; Date.now() < deadline; i++) {
    const events = 1 + (i % 17);
    await control(sim.url, '/__sim/events', { count: events });
    added = { ...added, events: added.events + events };
    if (i % 5 === 0) {
      await control(sim.url, '/__sim/errors', { count: 1, events_per_error: 2 });
      added = { events: added.events + 2, errors: added.errors + 1 };
    }
    await control(sim.url, '/__sim/faults', { spec: FAULT_MIXES[i % FAULT_MIXES.length] });
    const s = await (await startRun(h.runtime, source, { client })).done;
    runs.total++;
    runs.retries += s.totals.retries;
    if (s.status === 'succeeded') runs.succeeded++;
    else runs.failed.push(`${FAULT_MIXES[i % FAULT_MIXES.length]}: ${s.status} ${s.error?.error ?? ''}`);
    peakRss = Math.max(peakRss, process.memoryUsage().rss / 1024 / 1024);
  }
  await control(sim.url, '/__sim/faults', {}, 'DELETE');
  // A last pass with no faults, then the destination against the simulator's own answers.
  const last = await (await startRun(h.runtime, source, { client })).done;
  runs.total++;
  if (last.status === 'succeeded') runs.succeeded++;
  else runs.failed.push(`final: ${last.status} ${last.error?.error ?? ''}`);
  const endMemory = memory();
  const endHandles = handles();

  const served = (await sim.stats()) as Awaited<ReturnType<typeof sim.stats>> & { faults?: Record<string, number> };
  const truth = await simTruth(sim as unknown as Simulator);
  const exactness: Record<string, { expected: number; stored: number; rows: number; missing: number; extra: number }> =
    {};
  for (const stream of STREAMS) {
    const got = await stored(dest, stream, keyOf[stream]);
    const d = diffKeys(truth[stream], got.byKey);
    exactness[stream] = {
      expected: truth[stream].size,
      stored: got.byKey.size,
      rows: got.rows,
      missing: d.missing.length,
      extra: d.extra.length,
    };
  }
  await h.cleanup();
  await sim.close();
  const afterClose = handles();

  const exact = Object.values(exactness).every((e) => e.missing === 0 && e.extra === 0 && e.rows === e.stored);
  const leftOpen = moreThan(afterClose, startHandles);
  const report = {
    minutes,
    runs,
    added,
    simulator: { requests: served.requests, faults_injected: served.faults ?? {} },
    memory: { start: startMemory, end: endMemory, peak_rss_mb: Math.round(peakRss * 10) / 10 },
    handles: { start: startHandles, end: endHandles, after_close: afterClose, left_open: leftOpen },
    exactness,
  };
  console.log(JSON.stringify(report, null, 2));
  console.log(`exact final data (every id once, none missing): ${verdict(exact)}`);
  console.log(`no handle left open after closing: ${verdict(Object.keys(leftOpen).length === 0)}`);
  console.log(
    `memory start → end: RSS ${startMemory.rss_mb} → ${endMemory.rss_mb} MB, heap ${startMemory.heap_used_mb} → ${endMemory.heap_used_mb} MB`,
  );
  process.exitCode = exact && Object.keys(leftOpen).length === 0 ? 0 : 1;
}

await main();
