import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { SnagError } from '../../core/errors.js';

/**
 * Local passwords, hashed with node:crypto's scrypt (memory-hard). A hash carries its version and parameters —
 * `scrypt$1$N$r$p$salt$hash` (salt and hash base64url) — so raising the cost later leaves old hashes verifiable.
 * Compared in constant time.
 */

/** 2^15 × 8 × 128 bytes = 32 MiB of memory per hash; ~0.1 s on one core. */
const CURRENT = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 1024;

function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 128 * params.N * params.r * params.p + 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Refuses a password too short or too long to be used, saying why (the same rule for the web, the API and the CLI). */
export function checkPasswordRule(password: string): void {
  if (password.length < PASSWORD_MIN) {
    throw new SnagError('config', `The password is too short: it needs at least ${PASSWORD_MIN} characters.`, {
      hint: 'A passphrase of a few unrelated words is long and easy to type.',
      details: { field: 'password' },
    });
  }
  if (password.length > PASSWORD_MAX) {
    throw new SnagError('config', `The password is too long: at most ${PASSWORD_MAX} characters.`, {
      details: { field: 'password' },
    });
  }
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, CURRENT);
  return ['scrypt', '1', CURRENT.N, CURRENT.r, CURRENT.p, salt.toString('base64url'), key.toString('base64url')].join(
    '$',
  );
}

/** Whether the password matches the stored hash; false for a hash this version cannot read. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 7 || parts[0] !== 'scrypt' || parts[1] !== '1') return false;
  const [N, r, p] = [Number(parts[2]), Number(parts[3]), Number(parts[4])];
  if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0) || N > 2 ** 20 || r > 32 || p > 16) return false;
  const expected = Buffer.from(parts[6]!, 'base64url');
  if (expected.length !== KEY_LENGTH || password.length > PASSWORD_MAX) return false;
  const key = await derive(password, Buffer.from(parts[5]!, 'base64url'), { N, r, p });
  return timingSafeEqual(key, expected);
}

/** A hash no password matches: verified against when the email is unknown, so that answer costs the same time. */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(24).toString('base64url'));
  return decoy;
}
