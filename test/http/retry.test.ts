import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  isIdempotent,
  isRetryableStatus,
  parseRetryAfter,
  rateLimitDelay,
  resolveRetryPolicy,
} from '../../src/http/retry.js';

const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1_000 };

describe('retry policy', () => {
  it('backs off exponentially with equal jitter, capped', () => {
    expect(backoffDelay(1, policy, 0)).toBe(50);
    expect(backoffDelay(1, policy, 1)).toBe(100);
    expect(backoffDelay(2, policy, 0.5)).toBe(150);
    expect(backoffDelay(3, policy, 0.5)).toBe(300);
    expect(backoffDelay(10, policy, 1)).toBe(1_000);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.UTC(2024, 0, 1, 12, 0, 0);
    expect(parseRetryAfter('17', now)).toBe(17_000);
    expect(parseRetryAfter(' 2 ', now)).toBe(2_000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Mon, 01 Jan 2024 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('waits Retry-After plus at most 10% (≤ 1 s) jitter, capped', () => {
    expect(rateLimitDelay(5_000, 60_000, policy, 0)).toBe(5_000);
    expect(rateLimitDelay(5_000, 60_000, policy, 1)).toBe(5_500);
    expect(rateLimitDelay(30_000, 60_000, policy, 1)).toBe(31_000);
    expect(rateLimitDelay(undefined, 60_000, policy, 0)).toBe(60_000);
    expect(rateLimitDelay(999_000, 60_000, { ...policy, maxRetryAfterMs: 90_000 }, 0)).toBe(90_000);
  });

  it('retries only reads, and only 5xx that can succeed later', () => {
    expect(isIdempotent('GET')).toBe(true);
    for (const m of ['POST', 'PATCH', 'PUT', 'DELETE'] as const) expect(isIdempotent(m)).toBe(false);
    expect([500, 502, 503, 504, 599].every(isRetryableStatus)).toBe(true);
    expect([200, 400, 404, 429, 501, 505].some(isRetryableStatus)).toBe(false);
  });

  it('rejects nonsense settings', () => {
    expect(() => resolveRetryPolicy({ retries: -1 })).toThrow(/retries/);
    expect(resolveRetryPolicy({ retries: 0 }).retries).toBe(0);
  });
});
