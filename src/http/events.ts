/**
 * What the HTTP layer reports while it works, for progress displays and run history. Nothing here ever holds the
 * token: URLs are the ones we send (token in a header, never in a URL) and pass through `redact` anyway.
 */
export type ClientEvent =
  | {
      type: 'request';
      method: string;
      url: string;
      /** Absent when the attempt failed without an answer (network error, timeout). */
      status?: number;
      error?: string;
      ms: number;
      attempt: number;
    }
  | {
      type: 'retry';
      method: string;
      url: string;
      /** The attempt that failed (1 = first). */
      attempt: number;
      status?: number;
      error?: string;
      waitMs: number;
    }
  | {
      type: 'rate-limit-wait';
      ms: number;
      reason: 'limit-reached' | 'retry-after';
      limit?: number;
      remaining?: number;
    }
  | { type: 'rate-limit'; limit?: number; remaining: number };

export type ClientEventListener = (event: ClientEvent) => void;

/** Counters for one client (one run): what the run cost in requests and waiting. */
export interface ClientStats {
  /** HTTP requests sent, retries included. */
  requests: number;
  retries: number;
  /** 429 answers received. */
  rateLimited: number;
  rateLimitWaits: number;
  rateLimitWaitMs: number;
  /** Time spent in backoff between retries (not counting rate-limit waits). */
  backoffWaitMs: number;
  /** Last learned X-RateLimit-Limit / Remaining, when the server sent them. */
  rateLimitLimit?: number;
  rateLimitRemaining?: number;
}

export function emptyStats(): ClientStats {
  return { requests: 0, retries: 0, rateLimited: 0, rateLimitWaits: 0, rateLimitWaitMs: 0, backoffWaitMs: 0 };
}

/** Stats are derived from the event stream only, so what a progress display shows and what a run records agree. */
export function applyEvent(stats: ClientStats, event: ClientEvent): void {
  switch (event.type) {
    case 'request':
      stats.requests++;
      if (event.status === 429) stats.rateLimited++;
      break;
    case 'retry':
      stats.retries++;
      if (event.status !== 429) stats.backoffWaitMs += event.waitMs;
      break;
    case 'rate-limit-wait':
      stats.rateLimitWaits++;
      stats.rateLimitWaitMs += event.ms;
      break;
    case 'rate-limit':
      if (event.limit !== undefined) stats.rateLimitLimit = event.limit;
      stats.rateLimitRemaining = event.remaining;
      break;
  }
}
