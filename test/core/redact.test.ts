import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redact, redactUrlPassword, REDACTED } from '../../src/core/redact.js';
import { RUNS } from '../fuzz/settings.js';

/**
 * Every text that leaves the process passes through `redact`, whatever its size: its scans must be linear (issue 19:
 * the URL-password pattern was quadratic in a run of letters, and one 60,000-letter value froze the server for a
 * minute). The behaviour is pinned against the former regular expression on short texts, where its cost is harmless.
 */

/** The former pattern, as the reference for what `redactUrlPassword` does (quadratic: short texts only). */
const REFERENCE = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@"']*:)[^\s"'/]*@/gi;
const reference = (text: string) => text.replace(REFERENCE, `$1${REDACTED}@`);

describe('redactUrlPassword', () => {
  it.each([
    ['postgres://bob:pw@db.example:5432/x', 'postgres://bob:[REDACTED]@db.example:5432/x'],
    ['postgresql://u:p@ss@h/db', 'postgresql://u:[REDACTED]@h/db'],
    ['POSTGRES://U:P@H/db', 'POSTGRES://U:[REDACTED]@H/db'],
    ['x postgres://:secret@h y', 'x postgres://:[REDACTED]@h y'],
    ['a://u:p@h a://v:q@i', 'a://u:[REDACTED]@h a://v:[REDACTED]@i'],
    ['a://u:p@b://v:q@c', 'a://u:[REDACTED]@b://v:[REDACTED]@c'],
    ['1a+b.c-d://u:p@h', '1a+b.c-d://u:[REDACTED]@h'],
    ['"pg://u:p@h"', '"pg://u:[REDACTED]@h"'],
    ['pg://u:p\u00a0@h', 'pg://u:p\u00a0@h'],
    ['pg://u:p/@h', 'pg://u:p/@h'],
    ['pg://u:p', 'pg://u:p'],
    ['pg://u@h:5432/x', 'pg://u@h:5432/x'],
    ['https://api.bugsnag.com:443/a?b=c@d', 'https://api.bugsnag.com:443/a?b=c@d'],
    ['1://u:p@h', '1://u:p@h'],
    ['://u:p@h', '://u:p@h'],
  ])('%s', (text, expected) => {
    expect(redactUrlPassword(text)).toBe(expected);
    expect(reference(text)).toBe(expected);
  });

  it('does what the former pattern did, on any short text (property)', () => {
    const piece = fc.oneof(
      fc.string({ maxLength: 4 }),
      fc.constantFrom('://', 'a://', 'PG://u:', ':', '@', '/', ' ', '"', "'", '\u00a0', '\u2028', 'x:', '1', '+.-'),
    );
    const text = fc.array(piece, { maxLength: 16 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, (t) => redactUrlPassword(t) === reference(t)),
      RUNS,
    );
  });
});

describe('redact is linear in its text', () => {
  /** Shapes that made the former patterns backtrack, and one for each pattern's keyword. */
  const SHAPES: Array<[string, (n: number) => string]> = [
    ['letters', (n) => 'a'.repeat(n)],
    ['digits', (n) => '7'.repeat(n)],
    ['letters and digits', (n) => 'a1'.repeat(n / 2)],
    ['a:// then letters, no @', (n) => `a://${'a'.repeat(n)}`],
    ['a://x: then x: x: …', (n) => `a://${'x:'.repeat(n / 2)}`],
    ['a://x: a://x: …', (n) => 'a://x:'.repeat(n / 6)],
    ['a://u: then @@@…', (n) => `a://u:${'@'.repeat(n)}`],
    ['a://b:c@ a://b:c@ …', (n) => 'a://b:c@'.repeat(n / 8)],
    ['"token":" then letters', (n) => `"token":"${'a'.repeat(n)}`],
    ['authorization: then spaces', (n) => `authorization:${' '.repeat(n)}x`],
    ['token then spaces', (n) => `token${' '.repeat(n)}x`],
    ['token + 15 letters, repeated', (n) => 'token abcdefghijklmno '.repeat(n / 22)],
    ['?token= repeated', (n) => '?token=&'.repeat(n / 8)],
  ];
  const MIB = 1 << 20;
  const SIZES = [MIB / 32, MIB / 16, MIB / 8, MIB / 4, MIB / 2, MIB];
  /** A generous allowance for a loaded machine: 1 MiB in a few tens of ms here; the former code took minutes. */
  const budgetMs = (size: number) => 100 + (400 * size) / MIB;
  /** Timer and GC noise on a shared machine: the doubling is compared against this much at least. */
  const FLOOR_MS = 10;

  function medianMs(text: string, runs = 7): number {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      redact(text);
      times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
  }

  it.each(SHAPES)('%s: 1 MiB within budget, and at most 4x the time of 512 KiB', (_name, shape) => {
    redact(shape(4096)); // warm-up: compiled code, not the first call's
    const ms = new Map<number, number>();
    // Growing sizes, so the former (quadratic) code fails on the first, small one instead of freezing the suite.
    for (const size of SIZES) {
      const text = shape(size);
      ms.set(size, medianMs(text));
      expect(ms.get(size), `${text.length} characters`).toBeLessThan(budgetMs(size));
    }
    expect(ms.get(MIB), '1 MiB against 512 KiB').toBeLessThan(4 * Math.max(ms.get(MIB / 2)!, FLOOR_MS));
  });

  it('still redacts inside a huge text', () => {
    // Short words: the former code took this in linear time too, so on it this checks the result, not a freeze.
    const filler = 'lorem ipsum '.repeat(MIB / 24);
    const out = redact(`${filler} postgres://bob:pw@h/x ${filler} ?auth_token=abc ${filler}`);
    expect(out).toContain('postgres://bob:[REDACTED]@h/x');
    expect(out).toContain('?auth_token=[REDACTED]');
    expect(out).not.toContain(':pw@');
  });
});
