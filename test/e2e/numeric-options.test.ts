import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { runCli, type CliResult } from '../helpers/cli.js';
import { tempDir } from '../store/helpers.js';

/**
 * One rule for a bad option value (README, "Exit codes"): it is invalid input, exit 3, with a message naming the
 * option — for every numeric option of every command, whether the command checks it or a service does. Exit 2 stays
 * for a malformed command line. The compiled CLI (`npm run build` first).
 */

const home = tempDir('snagsync-cli-numbers-');
const env = { SNAGSYNC_HOME: home.dir, SNAGSYNC_MASTER_KEY: randomBytes(32).toString('base64') };
afterAll(() => home.cleanup());

/** [command line before the option, option, a value out of its range]. */
const NUMERIC: Array<[string[], string, string]> = [
  [['runs', 'list'], 'limit', '0'],
  [['sources', 'preview', 'some-source', '--stream', 'events'], 'limit', '101'],
  [['sources', 'create', '--name', 'n'], 'concurrency', '9'],
  [['sources', 'create', '--name', 'n'], 'trends-days', '91'],
  [['sources', 'update', 'some-source'], 'concurrency', '0'],
  [['sources', 'update', 'some-source'], 'trends-days', '0'],
  [['serve'], 'port', '65536'],
  [['writeback', 'apply', '--credential', 'c', '--from', '-'], 'confirm-above', '-1'],
  [['schedule', 'daemon'], 'tick', '500ms'],
  [['sim'], 'port', '65536'],
  [['sim'], 'seed', '-1'],
  [['sim'], 'orgs', '65'],
  [['sim'], 'projects', '0'],
  [['sim'], 'errors', '0'],
  [['sim'], 'events', '-5'],
  [['sim'], 'releases', '0'],
  [['sim'], 'rate-limit', '0'],
  [['sim'], 'rate-window-ms', '0'],
  [['sim'], 'edr-prepare-ms', '-1'],
  [['sim'], 'edr-max-events', '0'],
];

function expectInvalidValue(r: CliResult, option: string): void {
  expect(r.code, r.stderr).toBe(3);
  expect(r.stderr).toContain(`--${option}`);
  // No raw validator text: a sentence that says what to give.
  expect(r.stderr).not.toMatch(/ZodError|Invalid input|expected number|"code":/);
  expect(r.stdout).toBe('');
}

describe('a bad numeric option value is exit 3 naming the option, for every command', () => {
  it.each(NUMERIC)('%j --%s (not a number, and out of range)', async (before, option, outOfRange) => {
    const bad = await runCli([...before, `--${option}`, 'abc'], { env });
    expectInvalidValue(bad, option);
    const far = await runCli([...before, `--${option}`, outOfRange], { env });
    expectInvalidValue(far, option);
  });

  it('a malformed command line stays a usage error (exit 2): an option without its value', async () => {
    const r = await runCli(['runs', 'list', '--limit'], { env });
    expect(r.code, r.stderr).toBe(2);
  });
});
