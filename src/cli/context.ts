import type { Command } from 'commander';
import type { Io } from './output.js';

/** What every command group gets: the I/O to use (tests pass their own) and the program to attach to. */
export interface CliContext {
  io: Io;
  program: Command;
  /** Set by a command to the exit code it wants (default 0). */
  setExitCode(code: number): void;
}

export type CommandGroup = (ctx: CliContext) => void;
