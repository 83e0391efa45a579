import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { buildProgram, loadCommand, main } from '../../src/cli/main.js';
import { commaList } from '../../src/cli/options.js';
import type { Io } from '../../src/cli/output.js';
import { EXIT_CODES } from '../../src/core/errors.js';
import { tempDir } from '../store/helpers.js';
import { hostileText } from './arbitraries.js';
import { FEW, RUNS } from './settings.js';

/**
 * Arbitrary option values on the command line, in-process (main with PassThrough streams, a fresh home). The commands
 * fuzzed stop before any request: `sources create` names a credential that does not exist, so a value that passes
 * every check ends in "no such credential" (4), never in a sync.
 */

let home: { dir: string; cleanup(): void };
beforeAll(() => {
  home = tempDir('snagsync-fuzz-cli-');
});
afterAll(() => home.cleanup());

async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  const stderr = new PassThrough();
  let text = '';
  stderr.on('data', (c: Buffer) => {
    text += c.toString();
  });
  const io: Io = { stdout: new PassThrough(), stderr, stdin: new PassThrough(), env: { SNAGSYNC_HOME: home.dir } };
  const code = await main(['node', 'snagsync', ...args], io);
  return { code, stderr: text };
}

// Values as typed or pasted: numbers of every form, durations, lists, hostile text. A leading "-" is an option to
// commander, so values are given as --flag=VALUE, which commander never reads as another option.
const value = fc.oneof(
  hostileText.filter((s) => !s.includes('\u0000')),
  fc.constantFrom('0', '-1', '1.5', '1e3', '0x10', ' 2 ', '', '9'.repeat(400), 'NaN', 'Infinity', '15m', '2w', ','),
  fc.integer().map(String),
  fc.double().map(String),
);

async function sourceCreateFlags(): Promise<string[]> {
  const noop = new PassThrough();
  const io: Io = { stdout: noop, stderr: noop, stdin: noop, env: {} };
  const program = buildProgram(io);
  const sources = await loadCommand(program, COMMANDS.find((c) => c.name === 'sources')!, io, () => {});
  const create = sources.commands.find((c) => c.name() === 'create')!;
  return create.options
    .filter((o) => o.long && (o.required || o.optional))
    .map((o) => o.long!.slice(2))
    .filter((f) => !['credential', 'destination', 'database-url'].includes(f));
}

describe('CLI options, arbitrary values (property)', () => {
  it('commaList never throws and keeps no empty or untrimmed item', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.array(fc.string(), { maxLength: 3 }), (v, previous) => {
        const out = commaList(v, previous);
        expect(out.slice(0, previous.length)).toEqual(previous);
        for (const item of out.slice(previous.length)) expect(item).toBe(item.trim());
        expect(out.slice(previous.length).every((i) => i.length > 0 && !i.includes(','))).toBe(true);
      }),
      RUNS,
    );
  });

  it('sources create --OPTION=VALUE: a config error naming the option, or past every check; never a crash', async () => {
    const flags = await sourceCreateFlags();
    expect(flags).toEqual(expect.arrayContaining(['concurrency', 'lookback', 'filter', 'start-date']));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...flags), value, async (flag, v) => {
        const name = flag === 'name' ? [] : ['--name', 'fuzz'];
        const { code, stderr } = await run(['sources', 'create', ...name, '--credential', 'nope', `--${flag}=${v}`]);
        expect(code, stderr).not.toBe(EXIT_CODES.internal);
        expect([EXIT_CODES.usage, EXIT_CODES.config, EXIT_CODES.missing], stderr).toContain(code);
        if (code === EXIT_CODES.config) expect(stderr).toContain(`--${flag}`);
        if (code === EXIT_CODES.missing) expect(stderr).toMatch(/No credential/);
      }),
      FEW,
    );
  });

  it('runs list --limit=VALUE: a list, or an error naming --limit; never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(value, async (v) => {
        const { code, stderr } = await run(['runs', 'list', `--limit=${v}`]);
        if (code === 0) return;
        expect([EXIT_CODES.usage, EXIT_CODES.config], stderr).toContain(code);
        expect(stderr).toContain('--limit');
      }),
      FEW,
    );
  });
});
