import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { normalizeHost } from '../bugsnag/hosts.js';
import { type RateLimitBudget, sharedRateLimiter, tokenKey } from '../http/rate-limiter.js';

/**
 * A token's learned rate-limit budget, shared by the processes of one home (a loop of `snagsync sync`, a scheduler
 * and a CLI run side by side). Each process used to start knowing nothing of the token's budget, spend it from the
 * top and meet a 429 every few minutes; now a run adopts what the last process on the same token learned (remaining
 * requests in the current window, a Retry-After block) and leaves what it learned for the next. A cluster's workers
 * pass it on through their token's lane instead (cluster/execute.ts).
 *
 * The file is named by a hash of the token (never the token) and of the API origin, written whole and renamed into
 * place, so a reader never sees half of one; last writer wins, which is the freshest word.
 */

const Budget = z.object({
  limit: z.number().int().positive().optional(),
  remaining: z.number().int().nonnegative().optional(),
  windowStart: z.number().optional(),
  blockedUntil: z.number().optional(),
});

/** How often a running sync leaves its budget for the others (only when it changed). */
const SAVE_EVERY_MS = 1000;

export function budgetPath(home: string, token: string, host: string): string {
  const origin = createHash('sha256').update(normalizeHost(host).origin).digest('hex').slice(0, 8);
  return join(home, 'budgets', `${tokenKey(token)}-${origin}.json`);
}

export function readSharedBudget(path: string): RateLimitBudget | null {
  try {
    const parsed = Budget.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? (parsed.data as RateLimitBudget) : null;
  } catch {
    return null;
  }
}

export function writeSharedBudget(path: string, budget: RateLimitBudget): void {
  const dir = join(path, '..');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(budget), { mode: 0o600 });
  renameSync(tmp, path);
}

/**
 * Adopts the home's budget for this token into the process's limiter, then keeps the file current while the run
 * goes on (every second, when it changed) and once more at `stop`. Sharing is best effort: a file that cannot be
 * read or written leaves the limiter learning on its own, as before.
 */
export function shareBudget(home: string, token: string, host: string): { stop(): void } {
  let path: string;
  try {
    path = budgetPath(home, token, host);
  } catch {
    return { stop: () => undefined };
  }
  const limiter = sharedRateLimiter(token, normalizeHost(host).origin);
  const found = readSharedBudget(path);
  // What this process knows of a window is as fresh as the file unless another process has seen a later one.
  const known = limiter.budget();
  if (found && (known.windowStart === undefined || (found.windowStart ?? 0) > known.windowStart)) limiter.adopt(found);
  let last = JSON.stringify(limiter.budget());
  const save = () => {
    const now = JSON.stringify(limiter.budget());
    if (now === last || now === '{}') return;
    try {
      writeSharedBudget(path, limiter.budget());
      last = now;
    } catch {
      // Best effort: the next save tries again.
    }
  };
  const timer = setInterval(save, SAVE_EVERY_MS);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      save();
    },
  };
}
