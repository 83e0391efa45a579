import { sleep } from '../core/sleep.js';

/**
 * Time as the HTTP policies see it. Injected so that tests can assert every wait (backoff, rate-limit window,
 * Retry-After) without sleeping: a fake clock's `sleep` just moves `now` forward and records the wait.
 */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** In [0, 1); drives jitter. */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, signal),
  random: () => Math.random(),
};
