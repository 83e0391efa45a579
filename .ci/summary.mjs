// Prints the one line CI reads: "N passed, N failed". A test file that failed to load counts as a failure, and so
// does a run that produced no report; skipped tests under CI=true count as failures (nothing may be skipped in CI).
import { readFileSync } from 'node:fs';

const [file, statusArg] = process.argv.slice(2);
const status = Number(statusArg ?? 1);
let passed = 0;
let failed = 0;
try {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed = report.numPassedTests ?? 0;
  failed = (report.numFailedTests ?? 0) + (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  for (const suite of report.testResults ?? []) {
    if (suite.status === 'failed' && (suite.assertionResults ?? []).length === 0) failed += 1;
  }
  if ((report.numPendingTests ?? 0) > 0) console.error(`[ci] ${report.numPendingTests} skipped test(s) counted as failed`);
} catch (err) {
  console.error(`[ci] no test report (${err.message})`);
  failed = Math.max(failed, 1);
}
if (status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
