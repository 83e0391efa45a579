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
  [['audit'], 'limit', '0'],
  [['sources', 'preview', 'some-source', '--stream', 'events'], 'limit', '101'],
  [['sources', 'create', '--name', 'n', '--credential', 'c'], 'concurrency', '9'],
  [['sources', 'create', '--name', 'n', '--credential', 'c'], 'trends-days', '91'],
  [['sources', 'update', 'some-source'], 'concurrency', '0'],
  [['sources', 'update', 'some-source'], 'trends-days', '0'],
  [['sources', 'create', '--name', 'n', '--credential', 'c'], 'events-backfill-threshold', '-1'],
  [['sources', 'update', 'some-source'], 'events-backfill-threshold', '1000000001'],
  [['serve'], 'port', '65536'],
  [['demo'], 'port', '65536'],
  [['worker'], 'concurrency', '0'],
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
  // The option is named once, not also by its config key ("--concurrency: concurrency: …").
  expect(r.stderr).not.toMatch(new RegExp(`--${option}: ${option.replace(/-/g, '_')}:`));
}

describe('a bad numeric option value is exit 3 naming the option, for every command', () => {
  it.each(NUMERIC)('%j --%s (not a number, and out of range)', async (before, option, outOfRange) => {
    const bad = await runCli([...before, `--${option}`, 'abc'], { env });
    expectInvalidValue(bad, option);
    const far = await runCli([...before, `--${option}`, outOfRange], { env });
    expectInvalidValue(far, option);
  });

  it('the table holds every numeric option the CLI offers (found in the help of every command)', async () => {
    const found = new Set<string>();
    const walk = async (path: string[]): Promise<void> => {
      const help = (await runCli([...path, '--help'], { env })).stdout;
      for (const m of help.matchAll(/--([a-z][a-z-]*) <(n|ms)>/g)) found.add(`${path.join(' ')} --${m[1]}`);
      const commands = help.split(/^Commands:$/m)[1] ?? '';
      const subs = [...commands.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
      for (const sub of subs) await walk([...path, sub]);
    };
    await walk([]);
    expect(found.size).toBeGreaterThan(10);
    // Positional arguments and the options before the number are not part of a command's path.
    const covered = new Set(
      NUMERIC.map(
        ([before, option]) =>
          `${before
            .filter((w) => /^[a-z]+$/.test(w))
            .slice(0, 2)
            .join(' ')} --${option}`,
      ),
    );
    expect([...found].filter((f) => !covered.has(f))).toEqual([]);
  }, 120_000);

  it('a malformed command line stays a usage error (exit 2): an option without its value', async () => {
    const r = await runCli(['runs', 'list', '--limit'], { env });
    expect(r.code, r.stderr).toBe(2);
  });
});
