import type { HttpMethod } from './transport.js';

/**
 * When and how long to retry. Reads (GET) are retried on network failures, timeouts, truncated bodies and 5xx;
 * writes never are (Bugsnag has no idempotency keys, so a retried PATCH or POST could apply twice). 429 answers are
 * retried for reads after the server's Retry-After, on a separate budget.
 */
export interface RetryPolicy {
  /** Retries (not attempts) for network errors, timeouts, truncated bodies and 5xx on reads. */
  retries: number;
  /** First backoff delay; doubles per retry. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Retries after 429 on reads. */
  rateLimitRetries: number;
  /** Longest single wait honoured for a Retry-After (or missing Retry-After) before retrying. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: 4,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  rateLimitRetries: 5,
  maxRetryAfterMs: 120_000,
};

export function resolveRetryPolicy(partial: Partial<RetryPolicy> | undefined): RetryPolicy {
  const p = { ...DEFAULT_RETRY_POLICY, ...(partial ?? {}) };
  for (const [k, v] of Object.entries(p)) {
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`retry.${k} must be a non-negative number`);
  }
  return p;
}

export function isIdempotent(method: HttpMethod): boolean {
  return method === 'GET';
}

/** 5xx answers worth another try; 501/505 say the server will never do it. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 && status <= 599 && status !== 501 && status !== 505;
}

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so retries from several workers
 * spread out but never collapse to zero.
 */
export function backoffDelay(retry: number, policy: RetryPolicy, random: number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(exp / 2 + (exp / 2) * random);
}

/** `Retry-After` as milliseconds: delta-seconds (decimals tolerated) or an HTTP date. Undefined when absent/invalid. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const date = Date.parse(v);
  if (!Number.isNaN(date)) return Math.max(0, date - now);
  return undefined;
}

/** The wait after a 429: the server's Retry-After (or one rate window), capped, plus up to 10% jitter (≤ 1 s). */
export function rateLimitDelay(
  retryAfterMs: number | undefined,
  fallbackMs: number,
  policy: RetryPolicy,
  random: number,
): number {
  const base = Math.min(retryAfterMs ?? fallbackMs, policy.maxRetryAfterMs);
  return Math.round(base + Math.min(1_000, base * 0.1) * random);
}
