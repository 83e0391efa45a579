/**
 * Simulator scale: start time, memory and pages served per second at 1M and 10M events (10 projects × 100k and
 * × 1M), at the head of the events list and at deep cursors (half-way, and near the oldest event), so a steady cost
 * per page shows. Each size runs in a fresh process (so memory figures are its own); client and simulator share that
 * process (one keep-alive connection per client).
 *
 *   npx tsx bench/sim-scale.ts            # both sizes
 *   npx tsx bench/sim-scale.ts --quick    # 1M only, shorter runs
 */
import { execFileSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { startSimulator, type Simulator } from '../src/sim/index.js';

const ANCHOR = '2026-01-15T00:00:00Z';
const quick = process.argv.includes('--quick');
const SECONDS = quick ? 1.5 : 3;

interface Row {
  size: string;
  startMs: number;
  rssMb: number;
  heapMb: number;
  rates: Record<string, number>;
  rssAfterMb: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function get(sim: Simulator, path: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${sim.url}${path}`,
      { agent, headers: { Authorization: `token ${token}`, 'X-Version': '2' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Pages per second for `seconds`, with `clients` concurrent loops each requesting paths from `pathFor(i)`. */
async function rate(sim: Simulator, token: string, clients: number, pathFor: (i: number) => string): Promise<number> {
  let pages = 0;
  const until = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      let i = c;
      while (performance.now() < until) {
        const r = await get(sim, pathFor(i), token);
        if (r.status !== 200) throw new Error(`${pathFor(i)} → ${r.status} ${r.body.slice(0, 200)}`);
        pages++;
        i += clients;
      }
    }),
  );
  return Math.round(pages / SECONDS);
}

async function measure(perProject: number): Promise<Row> {
  global.gc?.();
  const t0 = performance.now();
  const sim = await startSimulator({
    orgs: 1,
    projects: 10,
    events: perProject,
    errors: 200,
    seed: 7,
    anchor: ANCHOR,
    rateLimit: 1e12,
  });
  const startMs = performance.now() - t0;
  const mem = process.memoryUsage();
  const token = sim.tokens[0]!.token;
  const projects = sim.info().organizations[0]!.projects.map((p) => p.id);
  const anchorSec = Date.parse(ANCHOR) / 1000;
  const history = Math.max(30 * 86_400, perProject);
  const cursor = (p: string, fraction: number) => {
    // A cursor at `fraction` of the way back through history, as a client following next links would hold.
    const ts = new Date((anchorSec - Math.floor(history * fraction)) * 1000).toISOString().replace('.000Z', 'Z');
    return `/projects/${p}/events?base=${ANCHOR}&offset%5Bcount%5D=1&offset%5Btimestamp%5D=${ts}&offset%5Btotal_count%5D=${perProject}`;
  };
  const pick = (i: number) => projects[i % projects.length]!;
  // Warm up the per-project structures (what a first request does) before timing.
  for (const p of projects) await get(sim, `/projects/${p}/events`, token);
  await rate(sim, token, 1, (i) => cursor(pick(i), (i % 100) / 100)); // JIT warm-up, not reported
  const rates: Record<string, number> = {
    'events head': await rate(sim, token, 1, (i) => `/projects/${pick(i)}/events`),
    'events 50% deep': await rate(sim, token, 1, (i) => cursor(pick(i), 0.5)),
    'events 99.9% deep': await rate(sim, token, 1, (i) => cursor(pick(i), 0.999)),
    'events deep, 8 clients': await rate(sim, token, 8, (i) => cursor(pick(i), 0.25 + ((i * 7919) % 700) / 1000)),
    'full reports 99.9% deep': await rate(sim, token, 1, (i) => `${cursor(pick(i), 0.999)}&full_reports=true`),
    'errors (sorted, since 7d)': await rate(
      sim,
      token,
      1,
      (i) =>
        `/projects/${pick(i)}/errors?per_page=100&filters%5Bevent.since%5D%5B%5D%5Btype%5D=eq&filters%5Bevent.since%5D%5B%5D%5Bvalue%5D=${new Date((anchorSec - 7 * 86_400) * 1000).toISOString()}`,
    ),
  };
  const after = process.memoryUsage();
  await sim.close();
  return {
    size: `10 × ${perProject.toLocaleString('en-US')} = ${(perProject * 10).toLocaleString('en-US')} events`,
    startMs: Math.round(startMs * 10) / 10,
    rssMb: Math.round(mem.rss / 1_048_576),
    heapMb: Math.round(mem.heapUsed / 1_048_576),
    rates,
    rssAfterMb: Math.round(after.rss / 1_048_576),
  };
}

const one = process.argv.indexOf('--size');
if (one !== -1) {
  // Child: measure one size and report JSON on stdout.
  const r = await measure(Number(process.argv[one + 1]));
  agent.destroy();
  process.stdout.write(JSON.stringify(r));
} else {
  const sizes = quick ? [100_000] : [100_000, 1_000_000];
  const results: Row[] = sizes.map((n) => {
    const args = [
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      '--size',
      String(n),
      ...(quick ? ['--quick'] : []),
    ];
    return JSON.parse(
      execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }),
    ) as Row;
  });
  agent.destroy();
  const names = Object.keys(results[0]!.rates);
  console.log(
    `node ${process.version}, ${SECONDS}s per figure, one process per size, client and simulator in that process\n`,
  );
  console.log(
    `| data | start | RSS / heap after start | RSS after load | ${names.map((n) => `${n} (pages/s)`).join(' | ')} |`,
  );
  console.log(`|---|---|---|---|${names.map(() => '---').join('|')}|`);
  for (const r of results) {
    console.log(
      `| ${r.size} | ${r.startMs} ms | ${r.rssMb} MB / ${r.heapMb} MB | ${r.rssAfterMb} MB | ${names.map((n) => r.rates[n]).join(' | ')} |`,
    );
  }
}
