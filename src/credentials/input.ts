import { SnagError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';
import { DEFAULT_API_BASE_URL, normalizeHost, type NormalizedHost } from '../bugsnag/hosts.js';
import type { Normalized } from './credential-type.js';

/**
 * Cleaning what people paste. Tokens arrive from clipboards, files and environment variables, often with a trailing
 * newline, quotes, or the `token ` / `Bearer ` prefix copied from a curl example; hosts arrive as bare names, URLs or
 * dashboard addresses. Each cleaner says what it changed, so the user learns what was used.
 */

export const TOKEN_HELP =
  'Generate a Personal Auth Token in Bugsnag: My account settings → Personal auth tokens → Generate New Token. ' +
  'It is shown only once: copy it immediately.';

// Straight, typographic and back quotes, as editors and chat tools turn them.
const QUOTES: ReadonlyArray<[string, string]> = [
  ['"', '"'],
  ["'", "'"],
  ['`', '`'],
  ['\u201c', '\u201d'],
  ['\u2018', '\u2019'],
];
const PREFIX = /^(?:authorization\s*:\s*)?(token|bearer)(?:\s+|\s*[:=]\s*)/i;
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

/** A project's notifier API key: exactly 32 hex characters. Personal auth tokens look different (UUID-shaped). */
export function looksLikeProjectApiKey(token: string): boolean {
  return /^[0-9a-f]{32}$/i.test(token);
}

/**
 * The token as pasted → the token to use. Strips whitespace and line breaks around it, surrounding quotes, and a
 * `token ` / `Bearer ` / `Authorization: token ` prefix. Registers both the raw and the cleaned value as secrets at
 * once. Throws SnagError('config') for an empty value or one that still holds spaces or characters no token has —
 * without ever quoting the value.
 */
export function normalizeToken(raw: string): Normalized<string> {
  registerSecret(raw);
  const changes: string[] = [];
  let s = raw.replace(/^\uFEFF/, '').trim();
  s = unquote(s, changes);
  const prefix = PREFIX.exec(s);
  if (prefix && s.length > prefix[0].length) {
    s = s.slice(prefix[0].length).trim();
    changes.push(`the "${prefix[1]!.toLowerCase() === 'bearer' ? 'Bearer' : 'token'} " prefix`);
    s = unquote(s, changes);
  }
  registerSecret(s);
  if (s === '') {
    throw new SnagError('config', 'The Auth Token is empty.', { hint: TOKEN_HELP });
  }
  if (/\s/.test(s)) {
    throw new SnagError('config', 'The Auth Token contains spaces or line breaks, so it is not a single token.', {
      hint: `Paste the Personal Auth Token alone, on one line. ${TOKEN_HELP}`,
    });
  }
  if (!PRINTABLE_ASCII.test(s)) {
    throw new SnagError(
      'config',
      'The Auth Token contains characters a Bugsnag token never has (control or non-ASCII characters).',
      {
        hint: `Copy the token again from where you saved it; an editor may have changed some characters. ${TOKEN_HELP}`,
      },
    );
  }
  const out: Normalized<string> = { value: s };
  if (changes.length > 0) out.note = `Removed ${joinAnd(changes)} from the token you gave.`;
  return out;
}

function unquote(s: string, changes: string[]): string {
  for (const [open, close] of QUOTES) {
    if (s.length >= 2 && s.startsWith(open) && s.endsWith(close)) {
      changes.push('the quotes around it');
      return s.slice(open.length, s.length - close.length).trim();
    }
  }
  return s;
}

function joinAnd(items: string[]): string {
  const unique = [...new Set(items)];
  return unique.length <= 1 ? (unique[0] ?? '') : `${unique.slice(0, -1).join(', ')} and ${unique.at(-1)}`;
}

/**
 * The API host as given → the base URL to use (bare host, full URL, pasted dashboard URL, SmartBear host; https only
 * except loopback). Empty means the default, api.bugsnag.com. The note says what was chosen and why.
 */
export function resolveHost(raw: string | undefined): Normalized<NormalizedHost> {
  const given = raw === undefined || raw.trim() === '' ? DEFAULT_API_BASE_URL : raw;
  const host = normalizeHost(given);
  const out: Normalized<NormalizedHost> = { value: host };
  if (host.note) out.note = `${host.note}.`;
  return out;
}
