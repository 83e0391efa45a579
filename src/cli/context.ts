import type { Command } from 'commander';
import type { Io } from './output.js';

/** What a command's module gets: the I/O to use (tests pass their own) and its command, already named and described. */
export interface CliContext {
  io: Io;
  /** The command to declare arguments, options, subcommands and the action on (its name and description come from commands/index.ts). */
  command: Command;
  /** Set by a command to the exit code it wants (default 0). */
  setExitCode(code: number): void;
}

export type CommandGroup = (ctx: CliContext) => void;
