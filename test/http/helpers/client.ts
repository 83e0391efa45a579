import { createBugsnagClient, type BugsnagClient, type BugsnagClientOptions } from '../../../src/bugsnag/client.js';
import type { ClientEvent } from '../../../src/http/events.js';
import { RateLimiter } from '../../../src/http/rate-limiter.js';
import { fakeClock, script, testToken, type FakeClock, type Script, type Step } from './scripted.js';

export const API = 'https://api.bugsnag.com';

export interface Harness {
  client: BugsnagClient;
  script: Script;
  clock: FakeClock;
  events: ClientEvent[];
  limiter: RateLimiter;
  token: string;
}

/** A client over a scripted transport and a fake clock, with its own limiter; small backoffs so numbers are easy. */
export function harness(steps: Step[], options: Partial<BugsnagClientOptions> = {}): Harness {
  const clock = fakeClock();
  const s = script(...steps);
  const events: ClientEvent[] = [];
  const limiter = new RateLimiter({ clock });
  const token = testToken();
  const client = createBugsnagClient({
    token,
    host: API,
    transport: s.transport,
    clock,
    logger: false,
    rateLimiter: limiter,
    retry: { retries: 3, baseDelayMs: 100, maxDelayMs: 1_000, rateLimitRetries: 2, maxRetryAfterMs: 120_000 },
    onEvent: (e) => events.push(e),
    ...options,
  });
  return { client, script: s, clock, events, limiter, token };
}
