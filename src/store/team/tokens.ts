import { SnagError } from '../../core/errors.js';
import type { Store } from '../repository.js';
import type { ApiToken, TokenScope, User } from '../users.js';
import { newSecret, secretHash, TOKEN_PREFIX } from './secrets.js';

/** Making and checking per-user API tokens: the service the API and the CLI share. */

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30d`, `12h`, `90m` → the instant it ends; null for none. */
export function expiryOf(expires: string | undefined, now: number): string | null {
  if (expires === undefined) return null;
  const m = /^(\d{1,5})([mhd])$/.exec(expires.trim());
  if (!m || Number(m[1]) === 0) {
    throw new SnagError('config', `"${expires}" is not a lifetime: give a number and a unit, e.g. 30d, 12h or 90m.`, {
      details: { field: 'expires' },
    });
  }
  return new Date(now + Number(m[1]) * UNITS[m[2]!]!).toISOString();
}

export interface CreatedToken {
  /** The token itself: shown once, never stored. */
  token: string;
  record: ApiToken;
}

export async function createToken(
  store: Store,
  input: { user: string; scope?: TokenScope; expires?: string },
  now: number,
): Promise<CreatedToken> {
  const user = await store.users.find(input.user);
  const token = newSecret(TOKEN_PREFIX);
  const record = await store.users.createToken({
    user_id: user.id,
    scope: input.scope ?? 'read',
    token_sha256: secretHash(token),
    expires_at: expiryOf(input.expires, now),
  });
  return { token, record };
}

/** The token's user when it is known, unrevoked and unexpired; else null (the caller answers 401). */
export async function tokenHolder(
  store: Store,
  token: string,
  now: number,
): Promise<{ token: ApiToken; user: User } | null> {
  const record = await store.users.tokenByHash(secretHash(token));
  if (!record || record.revoked_at !== null) return null;
  if (record.expires_at !== null && Date.parse(record.expires_at) <= now) return null;
  const user = await store.users.get(record.user_id);
  return user ? { token: record, user } : null;
}
