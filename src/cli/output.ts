import { redact } from '../core/redact.js';
import { toSnagError, type SnagError } from '../core/errors.js';

/** stdout carries data only; everything for humans (progress, notices, errors) goes to stderr. */
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export const processIo = (): Io => ({
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});

export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${redact(JSON.stringify(value, null, io.stdout.isTTY ? 2 : undefined))}\n`);
}

export function printLine(io: Io, text = ''): void {
  io.stdout.write(`${redact(text)}\n`);
}

export function notice(io: Io, text: string): void {
  io.stderr.write(`${redact(text)}\n`);
}

/** Report a failure the way the user asked for (JSON on stdout with --json) and return its exit code. */
export function reportError(io: Io, err: unknown, json: boolean): number {
  const e: SnagError = toSnagError(err);
  if (json) printJson(io, e.toJSON());
  io.stderr.write(`snagsync: ${e.describe()}\n`);
  if (e.code === 'internal' && io.env.SNAGSYNC_DEBUG && e.cause instanceof Error && e.cause.stack) {
    io.stderr.write(`${redact(e.cause.stack)}\n`);
  }
  return e.exitCode;
}

/** A small fixed-width table for TTY listings. */
export function table(rows: Array<Record<string, string>>, columns: string[]): string {
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...rows.map((r) => line(columns.map((c) => r[c] ?? '')))].join(
    '\n',
  );
}
