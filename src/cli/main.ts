import { Command, CommanderError } from 'commander';
import { VERSION } from '../core/version.js';
import { SnagError } from '../core/errors.js';
import { processIo, reportError, type Io } from './output.js';
import { COMMANDS, type CommandSpec } from './commands/index.js';
import { addDatabaseUrlOption } from './database-url.js';

/**
 * Build the program: global options, and every command named and described but not loaded (`loadCommand` fills one
 * in). Separate from `main` so tests can inspect it.
 */
export function buildProgram(io: Io): Command {
  const program = new Command('snagsync')
    .description('Bugsnag connector: sync Bugsnag data into your own database, and write workflow changes back.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    // Commander never calls process.exit: commands created below inherit this and the output settings.
    .exitOverride();
  addDatabaseUrlOption(program, io);
  for (const spec of COMMANDS) program.command(spec.name).description(spec.description);
  return program;
}

/** Import a command's module and let it declare its arguments, options, subcommands and action. */
export async function loadCommand(
  program: Command,
  spec: CommandSpec,
  io: Io,
  setExitCode: (code: number) => void,
): Promise<Command> {
  const command = program.commands.find((c) => c.name() === spec.name)!;
  const register = await spec.load();
  register({ io, command, setExitCode });
  // Loaded with the command, not with the program: `snagsync --help` stays the CLI shell alone.
  (await import('./examples.js')).addExamples(command);
  return command;
}

/**
 * The command `args` run (`snagsync [global options] NAME …`, or `snagsync help NAME`), found the way commander will
 * find it: the program's own options are skipped with their values.
 */
export function commandIn(program: Command, args: readonly string[]): CommandSpec | undefined {
  const operands: string[] = [];
  for (let i = 0; i < args.length && operands.length < 2; i++) {
    const arg = args[i]!;
    if (arg === '--') break;
    if (arg.startsWith('-') && arg.length > 1) {
      const option = program.options.find((o) => o.long === arg || o.short === arg);
      const takesNext = option && (option.required || (option.optional && !args[i + 1]?.startsWith('-')));
      if (takesNext) i++;
      continue;
    }
    operands.push(arg);
    if (arg !== 'help') break;
  }
  const name = operands[0] === 'help' ? operands[1] : operands[0];
  return COMMANDS.find((c) => c.name === name);
}

/** Run the CLI and resolve to the exit code. Never calls process.exit (the caller decides). */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io);
  const wantsJson = argv.includes('--json');
  try {
    const spec = commandIn(program, argv.slice(2));
    if (spec) await loadCommand(program, spec, io, (c) => (exitCode = c));
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
        return 0;
      return reportErrorQuietly(io, err, wantsJson);
    }
    return reportError(io, err, wantsJson);
  }
}

function reportErrorQuietly(io: Io, err: CommanderError, json: boolean): number {
  // commander already printed its message to stderr; only the JSON form is still owed.
  const e = new SnagError('usage', err.message.replace(/^error: /, ''));
  if (json) io.stdout.write(`${JSON.stringify(e.toJSON())}\n`);
  return e.exitCode;
}
