import type { Clock } from '../../../src/http/clock.js';
import type { Transport, TransportRequest } from '../../../src/http/transport.js';

/**
 * A scripted transport (octokit style): answers are served in order, every request is recorded, and tests assert
 * the exact request sequence. A step can answer, throw (network failure), or hang until the request is aborted.
 */
export type Step =
  | { status: number; headers?: Record<string, string>; body?: unknown }
  | { throws: unknown }
  | { hang: true };

export interface Script {
  transport: Transport;
  calls: TransportRequest[];
  /** "METHOD url" per request, for compact sequence assertions. */
  lines(): string[];
  remaining(): number;
}

export function script(...steps: Step[]): Script {
  const queue = [...steps];
  const calls: TransportRequest[] = [];
  const transport: Transport = async (req) => {
    calls.push(req);
    const step = queue.shift();
    if (!step) throw new Error(`scripted transport: unexpected request ${req.method} ${req.url}`);
    if ('throws' in step) throw step.throws;
    if ('hang' in step) {
      return new Promise((_, reject) => {
        const abort = () => reject(req.signal.reason);
        if (req.signal.aborted) abort();
        else req.signal.addEventListener('abort', abort, { once: true });
      });
    }
    const body = step.body === undefined ? '' : typeof step.body === 'string' ? step.body : JSON.stringify(step.body);
    const headers = new Headers(step.headers ?? {});
    if (typeof step.body !== 'string' && step.body !== undefined && !headers.has('content-type')) {
      headers.set('content-type', 'application/json; charset=utf-8');
    }
    return { status: step.status, headers, body };
  };
  return {
    transport,
    calls,
    lines: () => calls.map((c) => `${c.method} ${c.url}`),
    remaining: () => queue.length,
  };
}

export const ok = (body: unknown, headers: Record<string, string> = {}): Step => ({ status: 200, headers, body });

/** A Node-style system error, as fetch puts on `cause`. */
export function sysError(code: string, message = code): Error {
  const cause = Object.assign(new Error(message), { code });
  return new TypeError('fetch failed', { cause });
}

export interface FakeClock extends Clock {
  sleeps: number[];
  advance(ms: number): void;
}

/** Time that moves only when someone sleeps: waits are recorded and asserted, never slept. */
export function fakeClock(start = Date.UTC(2024, 0, 1, 12, 0, 0), random = 0.5): FakeClock {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now,
    random: () => random,
    sleeps,
    advance(ms) {
      now += ms;
    },
    async sleep(ms, signal) {
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
      sleeps.push(ms);
      now += ms;
    },
  };
}

let counter = 0;
/** A fresh token per test, so process-wide limiters never leak between tests. */
export function testToken(): string {
  counter++;
  return `tok${process.pid}x${counter}xABCDEFabcdef0123456789`;
}
