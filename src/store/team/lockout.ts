/**
 * Lockout per account: after a few wrong passwords for one email, that email waits before it may try again, the wait
 * doubling with each further failure up to a ceiling. Counted in the store (every server of a cluster sees the same
 * count), per email — known or not, so an unknown email is answered exactly like a wrong password. It locks the
 * password door only: the server key always signs in, so the owner is never locked out of every route.
 */

export const LOCKOUT = {
  /** Failures allowed before the first wait. */
  free: 5,
  firstWaitMs: 30_000,
  maxWaitMs: 15 * 60_000,
} as const;

/** When the account may try again after its `failures`-th failure in a row (null: at once). */
export function lockedUntil(failures: number, now: number): number | null {
  if (failures < LOCKOUT.free) return null;
  const wait = Math.min(LOCKOUT.firstWaitMs * 2 ** (failures - LOCKOUT.free), LOCKOUT.maxWaitMs);
  return now + wait;
}

/** Seconds left to wait, or 0 when the account may try. */
export function waitSeconds(row: { locked_until: number | null } | null, now: number): number {
  if (!row || row.locked_until === null || row.locked_until <= now) return 0;
  return Math.ceil((row.locked_until - now) / 1000);
}
