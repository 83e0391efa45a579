import type { FastifyInstance } from 'fastify';
import { lockedUntil, waitSeconds } from '../../store/team/lockout.js';
import { decoyHash, verifyPassword } from '../../store/team/passwords.js';
import type { User } from '../../store/users.js';

export type PasswordOutcome =
  | { kind: 'ok'; user: User }
  /** Unknown email, no password set, or a wrong one: told apart nowhere, not even in the time taken. */
  | { kind: 'wrong'; locked: boolean }
  | { kind: 'locked'; waitSeconds: number };

/**
 * Checks an email and password against the store, with the lockout per account (store/team/lockout.ts). A locked
 * email is refused before its password is looked at; every failure is counted, for known and unknown emails alike.
 */
export async function checkPassword(app: FastifyInstance, email: string, password: string): Promise<PasswordOutcome> {
  const users = app.snag.runtime.store.users;
  const key = email.trim().toLowerCase().slice(0, 320);
  const now = app.snag.now();
  const wait = waitSeconds(await users.lockoutOf(key), now);
  if (wait > 0) return { kind: 'locked', waitSeconds: wait };
  const found = await users.credentialsOf(key);
  const hash = found?.password_hash ?? (await decoyHash());
  const ok = (await verifyPassword(password, hash)) && found?.password_hash != null;
  if (ok && found) {
    await users.clearSignInFailures(key);
    return { kind: 'ok', user: found.user };
  }
  const row = await users.recordSignInFailure(key, now, (failures) => lockedUntil(failures, now));
  return { kind: 'wrong', locked: waitSeconds(row, now) > 0 };
}
