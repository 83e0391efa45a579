import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as models from '../../src/bugsnag/models/index.js';
import { compileCheck, defineModel, type Model } from '../../src/bugsnag/models/index.js';

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
  // Keys a user's app may put in metaData that are special to JavaScript objects, at the top and one level down.
  const special = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty');
  const anyKeys = fc.oneof(fc.constantFrom(...Object.keys(shape), 'extra', 'other'), special);
  const row = fc.dictionary(anyKeys, fc.oneof(anyValue, fc.dictionary(special, anyValue, { maxKeys: 2 })), {
    maxKeys: Object.keys(shape).length + 2,
  });
  return fc.oneof(row, fc.jsonValue({ maxDepth: 2 }));
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
          // The row as it came, own `__proto__` keys and all (zod's copy drops them), whichever path decided.
          if (parsed.ok) expect(JSON.stringify(parsed.value)).toBe(JSON.stringify(raw));
        }),
        { numRuns: 300 },
      );
    });
  }

  // A user's app writes its metaData: any key can come, and one fixed case runs every time (it failed one run in
  // three when fast-check happened to draw it: the check kept the key, zod's copy dropped it).
  it('keeps keys special to JavaScript objects, byte-exact, by either path (the check or zod)', () => {
    const text =
      '{"id":"5f1c0000000000000000000a","metaData":{"__proto__":{"polluted":1},"constructor":{"prototype":2}},"__proto__":{}}';
    for (const model of [models.Event, models.ErrorGroup] as Array<Model<unknown>>) {
      const raw = JSON.parse(text) as unknown;
      const parsed = model.parse(raw);
      expect(parsed.ok).toBe(true);
      if (parsed.ok) expect(JSON.stringify(parsed.value)).toBe(text);
      // The zod path too: a row the compiled check cannot decide goes to zod, and must come out the same.
      const zodOnly = model.schema.refine(() => true); // a check with a refinement is not compiled: zod decides
      expect(compileCheck(zodOnly)).toBeUndefined();
      const viaZod = defineModel('test', zodOnly).parse(JSON.parse(text));
      expect(viaZod.ok && JSON.stringify(viaZod.value)).toBe(text);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
