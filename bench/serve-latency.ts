// `snagsync serve`'s answers while syncs run: 50 API clients on loopback over real sockets, latency with no sync
// running against latency while 3 syncs run, in the same run, for the process executor (a child process per run,
// the default) and the in-process one (how serve ran syncs before) for comparison. Target: p99 with 3 syncs ≤ 1.5 ×
// p99 idle, for the default. Also: how long a run takes to start (POST → 202) with each executor, and what starting
// the run's code costs in a child process against a worker thread (the choice in engine/process-executor.ts).
//
//   npm run build && npx tsx bench/serve-latency.ts [--clients 50] [--seconds 8] [--events 12000] [--executors process,in-process] [--path /api/data_sources]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { benchHome, BIN, startSimProcess, verdict, type BenchHome } from './sync-common.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '8' },
    events: { type: 'string', default: '12000' },
    executors: { type: 'string', default: 'process,in-process' },
    nice: { type: 'string' },
    // What the clients ask for: the default reads the metadata store; /api/openapi.json does not touch it.
    path: { type: 'string', default: '/api/data_sources' },
    syncs: { type: 'string', default: '3' },
  },
});
const CLIENTS = Number(values.clients);
const SECONDS = Number(values.seconds);
const EVENTS = Number(values.events);
const SYNCS = Number(values.syncs);
const EXECUTORS = values.executors.split(',').map((x) => x.trim());
const KEY = randomBytes(24).toString('base64url');

interface Server {
  url: string;
  child: ChildProcess;
  close(): Promise<void>;
}

/** `snagsync serve --json` in its own process, over the bench home, with the executor chosen by environment. */
function startServe(h: BenchHome, executor: string): Promise<Server> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--json', '--no-scheduler'], {
    env: {
      ...h.env,
      SNAGSYNC_SERVER_KEY: KEY,
      SNAGSYNC_RUN_EXECUTOR: executor,
      SNAGSYNC_LOG_LEVEL: 'warn',
      ...(values.nice !== undefined ? { SNAGSYNC_RUN_NICE: values.nice } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      const { url } = JSON.parse(out.slice(0, nl)) as { url: string };
      child.removeAllListeners('exit');
      resolve({
        url,
        child,
        close: () =>
          new Promise<void>((done) => {
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS + 8 });

function call(url: string, method = 'GET', body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      url,
      {
        method,
        agent,
        headers: {
          authorization: `Bearer ${KEY}`,
          ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

interface Latency {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

/** CLIENTS loops, each one request after the other, for `seconds`: every request's latency in ms (added to `times`). */
async function load(base: string, seconds: number, times: number[] = []): Promise<Latency> {
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < until) {
        const t0 = performance.now();
        const r = await call(`${base}${values.path}`);
        if (r.status !== 200) throw new Error(`GET ${values.path}: ${r.status} ${r.body.slice(0, 200)}`);
        times.push(performance.now() - t0);
      }
    }),
  );
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  return { n: times.length, p50: q(0.5), p99: q(0.99), max: times[times.length - 1]! };
}

const ms = (x: number) => `${x.toFixed(1)} ms`;
const pct = (x: number) => `${(100 * x).toFixed(0)} %`;

/** CPU time (user + system, ms) the process has used so far, from /proc (Linux; clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** `load` while sampling the server process's CPU: the share of one core it used over the window. */
async function loadWithCpu(base: string, pid: number, seconds: number, times?: number[]) {
  const c0 = cpuMs(pid);
  const t0 = performance.now();
  const latency = await load(base, seconds, times);
  return { latency, cpu: (cpuMs(pid) - c0) / (performance.now() - t0) };
}

async function runStatus(base: string, id: string): Promise<{ status: string; records_written: number }> {
  const r = JSON.parse((await call(`${base}/api/runs/${id}`)).body) as {
    status: string;
    totals: { records_written: number };
  };
  return { status: r.status, records_written: r.totals.records_written };
}

async function measure(h: BenchHome, sources: string[], executor: string) {
  const server = await startServe(h, executor);
  try {
    await load(server.url, 1); // warm-up: connections open, code paths compiled
    // Idle is measured half before the syncs and half after them, pooled: the machine may be shared, and what else
    // runs on it drifts over a minute; the window with syncs sits between the two halves.
    const idleTimes: number[] = [];
    const pid = server.child.pid!;
    const idleBefore = await loadWithCpu(server.url, pid, SECONDS / 2, idleTimes);
    const starts: number[] = [];
    const ids: string[] = [];
    for (const name of sources) {
      const t0 = performance.now();
      const r = await call(`${server.url}/api/data_sources/${encodeURIComponent(name)}/runs`, 'POST', {
        full_refresh: true,
      });
      starts.push(performance.now() - t0);
      if (r.status !== 202) throw new Error(`start ${name}: ${r.status} ${r.body}`);
      ids.push((JSON.parse(r.body) as { run_id: string }).run_id);
    }
    // Measured once every sync has written something: all of them busy for the whole window.
    for (;;) {
      const st = await Promise.all(ids.map((id) => runStatus(server.url, id)));
      if (st.some((s) => s.status !== 'running')) throw new Error(`a sync ended before the window: raise --events`);
      if (st.every((s) => s.records_written > 0)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const before = await Promise.all(ids.map((id) => runStatus(server.url, id)));
    const { latency: busy, cpu: busyCpu } = await loadWithCpu(server.url, pid, SECONDS);
    const after = await Promise.all(ids.map((id) => runStatus(server.url, id)));
    const allRan = after.every((s) => s.status === 'running');
    const written = after.reduce((n, s, i) => n + s.records_written - before[i]!.records_written, 0);
    for (const id of ids) await call(`${server.url}/api/runs/${id}/cancel`, 'POST');
    for (const id of ids)
      while ((await runStatus(server.url, id)).status === 'running') await new Promise((r) => setTimeout(r, 100));
    const idleAfter = await loadWithCpu(server.url, pid, SECONDS / 2, idleTimes);
    const idle = idleAfter.latency;
    const idleCpu = (idleBefore.cpu + idleAfter.cpu) / 2;
    return { idle, busy, ratio: busy.p99 / idle.p99, allRan, written, starts, idleCpu, busyCpu };
  } finally {
    await server.close();
  }
}

/**
 * The start-up cost behind the executor's choice: from spawning to "the run's modules are loaded" for a child
 * process and for a worker thread importing the same compiled files (the median of 5 each).
 */
async function startupCosts(): Promise<{ process: number; thread: number }> {
  const dist = fileURLToPath(new URL('../dist/', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'snagsync-probe-'));
  const probe = join(dir, 'probe.mjs');
  writeFileSync(
    probe,
    `import { parentPort } from 'node:worker_threads';
await import(${JSON.stringify(join(dist, 'runtime.js'))});
await import(${JSON.stringify(join(dist, 'engine', 'run.js'))});
if (parentPort) parentPort.postMessage('ready'); else { process.send('ready'); process.disconnect(); }
`,
  );
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const viaProcess: number[] = [];
  const viaThread: number[] = [];
  for (let i = 0; i < 5; i++) {
    let t0 = performance.now();
    // execArgv empty for both: this script runs under tsx, whose loader neither needs.
    await new Promise<void>((resolve) => fork(probe, [], { execArgv: [] }).once('message', () => resolve()));
    viaProcess.push(performance.now() - t0);
    t0 = performance.now();
    const w = new Worker(probe, { execArgv: [] });
    await new Promise<void>((resolve) => w.once('message', () => resolve()));
    viaThread.push(performance.now() - t0);
    await w.terminate();
  }
  rmSync(dir, { recursive: true, force: true });
  return { process: median(viaProcess), thread: median(viaThread) };
}

async function main() {
  const sim = await startSimProcess({ orgs: 1, projects: 2, events: EVENTS, 'rate-limit': 1_000_000_000 });
  // The simulator stands in for Bugsnag, whose servers are not on this machine: it gets the lowest priority (nice 19
  // and, on Linux, the idle scheduling class), so that its CPU (generating full reports for 3 syncs) competes with
  // theirs rather than with the answers measured. Both executors are measured with the same setting.
  setPriority(sim.child.pid!, 19);
  if (process.platform === 'linux') spawnSync('chrt', ['--idle', '--pid', '0', String(sim.child.pid)]);
  const h = await benchHome(sim);
  try {
    const sources: string[] = [];
    for (let i = 1; i <= SYNCS; i++) {
      sources.push(
        await h.source({
          name: `busy-${i}`,
          streams: ['events'],
          full_reports: true,
          destination: `sqlite:${join(h.home, `busy-${i}.db`)}`,
        }),
      );
    }
    console.log(
      `snagsync serve: ${CLIENTS} clients on GET ${values.path} for ${SECONDS} s idle (half before, half after), and ${SECONDS} s while ${SYNCS} syncs run (events, full reports, ${2 * EVENTS} events each, simulator in its own process)`,
    );
    const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
    for (const executor of EXECUTORS) {
      const r = await measure(h, sources, executor);
      results[executor] = r;
      console.log(
        `\n${executor}: idle p50 ${ms(r.idle.p50)} p99 ${ms(r.idle.p99)} max ${ms(r.idle.max)} (${r.idle.n} requests)` +
          `\n${' '.repeat(executor.length)}  ${SYNCS} syncs p50 ${ms(r.busy.p50)} p99 ${ms(r.busy.p99)} max ${ms(r.busy.max)} (${r.busy.n} requests; ${r.written} records written meanwhile${r.allRan ? '' : '; a sync ended inside the window: raise --events'})` +
          `\n${' '.repeat(executor.length)}  p99 ratio ${r.ratio.toFixed(2)} ×; server process CPU ${pct(r.idleCpu)} of a core idle, ${pct(r.busyCpu)} with the syncs; run start (POST → 202) ${r.starts.map((x) => x.toFixed(0)).join(', ')} ms`,
      );
    }
    const p = results.process;
    if (p)
      console.log(
        `\ntarget p99(${SYNCS} syncs) ≤ 1.5 × p99(idle) with the process executor: ${p.ratio.toFixed(2)} × ${verdict(p.ratio <= 1.5 && p.allRan)}`,
      );
    const s = await startupCosts();
    console.log(
      `start-up of the run's code (median of 5): child process ${ms(s.process)}, worker thread ${ms(s.thread)}`,
    );
  } finally {
    await h.cleanup();
    await sim.close();
    agent.destroy();
  }
}

await main();
