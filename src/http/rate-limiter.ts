import { createHash } from 'node:crypto';
import { abortReason } from '../core/sleep.js';
import { systemClock, type Clock } from './clock.js';
import type { ClientEventListener } from './events.js';
import { parseRetryAfter } from './retry.js';

/**
 * One limiter per token (and API origin), shared by every client in the process that uses that token, because
 * Bugsnag counts requests per token, not per client. It:
 *  - learns `X-RateLimit-Limit` / `X-RateLimit-Remaining` from answers (header names in any case),
 *  - counts what it lets through, and waits for the window to roll over before it would exceed the limit,
 *  - honours a block set after a 429 (Retry-After) for every request on the token,
 *  - caps requests in flight, so that a learned "remaining" is not raced past by parallel callers.
 * Bugsnag sends no reset time, so the window is estimated from the answer to the first request sent in it: the
 * server opened its window before it answered, so the estimated reset is never early (plus a small margin).
 * Nor does it send the window's length. Unless told (`windowMs`), the limiter assumes Bugsnag's minute until the
 * server says otherwise: when the budget runs out it sends one request instead of waiting a whole assumed minute, and
 * the 429's Retry-After, added to the time spent in the window, is the window's length (at most a minute). Against
 * Bugsnag that costs one 429 per token and process; against a simulator with a 1 s window, waits of about 1 s.
 */
export interface RateLimiterOptions {
  /** Length of Bugsnag's rate-limit window. One minute in production; the simulator can scale it down. */
  windowMs?: number;
  /** Requests in flight at once for this token. */
  maxInFlight?: number;
  clock?: Clock;
}

export const DEFAULT_RATE_WINDOW_MS = 60_000;
export const DEFAULT_MAX_IN_FLIGHT = 2;

export interface RateLimitTicket {
  readonly seq: number;
  readonly sentAt: number;
  release(): void;
}

export interface RateLimiterState {
  limit?: number;
  remaining?: number;
  windowStart?: number;
  blockedUntil?: number;
  inFlight: number;
}

/** A limiter's learned budget, as another process can adopt it (times are epoch milliseconds). */
export interface RateLimitBudget {
  limit?: number;
  remaining?: number;
  windowStart?: number;
  blockedUntil?: number;
}

export class RateLimiter {
  private windowMs: number;
  /** Where windowMs comes from: given by the caller, learned from a 429, or Bugsnag's minute assumed. */
  private windowFrom: 'configured' | 'learned' | 'assumed' = 'assumed';
  /** A request sent past the budget to learn the window, while it is in flight. */
  private probing = false;
  private maxInFlight: number;
  private readonly clock: Clock;
  private limit: number | undefined;
  private remaining: number | undefined;
  private windowStart: number | undefined;
  private blockedUntil = 0;
  private inFlight = 0;
  private seq = 0;
  private lastObservedSeq = -1;
  private readonly waiters: Array<() => void> = [];

  constructor(options: RateLimiterOptions = {}) {
    this.windowMs = DEFAULT_RATE_WINDOW_MS;
    this.maxInFlight = DEFAULT_MAX_IN_FLIGHT;
    this.clock = options.clock ?? systemClock;
    this.configure(options);
  }

  configure(options: Pick<RateLimiterOptions, 'windowMs' | 'maxInFlight'>): void {
    if (options.windowMs !== undefined) {
      if (!(options.windowMs > 0)) throw new RangeError('rate-limit windowMs must be positive');
      this.windowMs = options.windowMs;
      this.windowFrom = 'configured';
    }
    if (options.maxInFlight !== undefined) {
      if (!(options.maxInFlight >= 1)) throw new RangeError('rate-limit maxInFlight must be at least 1');
      this.maxInFlight = Math.floor(options.maxInFlight);
    }
  }

  get window(): number {
    return this.windowMs;
  }

  /** Whether the window was given, learned from the server's answers, or is Bugsnag's minute assumed. */
  get windowSource(): 'configured' | 'learned' | 'assumed' {
    return this.windowFrom;
  }

  state(): RateLimiterState {
    const s: RateLimiterState = { inFlight: this.inFlight };
    if (this.limit !== undefined) s.limit = this.limit;
    if (this.remaining !== undefined) s.remaining = this.remaining;
    if (this.windowStart !== undefined) s.windowStart = this.windowStart;
    if (this.blockedUntil > 0) s.blockedUntil = this.blockedUntil;
    return s;
  }

  /**
   * What this limiter learned about the token's budget, in wall-clock milliseconds, for another process to adopt: in
   * a cluster the token's next unit may run on another worker, and must not relearn the budget with a burst.
   */
  budget(): RateLimitBudget {
    const b: RateLimitBudget = {};
    if (this.limit !== undefined) b.limit = this.limit;
    if (this.remaining !== undefined) b.remaining = this.remaining;
    if (this.windowStart !== undefined) b.windowStart = this.windowStart;
    if (this.blockedUntil > 0) b.blockedUntil = this.blockedUntil;
    return b;
  }

  /** Takes over a budget learned elsewhere (the token's previous unit, on any worker): it is the freshest word. */
  adopt(b: RateLimitBudget): void {
    if (b.limit !== undefined) this.limit = b.limit;
    this.remaining = b.remaining;
    this.windowStart = b.windowStart;
    if (b.blockedUntil !== undefined) this.blockedUntil = Math.max(this.blockedUntil, b.blockedUntil);
  }

  /** Wait (reporting every wait through `emit`) until a request may be sent, then reserve it. */
  async acquire(signal: AbortSignal | undefined, emit: ClientEventListener): Promise<RateLimitTicket> {
    for (;;) {
      if (signal?.aborted) throw abortReason(signal);
      if (this.inFlight >= this.maxInFlight) {
        await this.waitForSlot(signal);
        continue;
      }
      const now = this.clock.now();
      if (this.blockedUntil > now) {
        const ms = this.blockedUntil - now;
        emit({ type: 'rate-limit-wait', ms, reason: 'retry-after', ...this.figures() });
        await this.clock.sleep(ms, signal);
        continue;
      }
      this.rollWindow(now);
      let probe = false;
      if (this.remaining !== undefined && this.remaining <= 0 && this.windowFrom === 'assumed') {
        // Out of budget in a window of unknown length: one request alone asks the server how long is left.
        if (this.probing || this.inFlight > 0) {
          await this.waitForSlot(signal);
          continue;
        }
        probe = true;
      }
      if (!probe && this.remaining !== undefined && this.remaining <= 0) {
        const start = (this.windowStart ??= now);
        const ms = Math.max(1, start + this.windowMs + this.margin() - now);
        emit({ type: 'rate-limit-wait', ms, reason: 'limit-reached', ...this.figures() });
        await this.clock.sleep(ms, signal);
        continue;
      }
      this.inFlight++;
      if (this.remaining !== undefined && this.remaining > 0) this.remaining--;
      this.windowStart ??= now;
      if (probe) this.probing = true;
      const ticket = { seq: ++this.seq, sentAt: now, released: false };
      return {
        seq: ticket.seq,
        sentAt: ticket.sentAt,
        release: () => {
          if (ticket.released) return;
          ticket.released = true;
          if (probe) this.probing = false;
          this.inFlight--;
          this.waiters.shift()?.();
        },
      };
    }
  }

  /** Learn from an answer's rate-limit headers. Returns what was learned, for reporting. */
  observe(
    ticket: RateLimitTicket,
    headers: Headers,
    status?: number,
  ): { limit?: number; remaining: number } | undefined {
    if (status === 429) this.learnWindow(headers);
    const limit = intHeader(headers, 'x-ratelimit-limit');
    const remaining = intHeader(headers, 'x-ratelimit-remaining');
    if (limit !== undefined) this.limit = limit;
    if (remaining === undefined) return undefined;
    // An older request answered late must not overwrite a fresher figure.
    if (ticket.seq < this.lastObservedSeq) return undefined;
    this.lastObservedSeq = ticket.seq;
    // Other requests still in flight will spend from what the server said is left.
    this.remaining = Math.max(0, remaining - Math.max(0, this.inFlight - 1));
    // "limit - 1 left" means this request opened the server's window. The server opened it between our sending and
    // this answer: the answer's arrival is the start that is never early, however slow the way there was (its send
    // time was early by the request's transit — past the margin on a loaded machine, measured: a 429 with 5 s windows).
    if (this.windowStart === undefined || (limit !== undefined && remaining >= limit - 1)) {
      this.windowStart = Math.max(ticket.sentAt, this.clock.now());
    }
    return limit === undefined ? { remaining } : { limit, remaining };
  }

  /**
   * After a 429: nobody on this token sends before `until`. The server's Retry-After is its own word on when to come
   * back, so our window estimate is dropped; the next answer's headers teach the budget again.
   */
  block(until: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, until);
    this.remaining = undefined;
    this.windowStart = undefined;
  }

  /**
   * A 429 in a window of assumed (or learned) length: the time spent in the window plus the server's Retry-After is
   * the window's length (Retry-After is whole seconds rounded up; our window start is late by the first answer's
   * transit, which the margin covers). A minute at most.
   */
  private learnWindow(headers: Headers): void {
    if (this.windowFrom === 'configured' || this.windowStart === undefined) return;
    const now = this.clock.now();
    const retryAfterMs = parseRetryAfter(headers.get('retry-after'), now);
    if (retryAfterMs === undefined) return;
    // Our window start is late when another client of the token spent from the server's window first: that makes
    // the estimate short, never long, so a later 429 may only lengthen what was learned.
    const estimate = Math.ceil(now - this.windowStart + retryAfterMs);
    const learned = this.windowFrom === 'learned' ? Math.max(this.windowMs, estimate) : estimate;
    this.windowMs = Math.max(1, Math.min(DEFAULT_RATE_WINDOW_MS, learned));
    this.windowFrom = 'learned';
  }

  private rollWindow(now: number): void {
    if (this.windowStart !== undefined && now >= this.windowStart + this.windowMs + this.margin()) {
      this.windowStart = undefined;
      this.remaining = this.limit;
    }
  }

  /** Covers network latency between our clock and the server's count (≤ 1 s, 2% of the window). */
  private margin(): number {
    return Math.min(1_000, Math.ceil(this.windowMs * 0.02));
  }

  private figures(): { limit?: number; remaining?: number } {
    const f: { limit?: number; remaining?: number } = {};
    if (this.limit !== undefined) f.limit = this.limit;
    if (this.remaining !== undefined) f.remaining = this.remaining;
    return f;
  }

  private waitForSlot(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(wake);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(abortReason(signal!));
      };
      this.waiters.push(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function intHeader(headers: Headers, name: string): number | undefined {
  const v = headers.get(name);
  if (v === null || !/^\s*\d+\s*$/.test(v)) return undefined;
  return Number(v);
}

/** A stable, non-reversible key for a token: the first 16 hex digits of its SHA-256. */
export function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}

const shared = new Map<string, RateLimiter>();

/**
 * The process-wide limiter for a token on an API origin. The first caller's clock is kept; window and concurrency
 * follow the latest options given, so a simulator run with a scaled window takes effect immediately.
 */
export function sharedRateLimiter(token: string, origin: string, options: RateLimiterOptions = {}): RateLimiter {
  const key = `${tokenKey(token)}@${origin}`;
  let limiter = shared.get(key);
  if (!limiter) {
    limiter = new RateLimiter(options);
    shared.set(key, limiter);
  } else {
    limiter.configure(options);
  }
  return limiter;
}
