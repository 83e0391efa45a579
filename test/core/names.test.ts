import { describe, expect, it } from 'vitest';
import { isSnagError, type SnagError } from '../../src/core/errors.js';
import { describeCodePoint, nameKey, NAME_MAX, normalizeName, validateName } from '../../src/core/names.js';
import { INVISIBLE_NAMES } from './invisible-names.js';

/** Issue 19 item 1: one name rule for credentials, sources and destinations — no character that shows nothing. */

function refusal(raw: string, what: 'credential' | 'source' | 'destination' = 'credential'): SnagError {
  try {
    validateName(raw, what);
  } catch (err) {
    if (isSnagError(err)) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(raw)} to be refused`);
}

describe('validateName refuses what shows nothing', () => {
  it.each(INVISIBLE_NAMES)('%s: names the field, the code point and where it is', (_what, raw, char, position) => {
    const e = refusal(raw);
    expect(e.code).toBe('config');
    expect(e.exitCode).toBe(3);
    expect(e.details).toMatchObject({ field: 'name', entity: 'credential', position });
    expect(e.details.code_point).toBe(char.split(' ')[0]);
    expect(e.message).toContain(`${char} at position ${position}`);
    expect(e.hint).toMatch(/without it/);
  });

  it('counts the position in the name as given, leading spaces included', () => {
    expect(refusal('  ab\u200Bc').details.position).toBe(5);
  });

  it('speaks of the kind of thing being named', () => {
    expect(refusal('a\u200Bb', 'source').message).toMatch(/^The source name contains U\+200B/);
    expect(refusal('a\u200Bb', 'destination').message).toMatch(/different destinations/);
  });

  it('says why a direction control is refused', () => {
    expect(refusal('a\u202Eb').message).toMatch(/text-direction override/);
  });

  it('a name of nothing but invisible characters is refused, not saved as a blank tile', () => {
    expect(refusal('\u200B\u200B').details.position).toBe(1);
    expect(refusal(' \u3164 ').details.code_point).toBe('U+3164');
  });
});

describe('validateName accepts what people write', () => {
  it.each([
    ['accents', 'Équipe données – prod (EU) #1'],
    ['CJK', '東京の本番環境'],
    ['Korean', '프로덕션 버그'],
    ['emoji', 'Prod 🚀🔥'],
    ['an emoji with its presentation selector', 'Prod \u2764\uFE0F'],
    ['a keycap', 'Team 1\uFE0F\u20E3'],
    ['a skin tone', 'Ops 👍🏽'],
    ['a ZWJ emoji sequence', 'Dev \u{1F469}\u200D\u{1F4BB} and \u{1F468}\u200D\u{1F469}\u200D\u{1F467}'],
    ['the England flag (tag characters)', 'UK \u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}'],
    ['Persian with a zero width non-joiner', '\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645'],
    ['Devanagari with a zero width joiner', '\u0915\u094D\u200D\u0937 prod'],
    ['an ideographic variation sequence', '葛\u{E0100}飾'],
    ['Mongolian with a free variation selector', '\u1820\u180B\u1828'],
  ])('%s', (_what, raw) => {
    expect(validateName(raw)).toBe(raw.normalize('NFC'));
  });

  it('normalises to NFC and trims; a leading byte order mark is trimmed like a space', () => {
    expect(validateName('  Cafe\u0301 ')).toBe('Caf\u00E9');
    expect(validateName('\uFEFFProd')).toBe('Prod');
  });

  it('bounds the length in characters, not UTF-16 units', () => {
    expect(validateName('😀'.repeat(NAME_MAX))).toHaveLength(NAME_MAX * 2);
    expect(refusal('😀'.repeat(NAME_MAX + 1)).message).toMatch(/101 characters long; at most 100/);
    expect(refusal('   ').message).toMatch(/name is required/);
  });
});

describe('lookups use the same normal form', () => {
  it('NFC and NFD spellings, and any case, give one key', () => {
    const nfd = 'E\u0301quipe'.normalize('NFD');
    expect(nameKey(nfd)).toBe(nameKey('Équipe'));
    expect(nameKey(' ÉQUIPE ')).toBe(nameKey('équipe'));
    expect(normalizeName(` ${nfd}`)).toBe('Équipe');
  });

  it('describes a code point it has no name for by the code point alone', () => {
    expect(describeCodePoint(0x1d173)).toBe('U+1D173');
    expect(describeCodePoint(0x200b)).toBe('U+200B (zero width space)');
  });
});
