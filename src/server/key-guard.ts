import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Slows down wrong server keys, per client address and across all clients, without ever refusing the right key:
 * callers compare the key first (constant time) and consult the guard only for a wrong one. Past `perClient` wrong
 * keys from one address, or `global` from everyone, within the window, a wrong key is answered 429 with Retry-After
 * after a delay that grows with each further failure — so a guesser gets a few tries a second at most, while the
 * owner (who shares 127.0.0.1 with every local user) still gets in with the right key at once.
 */

export interface KeyGuardOptions {
  /** Wrong keys one address may send per window before it is slowed down. Default 10. */
  perClient?: number;
  /** Wrong keys all addresses together may send per window. Default 100. */
  global?: number;
  /** Default 60 s. */
  windowMs?: number;
  /** Longest delay before answering a wrong key once slowed down. Default 2 s. */
  maxDelayMs?: number;
  /** Delay added per failure past the limit. Default 200 ms. */
  stepDelayMs?: number;
}

/** How to answer a wrong key once past a limit. */
export interface Throttle {
  retryAfterSeconds: number;
  delayMs: number;
  scope: 'client' | 'global';
}

interface Window {
  count: number;
  since: number;
}

/** Addresses remembered at most (oldest forgotten first), so many addresses cannot grow the map without bound. */
const MAX_CLIENTS = 10_000;

export class KeyGuard {
  private readonly clients = new Map<string, Window>();
  private all: Window;
  private readonly perClient: number;
  private readonly global: number;
  private readonly windowMs: number;
  private readonly maxDelayMs: number;
  private readonly stepDelayMs: number;

  constructor(
    options: KeyGuardOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    this.perClient = options.perClient ?? 10;
    this.global = options.global ?? 100;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxDelayMs = options.maxDelayMs ?? 2000;
    this.stepDelayMs = options.stepDelayMs ?? 200;
    this.all = { count: 0, since: this.now() };
  }

  /** Records a wrong key from `client`; null while under both limits (answer 401), else how to slow it down. */
  fail(client: string): Throttle | null {
    const t = this.now();
    if (t - this.all.since >= this.windowMs) this.all = { count: 0, since: t };
    this.all.count++;
    let w = this.clients.get(client);
    if (!w || t - w.since >= this.windowMs) {
      this.clients.delete(client);
      w = { count: 0, since: t };
      if (this.clients.size >= MAX_CLIENTS) {
        const oldest = this.clients.keys().next();
        if (!oldest.done) this.clients.delete(oldest.value);
      }
    }
    w.count++;
    this.clients.set(client, w);
    const overClient = w.count - this.perClient;
    const overGlobal = this.all.count - this.global;
    if (overClient <= 0 && overGlobal <= 0) return null;
    const scope = overClient > 0 ? 'client' : 'global';
    const since = scope === 'client' ? w.since : this.all.since;
    return {
      scope,
      retryAfterSeconds: Math.max(1, Math.ceil((this.windowMs - (t - since)) / 1000)),
      delayMs: Math.min(this.maxDelayMs, this.stepDelayMs * Math.max(overClient, overGlobal)),
    };
  }

  /** Waits out a throttle's delay (the request is answered after it). */
  static async wait(throttle: Throttle): Promise<void> {
    if (throttle.delayMs > 0) await sleep(throttle.delayMs);
  }
}

export function throttleMessage(throttle: Throttle): string {
  return throttle.scope === 'client'
    ? 'Too many wrong keys from this address.'
    : 'Too many wrong keys from all addresses.';
}
