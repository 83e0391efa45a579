import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  parseDuration,
  parseTimestamp,
  quoteExcerpt,
  resolveTime,
  toIsoSeconds,
} from '../../src/core/time.js';

describe('parseTimestamp', () => {
  it.each([
    ['2017-12-12T10:58:55.000Z', '2017-12-12T10:58:55.000Z'],
    ['2021-07-08T14:26:55+00:00', '2021-07-08T14:26:55.000Z'],
    ['2017-12-12T10:58:49Z', '2017-12-12T10:58:49.000Z'],
    ['2022-10-17 15:30:00 +0000', '2022-10-17T15:30:00.000Z'],
    ['2022-10-17 15:30:00 +0130', '2022-10-17T14:00:00.000Z'],
    ['2021-07-08T14:26:55+0200', '2021-07-08T12:26:55.000Z'],
    ['2024-05-01', '2024-05-01T00:00:00.000Z'],
    ['2024-05-01T10:00:00', '2024-05-01T10:00:00.000Z'],
  ])('parses %s', (input, iso) => {
    expect(parseTimestamp(input)?.toISOString()).toBe(iso);
  });

  it.each(['', 'yesterday', '7d', '2024-13-45T99:00:00Z', null, {}])('rejects %s', (input) => {
    expect(parseTimestamp(input)).toBeNull();
  });
});

describe('durations and relative times', () => {
  it('parses durations', () => {
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseDuration('abc')).toBeNull();
  });
  it('resolves relative and absolute times', () => {
    const now = new Date('2024-05-08T00:00:00Z');
    expect(resolveTime('7d', now).toISOString()).toBe('2024-05-01T00:00:00.000Z');
    expect(resolveTime('2024-01-01T00:00:00Z', now).toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect(() => resolveTime('last tuesday', now)).toThrow(/not a time/);
  });
  it('quotes a bad value whole when short, and only its start and length when long', () => {
    expect(() => resolveTime('last tuesday')).toThrow('"last tuesday" is not a time snagsync understands.');
    let message = '';
    try {
      resolveTime('a'.repeat(60_000));
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe(`"${'a'.repeat(40)}…" (60,000 characters) is not a time snagsync understands.`);
    // A surrogate pair is never cut in two.
    expect(quoteExcerpt(`${'a'.repeat(39)}😀${'b'.repeat(50)}`)).toBe(`"${'a'.repeat(39)}…" (91 characters)`);
  });
  it('formats', () => {
    expect(toIsoSeconds(new Date('2024-01-01T00:00:00.123Z'))).toBe('2024-01-01T00:00:00Z');
    expect(formatDuration(12_000)).toBe('12 s');
  });
});
