// CLI start-up against Node itself: wall time and peak RSS of the compiled CLI (as `npx snagsync` runs it) for
// `--version` and `--help` (target: ≤ 2 × `node -e 0`, measured in the same run, in turns), and for information
// `streams` (a real command: the catalog, printed) and `sync --help` (a command's own help loads that command).
// Also counts the files each loads. Run: npm run build && npx tsx bench/cli-start.ts [--runs 15]
import { BIN, type Case, filesLoaded, measureInTurns, median, runsFromArgv } from './startup-common.js';

const RUNS = runsFromArgv(15);
const TARGET = 2;

const baseline: Case = { label: 'node -e 0', args: ['-e', '0'] };
const cases: Case[] = [
  baseline,
  ...[['--version'], ['--help'], ['streams'], ['sync', '--help']].map((args) => ({
    label: `snagsync ${args.join(' ')}`,
    args: [BIN, ...args],
  })),
];

const samples = measureInTurns(cases, RUNS);
const base = median(samples.get(baseline.label)!.map((s) => s.ms));
const result: Record<string, { ms: number; mb: number; ratio: number; files: number }> = {};
console.log(`median of ${RUNS} runs each, in turns`);
for (const c of cases) {
  const s = samples.get(c.label)!;
  const ms = median(s.map((x) => x.ms));
  const mb = median(s.map((x) => x.mb));
  const ratio = ms / base;
  const files = c === baseline ? 0 : filesLoaded(c);
  result[c.label] = { ms: Math.round(ms), mb: Math.round(mb), ratio: Number(ratio.toFixed(2)), files };
  const verdict =
    c.args.length === 2 && (c.args[1] === '--version' || c.args[1] === '--help')
      ? ratio <= TARGET
        ? '  (target ≤ 2 ×: met)'
        : '  (target ≤ 2 ×: MISSED)'
      : '';
  console.log(
    `${c.label.padEnd(22)} ${String(Math.round(ms)).padStart(5)} ms  ${ratio.toFixed(2)} × node -e 0  peak RSS ${Math.round(mb)} MB  ${files} files${verdict}`,
  );
}
console.log(JSON.stringify(result));
