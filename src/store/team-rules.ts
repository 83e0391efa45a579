import { SnagError } from '../core/errors.js';
import type { Role } from './users.js';

/** The rules both stores enforce on users, in one place so SQLite and PostgreSQL refuse the same things alike. */

export function normalEmail(email: string): string {
  const e = email.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(e) || e.length > 320) {
    throw new SnagError('config', `"${email}" is not an email address.`, { details: { field: 'email' } });
  }
  return e;
}

export function userMissing(ref: string): SnagError {
  return new SnagError('missing', `No user with the email or id "${ref}".`, {
    hint: '`snagsync users list` shows who exists.',
    serverHint: 'GET /api/users lists them.',
  });
}

export function emailTaken(email: string): SnagError {
  return new SnagError('conflict', `A user with the email ${email} already exists.`, {
    details: { field: 'email' },
  });
}

/** Someone must always be able to manage the team: the last admin stays an admin. */
export function lastAdmin(email: string, action: 'removed' | 'demoted'): SnagError {
  return new SnagError('conflict', `${email} is the last admin and cannot be ${action}.`, {
    hint: 'Make another user an admin first.',
  });
}

export const isAdmin = (role: Role): boolean => role === 'admin';
