import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import type { LevelWithSilent, Logger, pino as Pino } from 'pino';
import { redact } from './redact.js';

export type { Logger };
export type LogLevel = LevelWithSilent;

// pino is required when the first logger is made, not when this module is imported: the client (`snagsync/client`)
// imports this module, and a program that only imports it should not pay for pino.
const requirePino = (): typeof Pino => (createRequire(import.meta.url)('pino') as { pino: typeof Pino }).pino;

/** Paths pino blanks out in structured fields; `redact()` below also filters every serialized line. */
export const REDACT_PATHS = [
  'token',
  'auth_token',
  'authToken',
  'api_key',
  'authorization',
  'password',
  'secret',
  '*.token',
  '*.auth_token',
  '*.authToken',
  '*.api_key',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  'headers.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
];

/** A stream that removes registered secrets from every line before it reaches the real destination. */
export function redactingStream(target: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      target.write(redact(chunk.toString()));
      cb();
    },
  });
}

let root: Logger | undefined;

/** Logs go to stderr (stdout is for data), as JSON lines, with secrets removed. Level from SNAGSYNC_LOG_LEVEL. */
export function getLogger(): Logger {
  root ??= createLogger(process.stderr, (process.env.SNAGSYNC_LOG_LEVEL as LevelWithSilent | undefined) ?? 'warn');
  return root;
}

export function createLogger(target: NodeJS.WritableStream, level: LevelWithSilent = 'info'): Logger {
  return requirePino()(
    { level, base: undefined, redact: { paths: REDACT_PATHS, censor: '[REDACTED]' } },
    redactingStream(target),
  );
}

export function setLogger(logger: Logger): void {
  root = logger;
}
