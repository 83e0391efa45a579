import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as models from '../../src/bugsnag/models/index.js';
import { compileCheck, type Model } from '../../src/bugsnag/models/index.js';

// The compiled check that spares lenient models a zod parse per record must accept exactly what zod accepts.
const all = (Object.entries(models) as Array<[string, unknown]>).filter(
  (e): e is [string, Model<unknown>] =>
    typeof e[1] === 'object' && e[1] !== null && 'parse' in e[1] && 'schema' in e[1],
);

/** Values shaped like the model's rows, with fields of every kind in every place, plus any JSON at all. */
function rowsFor(schema: unknown): fc.Arbitrary<unknown> {
  const shape = (schema as { _zod: { def: { shape?: Record<string, unknown> } } })._zod.def.shape ?? {};
  const anyValue = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.string(),
    fc.constant(''),
    fc.constant(null),
    fc.constant(Number.NaN),
    fc.constant(Infinity),
    fc.array(fc.string(), { maxLength: 3 }),
    fc.array(
      fc.dictionary(fc.constantFrom('errorClass', 'message', 'type', 'stacktrace', 'x'), fc.jsonValue({ maxDepth: 1 })),
      { maxLength: 3 },
    ),
  );
  const row = fc.dictionary(fc.constantFrom(...Object.keys(shape), 'extra', 'other'), anyValue, {
    maxKeys: Object.keys(shape).length + 2,
  });
  return fc.oneof(row, fc.jsonValue({ maxDepth: 2 }));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  return v;
}

describe('compiled model checks', () => {
  it('compiles for the lenient models the sync reads most (events, errors)', () => {
    expect(compileCheck(models.Event.schema)).toBeTypeOf('function');
    expect(compileCheck(models.EventSchema)).toBeTypeOf('function');
  });

  it('refuses what it cannot decide, so zod decides (a plain object drops unknown keys)', async () => {
    const { z } = await import('zod');
    expect(compileCheck(z.object({ a: z.string() }))).toBeUndefined();
    expect(compileCheck(z.string().email())).toBeUndefined();
    expect(compileCheck(z.looseObject({ a: z.string().min(1) }))).toBeTypeOf('function');
  });

  for (const [name, model] of all) {
    const check = compileCheck(model.schema);
    if (!check) continue;
    it(`${name}: accepts exactly what zod accepts, and parses to the same value`, () => {
      fc.assert(
        fc.property(rowsFor(model.schema), (raw) => {
          const zod = model.schema.safeParse(raw);
          expect(check(raw)).toBe(zod.success);
          const parsed = model.parse(raw);
          expect(parsed.ok).toBe(zod.success);
          if (parsed.ok && zod.success) expect(canonical(parsed.value)).toEqual(canonical(zod.data));
        }),
        { numRuns: 300 },
      );
    });
  }
});
