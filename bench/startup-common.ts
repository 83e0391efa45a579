// Shared by cli-start.ts and import-cost.ts: start short-lived Node processes in turns (round robin, so that a load
// spike on a shared machine falls on every case alike) and report medians.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const BIN = join(ROOT, 'bin/snagsync.js');
const LOAD_HOOK = join(ROOT, 'test/helpers/record-loads.mjs');

export interface Case {
  label: string;
  /** Arguments to `node`. */
  args: string[];
  /** Added to the environment of the process (e.g. a throwaway SNAGSYNC_HOME). */
  env?: Record<string, string>;
}

export interface Sample {
  /** Wall time of the whole process, spawn to exit. */
  ms: number;
  /** Peak resident memory of the process. */
  mb: number;
  /** What the process printed on stdout (some cases time themselves and print it). */
  stdout: string;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export function runsFromArgv(fallback: number): number {
  const at = process.argv.indexOf('--runs');
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

function sample(c: Case): Sample {
  const started = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'MAXRSS_KB=%M', process.execPath, ...c.args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...c.env },
  });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`${c.label} exited ${r.status}: ${r.stderr}`);
  return { ms, mb: Number(/MAXRSS_KB=(\d+)/.exec(r.stderr)?.[1]) / 1024, stdout: r.stdout };
}

/** Every case `runs` times, in turns; one warm-up round first (file cache), not counted. */
export function measureInTurns(cases: Case[], runs: number): Map<string, Sample[]> {
  const samples = new Map(cases.map((c) => [c.label, [] as Sample[]]));
  for (const c of cases) sample(c);
  for (let i = 0; i < runs; i++) for (const c of cases) samples.get(c.label)!.push(sample(c));
  return samples;
}

/** How many files (modules of snagsync and its dependencies, as the ESM loader sees them) the case loads. */
export function filesLoaded(c: Case): number {
  const dir = mkdtempSync(join(tmpdir(), 'snagsync-bench-'));
  try {
    const file = join(dir, 'loads.txt');
    const r = spawnSync(process.execPath, ['--import', LOAD_HOOK, ...c.args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, ...c.env, SNAGSYNC_LOADS_FILE: file },
    });
    if (r.status !== 0) throw new Error(`${c.label} exited ${r.status}: ${r.stderr}`);
    return new Set(
      readFileSync(file, 'utf8')
        .split('\n')
        .filter((u) => u.startsWith('file:')),
    ).size;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
