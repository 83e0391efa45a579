/**
 * Secrets registry. Every token snagsync handles is registered here the moment it enters the process (CLI prompt,
 * stdin, vault decryption, HTTP form), and every text that leaves the process (errors, logs, JSON output) passes
 * through `redact`. Patterns catch secrets that were never registered (an Authorization header, ?auth_token=).
 */
const secrets = new Set<string>();
const MIN_SECRET_LENGTH = 6;
export const REDACTED = '[REDACTED]';

export function registerSecret(secret: string | undefined | null): void {
  if (!secret) return;
  const s = secret.trim();
  if (s.length >= MIN_SECRET_LENGTH) secrets.add(s);
}

export function forgetSecret(secret: string): void {
  secrets.delete(secret.trim());
}

const PATTERNS: Array<[RegExp, string]> = [
  [/(authorization["']?\s*[:=]\s*["']?)(token|bearer|basic)\s+[^\s"',}]+/gi, `$1$2 ${REDACTED}`],
  [/\b(token|bearer)\s+[A-Za-z0-9_\-.=+/]{16,}/gi, `$1 ${REDACTED}`],
  [/([?&](?:auth_token|token|api_key|access_token)=)[^&\s"']+/gi, `$1${REDACTED}`],
  [/("(?:auth_token|token|authToken|password|secret|master_key)"\s*:\s*")[^"]*(")/gi, `$1${REDACTED}$2`],
];

/** `scheme://user:PASSWORD@` (a database URL): to the last `@` before a `/`, since an unencoded password may hold one. */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@"']*:)[^\s"'/]*@/gi;

/** The URL (or any text) with the password of every `scheme://user:password@` replaced: for locations and messages. */
export function redactUrlPassword(text: string): string {
  return text.replace(URL_PASSWORD, `$1${REDACTED}@`);
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) {
    if (out.includes(s)) out = out.split(s).join(REDACTED);
  }
  for (const [re, replacement] of PATTERNS) out = out.replace(re, replacement);
  return redactUrlPassword(out);
}

/** Last four characters, shown in place of a token ("…abcd"). */
export function last4(token: string): string {
  return token.slice(-4);
}

export function maskToken(token: string): string {
  return `…${last4(token)}`;
}
