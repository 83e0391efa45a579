import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toIso } from '../../src/core/time.js';
import { minIso, ms } from '../../src/streams/util.js';

// minIso compares canonical timestamps as text (it runs per record); it must answer what comparing times answers.
function reference(a: string | undefined, b: string | null | undefined): string | undefined {
  const mb = ms(b);
  if (mb === null) return a;
  const ma = ms(a);
  return ma === null || mb < ma ? toIso(mb) : a;
}

const stamp = fc.oneof(
  fc
    .date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc.constantFrom(
    '2026-02-30T00:00:00.000Z',
    '2026-13-01T00:00:00.000Z',
    '2026-01-01T24:00:00.000Z',
    '2026-01-31T23:59:59.999Z',
    '2026-01-15 10:00:00',
    'nonsense',
  ),
);

describe('minIso', () => {
  it('answers as a comparison of times would, canonical or not', () => {
    fc.assert(
      fc.property(fc.option(stamp, { nil: undefined }), fc.option(stamp, { nil: null }), (a, b) => {
        expect(minIso(a, b)).toBe(reference(a, b));
      }),
      { numRuns: 2000 },
    );
  });
});
