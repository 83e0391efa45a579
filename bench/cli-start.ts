// CLI start-up against Node itself: wall time and peak RSS of the compiled CLI (as `npx snagsync` runs it) for
// `--version`, `--help`, every command's `--help`, and the light commands that print what they read: `streams` (the
// catalog), `credentials list`, `sources list` (an empty home: the store opened and read). Target for every case:
// ≤ 2 × `node -e 0`, measured in the same run, in turns. Also counts the files each loads.
// Prints a table, then one JSON line. Run: npm run build && npx tsx bench/cli-start.ts [--runs 15]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from '../src/cli/commands/index.js';
import { BIN, type Case, filesLoaded, measureInTurns, median, runsFromArgv } from './startup-common.js';

const RUNS = runsFromArgv(15);
const TARGET = 2;

// A throwaway home, so `credentials list` and `sources list` open a store of their own (and never the user's).
const home = mkdtempSync(join(tmpdir(), 'snagsync-cli-start-'));
const env = { SNAGSYNC_HOME: home, SNAGSYNC_DATABASE_URL: '' };

const baseline: Case = { label: 'node -e 0', args: ['-e', '0'] };
const cases: Case[] = [
  baseline,
  ...[
    ['--version'],
    ['--help'],
    ...COMMANDS.map((c) => [c.name, '--help']),
    ['streams'],
    ['credentials', 'list'],
    ['sources', 'list'],
  ].map((args) => ({ label: `snagsync ${args.join(' ')}`, args: [BIN, ...args], env })),
];

try {
  const samples = measureInTurns(cases, RUNS);
  const base = median(samples.get(baseline.label)!.map((s) => s.ms));
  const result: Record<string, { ms: number; mb: number; ratio: number; files: number }> = {};
  let missed = 0;
  console.log(`median of ${RUNS} runs each, in turns`);
  for (const c of cases) {
    const s = samples.get(c.label)!;
    const ms = median(s.map((x) => x.ms));
    const mb = median(s.map((x) => x.mb));
    const ratio = ms / base;
    const files = c === baseline ? 0 : filesLoaded(c);
    result[c.label] = { ms: Math.round(ms), mb: Math.round(mb), ratio: Number(ratio.toFixed(2)), files };
    if (c !== baseline && ratio > TARGET) missed++;
    const verdict = c === baseline ? '' : ratio <= TARGET ? '' : '  (target ≤ 2 ×: MISSED)';
    console.log(
      `${c.label.padEnd(30)} ${String(Math.round(ms)).padStart(5)} ms  ${ratio.toFixed(2)} × node -e 0  peak RSS ${Math.round(mb)} MB  ${String(files).padStart(3)} files${verdict}`,
    );
  }
  console.log(`${cases.length - 1 - missed} of ${cases.length - 1} cases within ${TARGET} × node -e 0`);
  console.log(JSON.stringify({ runs: RUNS, base_ms: Math.round(base), missed, cases: result }));
} finally {
  rmSync(home, { recursive: true, force: true });
}
