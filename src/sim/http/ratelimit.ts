/**
 * Per-token fixed windows (docs/bugsnag-api.md §14: one-minute window, `X-Ratelimit-Limit`/`-Remaining` on answers that were not
 * limited, 429 with `Retry-After` in seconds past the limit). Windows are aligned on the simulator's start so a test
 * with a short `rateWindowMs` sees predictable resets.
 */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Whole seconds until the window resets (at least 1), for Retry-After. */
  retryAfterSec: number;
}

export class RateLimiter {
  private readonly windows = new Map<string, { window: number; used: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly startMs: number,
  ) {}

  take(key: string, nowMs: number): RateDecision {
    const window = Math.floor((nowMs - this.startMs) / this.windowMs);
    let w = this.windows.get(key);
    if (!w || w.window !== window) {
      w = { window, used: 0 };
      this.windows.set(key, w);
    }
    const windowEnd = this.startMs + (window + 1) * this.windowMs;
    const retryAfterSec = Math.max(1, Math.ceil((windowEnd - nowMs) / 1000));
    if (w.used >= this.limit) return { allowed: false, limit: this.limit, remaining: 0, retryAfterSec };
    w.used++;
    return { allowed: true, limit: this.limit, remaining: this.limit - w.used, retryAfterSec };
  }

  reset(): void {
    this.windows.clear();
  }
}
