import { describe, expect, it } from 'vitest';
import { isSnagError, type SnagError } from '../../src/core/errors.js';
import { validateDescription, validateName } from '../../src/store/names.js';

function refusal(fn: () => unknown): SnagError {
  try {
    fn();
  } catch (err) {
    if (isSnagError(err)) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('bidirectional controls in names and descriptions', () => {
  // Each reorders what follows it: "abc\u202edef" is shown as "abcfed", a name that spoofs another in tables and tiles.
  it.each([
    ['RIGHT-TO-LEFT OVERRIDE', '\u202e'],
    ['LEFT-TO-RIGHT OVERRIDE', '\u202d'],
    ['RIGHT-TO-LEFT EMBEDDING', '\u202b'],
    ['POP DIRECTIONAL FORMATTING', '\u202c'],
    ['RIGHT-TO-LEFT ISOLATE', '\u2067'],
    ['FIRST STRONG ISOLATE', '\u2068'],
    ['POP DIRECTIONAL ISOLATE', '\u2069'],
    ['RIGHT-TO-LEFT MARK', '\u200f'],
    ['ARABIC LETTER MARK', '\u061c'],
  ])('%s is refused in a credential or source name, on the name field', (_what, ch) => {
    for (const what of ['credential', 'source'] as const) {
      const e = refusal(() => validateName(`abc${ch}def`, what));
      expect(e.code).toBe('config');
      expect(e.details).toMatchObject({ field: 'name', entity: what });
      expect(e.message).toContain('text-direction override');
    }
    expect(refusal(() => validateDescription(`line one\nabc${ch}def`)).details).toMatchObject({ field: 'description' });
  });

  it('right-to-left text itself is a fine name (only the invisible controls are refused)', () => {
    expect(validateName('שגיאות ייצור')).toBe('שגיאות ייצור');
    expect(validateName('أخطاء الإنتاج')).toBe('أخطاء الإنتاج');
  });
});
