// What importing the library costs: the time `await import(…)` takes in a fresh process (timed inside it), for the
// client entry (`snagsync/client`) against the whole package (`snagsync`) in the same run, in turns, plus the other
// entries, the files each loads and the process's peak RSS. Resolved through package.json's exports from dist/.
// Run: npm run build && npx tsx bench/import-cost.ts [--runs 15]
import { type Case, filesLoaded, measureInTurns, median, runsFromArgv } from './startup-common.js';

const RUNS = runsFromArgv(15);
const SPECIFIERS = ['snagsync/client', 'snagsync', 'snagsync/engine', 'snagsync/sim', 'snagsync/server'];

const timed = (specifier: string): Case => ({
  label: specifier,
  args: [
    '--input-type=module',
    '-e',
    `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String(performance.now() - t));`,
  ],
});
const cases = SPECIFIERS.map(timed);

const samples = measureInTurns(cases, RUNS);
const importMs = (label: string) => median(samples.get(label)!.map((s) => Number(s.stdout)));
const whole = importMs('snagsync');
const result: Record<string, { import_ms: number; process_ms: number; mb: number; files: number; of_whole: number }> =
  {};
console.log(`median of ${RUNS} runs each, in turns; import time measured inside the process`);
for (const c of cases) {
  const s = samples.get(c.label)!;
  const ms = importMs(c.label);
  const row = {
    import_ms: Math.round(ms),
    process_ms: Math.round(median(s.map((x) => x.ms))),
    mb: Math.round(median(s.map((x) => x.mb))),
    files: filesLoaded(c),
    of_whole: Number((ms / whole).toFixed(2)),
  };
  result[c.label] = row;
  console.log(
    `import ${c.label.padEnd(16)} ${String(row.import_ms).padStart(5)} ms (${row.of_whole.toFixed(2)} × snagsync)  process ${row.process_ms} ms  peak RSS ${row.mb} MB  ${row.files} files`,
  );
}
console.log(`client / whole package: ${(importMs('snagsync/client') / whole).toFixed(2)}`);
console.log(JSON.stringify(result));
