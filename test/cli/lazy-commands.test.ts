import { PassThrough } from 'node:stream';
import { Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { buildProgram, commandIn, loadCommand } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';
import { loadedFiles } from '../helpers/loaded-modules.js';

const io = (): Io => ({ stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env: {} });

describe('commands load lazily', () => {
  it.each([['--version'], ['--help']])('snagsync %s loads only the CLI shell and core (the compiled CLI)', (flag) => {
    const { files } = loadedFiles(['bin/snagsync.js', flag]);
    expect(files).toContain('dist/cli/main.js');
    const ours = files.filter((f) => f.startsWith('dist/'));
    expect(
      ours.filter(
        // The global --database-url option is declared on every command: its module and the env name's (core only).
        (f) =>
          !/^dist\/(cli\/(run|main|output|context|database-url|commands\/index)|core\/(version|errors|redact)|store\/postgres\/url)\.js$/.test(
            f,
          ),
      ),
    ).toEqual([]);
    expect(files.filter((f) => f.includes('node_modules/') && !f.includes('node_modules/commander/'))).toEqual([]);
  });

  it('a command loads its own module and no other command; sync --help needs no engine, store or runtime', () => {
    const { files } = loadedFiles(['bin/snagsync.js', 'streams', '--help']);
    const commands = files.filter((f) => f.startsWith('dist/cli/commands/')).sort();
    expect(commands).toEqual(['dist/cli/commands/index.js', 'dist/cli/commands/streams.js']);
    const sync = loadedFiles(['bin/snagsync.js', 'sync', '--help']).files;
    expect(sync).toContain('dist/cli/commands/sync.js');
    expect(
      sync.filter(
        (f) =>
          (/^dist\/(engine|store|streams|runtime|destinations)\b/.test(f) && f !== 'dist/store/postgres/url.js') ||
          f.includes('node_modules/better-sqlite3'),
      ),
    ).toEqual([]);
  });

  it.each(COMMANDS.map((c) => [c.name]))('%s: its module declares the command it is given', async (name) => {
    const program = buildProgram(io());
    const command = await loadCommand(program, COMMANDS.find((c) => c.name === name)!, io(), () => {});
    expect(command.name()).toBe(name);
    expect(command.description()).toBe(COMMANDS.find((c) => c.name === name)!.description);
    // Either subcommands or an action of its own (commander keeps the handler private: a group has subcommands).
    const declared = command.commands.length + command.options.length + command.registeredArguments.length;
    expect(declared).toBeGreaterThan(0);
  });

  it('finds the command past global options and their values, and after `help`', () => {
    const program = buildProgram(io());
    program.addOption(new Option('--verbose'));
    const at = (args: string[]) => commandIn(program, args)?.name;
    expect(at(['sync', 'prod'])).toBe('sync');
    expect(at(['help', 'sources'])).toBe('sources');
    expect(at(['--database-url', 'runs', 'sync', 'prod'])).toBe('sync');
    expect(at(['--database-url=postgres://x', 'runs', 'list'])).toBe('runs');
    expect(at(['--verbose', 'schedule', 'run-due'])).toBe('schedule');
    expect(at(['--help'])).toBeUndefined();
    expect(at(['no-such-command', 'sync'])).toBeUndefined();
  });
});
