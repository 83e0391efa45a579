import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** Sortable-enough random ids with a readable prefix: `cred_01hx…`. Time first so listings sort by creation. */
export function newId(prefix: string): string {
  const time = Date.now().toString(32).padStart(9, '0');
  const bytes = randomBytes(10);
  let rand = '';
  for (const b of bytes) rand += ALPHABET[b % 32];
  return `${prefix}_${time}${rand}`;
}
