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

  // What a command's help must not load: the engine that runs syncs (client, runner, preview), the stores, the
  // destinations, their drivers, Fastify and the simulator. Allowed: the declarations that options are generated from
  // (the source configuration and its schedule and intervals, a destination URL's parser, serve's default port and
  // limits: constants, no Fastify) and the URL modules the global --database-url option uses. store, users and tokens
  // still load store modules for their help (not listed).
  const heavy = (files: string[]) =>
    files.filter(
      (f) =>
        (/^dist\/(engine|store|destinations|server|sim|runtime|queue|writeback)\b/.test(f) &&
          !/^dist\/(engine\/(source-config|config|schedule|stream-intervals)|destinations\/(postgres\/)?url|store\/postgres\/url|server\/defaults)\.js$/.test(
            f,
          )) ||
        /node_modules\/(fastify|@fastify|better-sqlite3|pg|pg-copy-streams|pino|cli-progress)\//.test(f),
    );
  const light = COMMANDS.map((c) => c.name).filter((n) => !['store', 'users', 'tokens'].includes(n));

  it.each(light.map((n) => [n]))(
    'snagsync %s --help loads no engine, store, destination, Fastify or simulator',
    (name) => {
      const { files, stdout } = loadedFiles(['bin/snagsync.js', name, '--help']);
      expect(stdout).toContain(`Usage: snagsync ${name}`);
      expect(files).toContain(`dist/cli/commands/${name}.js`);
      expect(heavy(files)).toEqual([]);
    },
  );

  it('snagsync streams prints the catalog from the stream declarations alone (no engine, store or destination)', () => {
    const { files, stdout } = loadedFiles(['bin/snagsync.js', 'streams']);
    expect(stdout).toContain('events');
    expect(heavy(files)).toEqual([]);
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
