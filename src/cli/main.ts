import { Command, CommanderError } from 'commander';
import { VERSION } from '../core/version.js';
import { SnagError } from '../core/errors.js';
import { processIo, reportError, type Io } from './output.js';
import { COMMAND_GROUPS } from './commands/index.js';
import { addDatabaseUrlOption } from './database-url.js';

/** Build the program; separate from `main` so tests can inspect it. */
export function buildProgram(io: Io, setExitCode: (code: number) => void): Command {
  const program = new Command('snagsync')
    .description('Bugsnag connector: sync Bugsnag data into your own database, and write workflow changes back.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride();
  addDatabaseUrlOption(program, io);
  for (const register of COMMAND_GROUPS) register({ io, program, setExitCode });
  // Subcommands inherit the output settings and the override so that commander never calls process.exit.
  const propagate = (cmd: Command) => {
    for (const sub of cmd.commands) {
      sub.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
      propagate(sub);
    }
  };
  propagate(program);
  return program;
}

/** Run the CLI and resolve to the exit code. Never calls process.exit (the caller decides). */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (c) => (exitCode = c));
  const wantsJson = argv.includes('--json');
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
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
