import { EXIT_CODES, SnagError, type ErrorCode } from '../core/errors.js';
import type { RunEvent, RunSummary } from './events.js';
import type { ExecutorStartOptions } from './executor.js';

/**
 * What the server and a run's child process say to each other over the IPC channel (JSON). The token is never in
 * it: the child opens the home, the store and the vault itself and unseals the credential as `startRun` does. The
 * runtime's environment travels here (not in the child's environment or argv) because it may hold the master key
 * and the database URL, which a process listing must not show.
 */
export type ToChild =
  | { type: 'start'; home: string; env: Record<string, string>; source: string; options: ExecutorStartOptions }
  | { type: 'cancel'; reason: string };

export type FromChild =
  | { type: 'started'; runId: string; sourceId: string; sourceName: string; pid: number }
  | { type: 'refused'; error: WireError }
  | { type: 'event'; event: RunEvent }
  | { type: 'done'; summary: RunSummary };

/** A SnagError as it crosses the channel: everything the server's answers use (serverHint included). */
export interface WireError {
  code: string;
  message: string;
  hint?: string;
  serverHint?: string;
  status?: number;
  details?: Record<string, unknown>;
}

export function toWire(err: SnagError): WireError {
  return {
    code: err.code,
    message: err.message,
    ...(err.hint !== undefined ? { hint: err.hint } : {}),
    ...(err.serverHint !== undefined ? { serverHint: err.serverHint } : {}),
    ...(err.status !== undefined ? { status: err.status } : {}),
    ...(Object.keys(err.details).length ? { details: err.details } : {}),
  };
}

export function fromWire(w: WireError): SnagError {
  const code: ErrorCode = w.code in EXIT_CODES ? (w.code as ErrorCode) : 'internal';
  return new SnagError(code, w.message, {
    ...(w.hint !== undefined ? { hint: w.hint } : {}),
    ...(w.serverHint !== undefined ? { serverHint: w.serverHint } : {}),
    ...(w.status !== undefined ? { status: w.status } : {}),
    ...(w.details ? { details: w.details } : {}),
  });
}

/** The runtime's environment without the undefined entries Node's type allows (JSON would drop them anyway). */
export function plainEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === 'string') out[k] = v;
  return out;
}
