/**
 * A token bucket per source for the webhook route, which anyone who has the URL can call without the server key:
 * `burst` messages at once, refilled at `perSecond`. Bugsnag sends one message per event with the `exception`
 * trigger, so the defaults (200 at once, 50 a second) are far above one project's usual rate and far below what
 * would fill the inbox; what is refused is answered 429 with Retry-After, and the next poll reads it anyway.
 */

export interface WebhookRateLimit {
  burst: number;
  perSecond: number;
}

export const DEFAULT_WEBHOOK_RATE: WebhookRateLimit = { burst: 200, perSecond: 50 };

export class SourceBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limit: WebhookRateLimit = DEFAULT_WEBHOOK_RATE,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a token for the source: 0 when granted, else the seconds until one is free. */
  take(sourceId: string): number {
    const t = this.now();
    const b = this.buckets.get(sourceId) ?? { tokens: this.limit.burst, at: t };
    b.tokens = Math.min(this.limit.burst, b.tokens + ((t - b.at) / 1000) * this.limit.perSecond);
    b.at = t;
    this.buckets.set(sourceId, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.limit.perSecond));
  }
}
