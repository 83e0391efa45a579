import type { BugsnagClientOptions } from '../bugsnag/client.js';
import { SnagError } from '../core/errors.js';
import { clientOptionsFromEnv } from '../engine/index.js';
import type { ClientEventListener } from '../http/events.js';
import { DEFAULT_RATE_WINDOW_MS } from '../http/rate-limiter.js';
import type { RetryPolicy } from '../http/retry.js';

/**
 * Requests to Bugsnag that a person waits for (the wizard's project list and Test, a credential's sample): they give
 * up sooner than a sync — a short timeout, at most one quick retry, and a rate limit reported at once rather than
 * waited out (a 429 is not retried; a pause the limiter asks for is taken only when short, as when a scaled-down
 * window paces requests, and a longer one — the budget is used up for the minute — is reported). They go through the token's SHARED rate limiter like a sync does (the client's default), so a person
 * clicking in the wizard spends from the same budget as a running sync instead of pushing it into 429s; when that
 * budget is used up, the click is told so at once (the sync keeps its place). Verifying a token follows the
 * credential type's own `verify` settings, which say the same.
 *
 * Every interactive caller gets its options here and nowhere else.
 */
export const INTERACTIVE_TIMEOUT_MS = 15_000;
export const INTERACTIVE_RETRY: Partial<RetryPolicy> = {
  retries: 1,
  baseDelayMs: 500,
  maxDelayMs: 1000,
  rateLimitRetries: 0,
};
/** The longest pause for the token's rate limit a person is kept waiting for. */
export const INTERACTIVE_MAX_WAIT_MS = 3_000;

/** Client options for one interactive action; `signal` is aborted (with a `rate_limited` error) instead of waiting. */
export type InteractiveClientOptions = Required<
  Pick<BugsnagClientOptions, 'timeoutMs' | 'retry' | 'onEvent' | 'signal'>
> &
  Pick<BugsnagClientOptions, 'rateWindowMs'>;

export function interactiveClientOptions(env: NodeJS.ProcessEnv, signal?: AbortSignal): InteractiveClientOptions {
  const fromEnv = clientOptionsFromEnv(env);
  const controller = new AbortController();
  if (signal) {
    if (signal.aborted) controller.abort(signal.reason);
    else signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  }
  const onEvent: ClientEventListener = (event) => {
    if (event.type !== 'rate-limit-wait' || event.ms <= INTERACTIVE_MAX_WAIT_MS || controller.signal.aborted) return;
    const seconds = Math.max(1, Math.ceil(event.ms / 1000));
    controller.abort(
      new SnagError(
        'rate_limited',
        "The token's Bugsnag rate limit is used up for now (a sync with the same token may be using it).",
        {
          hint: `Try again in about ${seconds} s.`,
          details: { retryAfterSeconds: seconds },
        },
      ),
    );
  };
  return {
    // A scaled-down simulator window (tests, demos) applies here as in a sync: it is the same shared limiter. Without
    // one, Bugsnag's minute is given, not learned: learning sends a request past the budget, a 429 a person would
    // wait on, where a person is better told at once to come back later.
    rateWindowMs: fromEnv.rateWindowMs ?? DEFAULT_RATE_WINDOW_MS,
    timeoutMs: Math.min(INTERACTIVE_TIMEOUT_MS, fromEnv.timeoutMs ?? INTERACTIVE_TIMEOUT_MS),
    retry: {
      ...INTERACTIVE_RETRY,
      ...(fromEnv.retry?.baseDelayMs !== undefined ? { baseDelayMs: Math.min(fromEnv.retry.baseDelayMs, 500) } : {}),
    },
    onEvent,
    signal: controller.signal,
  };
}
