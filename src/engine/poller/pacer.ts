/**
 * The poller's token bucket: it refills at its share of the token's rate limit (share × limit per window) and each
 * look pays for the requests it actually made, so a look that needed three pages, a retry or an error read makes the
 * next one wait longer. The bucket holds at most one look's worth: a poller that sat idle does not burst afterwards,
 * and the token's own limiter (http/rate-limiter.ts) still guards the whole token underneath.
 */
export interface PacerRate {
  /** Requests the token may make per window (learned from Bugsnag's headers; 30 until learned). */
  limit: number;
  windowMs: number;
  /** Share of that the poller may spend, 0.1–1. */
  share: number;
}

export class Pacer {
  private tokens = 1;
  private at: number;

  constructor(
    private rate: PacerRate,
    private readonly clock: () => number = Date.now,
  ) {
    this.at = clock();
  }

  /** Requests per millisecond the poller may spend. */
  perMs(): number {
    return (this.rate.share * this.rate.limit) / this.rate.windowMs;
  }

  /** The limit was learned (or changed): refill at the new rate from now on. */
  setLimit(limit: number): void {
    this.refill();
    this.rate = { ...this.rate, limit };
  }

  /** Milliseconds until a look may start (0: now). */
  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / this.perMs());
  }

  /** A look made this many requests. */
  spend(requests: number): void {
    this.refill();
    this.tokens -= requests;
  }

  private refill(): void {
    const now = this.clock();
    this.tokens = Math.min(1, this.tokens + (now - this.at) * this.perMs());
    this.at = now;
  }
}
