import fc from 'fast-check';

/** Text as people and attackers send it: any Unicode, controls and bidi marks, lone surrogates, long runs. */
export const hostileText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc
    .tuple(
      fc.string({ maxLength: 10 }),
      fc.constantFrom('\u202e', '\u2066', '\u200f', '\u0000', '\u001b[31m', '\r\n', '\ud800', '\ufeff', '\u0085'),
      fc.string({ maxLength: 10 }),
    )
    .map(([a, b, c]) => a + b + c),
  fc.nat({ max: 6_000 }).map((n) => 'x'.repeat(n)),
);

/** Any JSON value, including the shapes that break naive code: deep nesting, __proto__ keys, huge strings. */
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: hostileText },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1e308, -0, 0.5, Number.MAX_SAFE_INTEGER + 2) },
  { weight: 1, arbitrary: fc.nat({ max: 2_000 }).map((n) => nested(n)) },
  { weight: 1, arbitrary: fc.constant(JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{}}}')) },
);

/** `[[[…]]]` n levels deep (built iteratively: the generator itself must not overflow). */
export function nested(n: number): unknown {
  let v: unknown = 'deep';
  for (let i = 0; i < n; i++) v = i % 2 ? [v] : { a: v };
  return v;
}
