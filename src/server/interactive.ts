import type { RetryPolicy } from '../http/retry.js';

/**
 * Requests to Bugsnag that a person waits for (the wizard's project list and Test, a credential's sample): they give
 * up sooner than a sync — a short timeout, at most one quick retry, and a rate limit reported at once rather than
 * waited out. (Verifying a token follows the credential type's own `verify` settings, which say the same.)
 */
export const INTERACTIVE_TIMEOUT_MS = 15_000;
export const INTERACTIVE_RETRY: Partial<RetryPolicy> = { retries: 1, baseDelayMs: 500, maxDelayMs: 1000, rateLimitRetries: 0 };
