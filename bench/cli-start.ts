// CLI start-up: wall time and peak RSS of short commands in a child process (the compiled CLI, as `npx snagsync`
// runs it): `--help` and `--version` (what every command pays: the program with all its command groups) and
// `streams` (a real command: the catalog, printed). Fastify and the simulator are loaded only by serve, sim and demo.
// Run: npm run build && npx tsx bench/cli-start.ts [--runs 15]
import { spawnSync } from 'node:child_process';
import { BIN } from './sync-common.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(process.argv[runsArg + 1]) : 15;

function measure(args: string[]): { ms: number; mb: number } {
  const times: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const r = spawnSync('/usr/bin/time', ['-f', 'MAXRSS_KB=%M', process.execPath, BIN, ...args], { encoding: 'utf8' });
    times.push(performance.now() - started);
    if (r.status !== 0) throw new Error(`snagsync ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    rss.push(Number(/MAXRSS_KB=(\d+)/.exec(r.stderr)?.[1]) / 1024);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { ms: Math.round(median(times)), mb: Math.round(median(rss)) };
}

const result: Record<string, { ms: number; mb: number }> = {};
for (const args of [['--help'], ['--version'], ['streams']]) {
  const m = measure(args);
  result[args.join(' ')] = m;
  console.log(`snagsync ${args.join(' ').padEnd(9)} median of ${RUNS}: ${m.ms} ms, peak RSS ${m.mb} MB`);
}
console.log(JSON.stringify(result));
