import { createHash, randomBytes } from 'node:crypto';

/**
 * API tokens and invitation secrets: 256 random bits, shown once, stored as their sha256 only. The prefix tells a
 * person's token from the server key at a glance (and in a leaked-secret scan).
 */

export const TOKEN_PREFIX = 'snagt_';
export const INVITATION_PREFIX = 'snagi_';

export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

export function secretHash(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function looksLikeToken(value: string): boolean {
  return value.startsWith(TOKEN_PREFIX);
}
