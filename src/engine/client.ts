import { createBugsnagClient, type BugsnagClient } from '../bugsnag/client.js';
import { SnagError } from '../core/errors.js';
import type { ClientEventListener } from '../http/events.js';
import type { RetryPolicy } from '../http/retry.js';
import type { StreamTransport } from '../http/stream-transport.js';
import type { Transport } from '../http/transport.js';
import { nodeTransport } from './transport.js';

/**
 * How the engine talks to Bugsnag for a run. One client per (stream, partition) being read, so that requests and
 * waits are counted where they belong; all clients of a token share the process-wide rate limiter, so together
 * they never exceed what Bugsnag allows the token.
 */
export interface EngineClientOptions {
  /** Bugsnag's rate-limit window (one minute); a simulator can scale it down. */
  rateWindowMs?: number;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  maxInFlight?: number;
  /** Default: node:http(s) with keep-alive (see transport.ts). Tests pass one that scripts or alters answers. */
  transport?: Transport;
  /** Event data downloads (signed links, no token). Default: node:http(s). Tests pass one that alters answers. */
  streamTransport?: StreamTransport;
}

/**
 * Knobs for running against a simulator with scaled-down time (tests, benchmarks, demos). They change pacing only,
 * never what is read: SNAGSYNC_RATE_WINDOW_MS, SNAGSYNC_RETRY_BASE_MS, SNAGSYNC_TIMEOUT_MS.
 */
export function clientOptionsFromEnv(env: NodeJS.ProcessEnv): EngineClientOptions {
  const num = (name: string): number | undefined => {
    const raw = env[name]?.trim();
    if (!raw) return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0)
      throw new SnagError('config', `${name} must be a positive number of milliseconds (got "${raw}").`);
    return n;
  };
  const out: EngineClientOptions = {};
  const windowMs = num('SNAGSYNC_RATE_WINDOW_MS');
  if (windowMs !== undefined) out.rateWindowMs = windowMs;
  const base = num('SNAGSYNC_RETRY_BASE_MS');
  if (base !== undefined) out.retry = { baseDelayMs: base, maxDelayMs: Math.max(base * 8, base) };
  const timeout = num('SNAGSYNC_TIMEOUT_MS');
  if (timeout !== undefined) out.timeoutMs = timeout;
  return out;
}

const defaultTransport = nodeTransport();

export function engineClient(
  token: string,
  host: string,
  options: EngineClientOptions,
  onEvent: ClientEventListener,
  signal: AbortSignal,
): BugsnagClient {
  return createBugsnagClient({
    token,
    host,
    onEvent,
    signal,
    ...(options.rateWindowMs !== undefined ? { rateWindowMs: options.rateWindowMs } : {}),
    ...(options.retry !== undefined ? { retry: options.retry } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.maxInFlight !== undefined ? { maxInFlight: options.maxInFlight } : {}),
    transport: options.transport ?? defaultTransport,
    ...(options.streamTransport !== undefined ? { streamTransport: options.streamTransport } : {}),
  });
}
