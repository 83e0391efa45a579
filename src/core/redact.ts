/**
 * Secrets registry. Every token snagsync handles is registered here the moment it enters the process (CLI prompt,
 * stdin, vault decryption, HTTP form), and every text that leaves the process (errors, logs, JSON output) passes
 * through `redact`. Patterns catch secrets that were never registered (an Authorization header, ?auth_token=).
 *
 * Every text that leaves the process passes through here, whatever its size (a 300 kB comment, a 1 MB value someone
 * posted), so every scan below is linear in the text: a pattern that backtracks over a run of letters freezes the
 * server for every request at once (issue 19 measured 62 s for one 60,000-letter value).
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

/**
 * Each of these starts with a literal keyword, and whatever may backtrack after it (`\s*`, `[^"]*`, `{16,}`) is a
 * single run that stops at the first character outside its class: a failed attempt costs the run after that one
 * keyword, never a rescan of the text, so each replace is linear (test/core/redact.test.ts times them on 1 MB).
 */
const PATTERNS: Array<[RegExp, string]> = [
  [/(authorization["']?\s*[:=]\s*["']?)(token|bearer|basic)\s+[^\s"',}]+/gi, `$1$2 ${REDACTED}`],
  [/\b(token|bearer)\s+[A-Za-z0-9_\-.=+/]{16,}/gi, `$1 ${REDACTED}`],
  [/([?&](?:auth_token|token|api_key|access_token)=)[^&\s"']+/gi, `$1${REDACTED}`],
  [/("(?:auth_token|token|authToken|password|secret|master_key)"\s*:\s*")[^"]*(")/gi, `$1${REDACTED}$2`],
];

/**
 * The URL (or any text) with the password of every `scheme://user:password@` replaced: for locations and messages.
 * The password runs to the last `@` before a `/` (or a space or quote), since an unencoded password may hold one.
 *
 * What the regular expression `/([a-z][a-z0-9+.-]*:\/\/[^\s:/@"']*:)[^\s"'/]*@/gi` would do, by a scanner: that
 * expression is quadratic in a run of letters (every letter is a possible scheme start, and each start reads the run
 * to its end looking for `://`). Here each `://` is found once and the text around it read once: the scheme back to
 * the previous `:`, the user up to its `:`, the password up to the first space, quote or `/`, so the runs never
 * overlap and the whole scan is linear.
 */
export function redactUrlPassword(text: string): string {
  let out = '';
  let copied = 0; // text[0, copied) is already in `out`
  let from = 0; // a match never starts before the end of the previous one
  for (let p = text.indexOf('://'); p !== -1; p = text.indexOf('://', p + 3)) {
    // Scheme: [a-z][a-z0-9+.-]*, ending right before `://`; the leftmost letter of the run starts it.
    let run = p;
    while (run > from && isSchemeChar(text.charCodeAt(run - 1))) run--;
    let start = run;
    while (start < p && !isLetter(text.charCodeAt(start))) start++;
    if (start === p) continue;
    // User: [^\s:/@"']*, then `:`.
    let colon = p + 3;
    while (colon < text.length && !endsUser(text.charCodeAt(colon))) colon++;
    if (text.charCodeAt(colon) !== COLON) continue;
    // Password: [^\s"'/]*, up to the last `@` of that run.
    let at = -1;
    for (let i = colon + 1; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (endsPassword(c)) break;
      if (c === AT) at = i;
    }
    if (at === -1) continue;
    out += text.slice(copied, colon + 1) + REDACTED;
    copied = at; // the `@` stays
    from = at + 1;
    p = at - 2; // the next `://` is searched after the `@`
  }
  return copied === 0 ? text : out + text.slice(copied);
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

const COLON = 0x3a;
const AT = 0x40;
const SLASH = 0x2f;
const DQUOTE = 0x22;
const SQUOTE = 0x27;

function isLetter(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

function isSchemeChar(c: number): boolean {
  return isLetter(c) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2e || c === 0x2d;
}

/** JavaScript's `\s`: ASCII and Unicode white space, line terminators and the BOM. */
function isSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

function endsUser(c: number): boolean {
  return c === COLON || c === SLASH || c === AT || c === DQUOTE || c === SQUOTE || isSpace(c);
}

function endsPassword(c: number): boolean {
  return c === SLASH || c === DQUOTE || c === SQUOTE || isSpace(c);
}
