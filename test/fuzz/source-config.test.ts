import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SnagError } from '../../src/core/errors.js';
import {
  problemsError,
  problemsOf,
  SOURCE_CONFIG_KEYS,
  SourceConfigSchema,
  sourceInputProblems,
} from '../../src/engine/source-config.js';
import { hostileJson, hostileText } from './arbitraries.js';
import { RUNS } from './settings.js';

// Values shaped like what each key takes (lists of text, filter objects, numbers in text), and anything else.
const shaped = fc.oneof(
  hostileJson,
  hostileText,
  fc.array(hostileText, { maxLength: 5 }),
  fc.dictionary(hostileText, fc.array(fc.oneof(hostileText, fc.record({ type: hostileText, value: hostileJson })))),
  fc.oneof(fc.integer(), fc.double(), fc.constantFrom('1', '8', '0', '15m', '-1s', '1e3', '7d', '2026-01-01', 'P1D')),
);

describe('source configuration, arbitrary values for each declared key (property)', () => {
  it('validation never throws; every problem is on the key given, as a config SnagError naming it', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SOURCE_CONFIG_KEYS), shaped, (key, value) => {
        const r = SourceConfigSchema.safeParse({ [key]: value });
        if (r.success) return;
        const problems = problemsOf(r.error.issues);
        expect(Object.keys(problems)).toEqual([key]);
        expect(problems[key]!.message.length).toBeGreaterThan(0);
        const err = problemsError(problems);
        expect(err).toBeInstanceOf(SnagError);
        expect(err!.code).toBe('config');
        expect(err!.details.field).toBe(key);
      }),
      RUNS,
    );
  });

  it('several bad keys at once: one problem per key, none lost', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...SOURCE_CONFIG_KEYS), shaped, { maxKeys: 6 }), (config) => {
        const r = SourceConfigSchema.safeParse(config);
        if (r.success) return;
        const problems = problemsOf(r.error.issues);
        for (const field of Object.keys(problems)) expect(Object.keys(config)).toContain(field);
        for (const iss of r.error.issues) expect(problems[String(iss.path[0])]).toBeDefined();
      }),
      RUNS,
    );
  });

  it('the source fields (name, destination, schedule, status…) and unknown keys: problems keyed by field, no exception', () => {
    const field = fc.constantFrom(
      'name',
      'credential',
      'destination',
      'schedule',
      'status',
      '__proto__',
      'constructor',
    );
    fc.assert(
      fc.property(field, shaped, (key, value) => {
        const input = JSON.parse(JSON.stringify({ [key]: value }) ?? '{}') as unknown;
        const problems = sourceInputProblems(input);
        for (const f of Object.keys(problems)) expect(f).toBe(key);
      }),
      RUNS,
    );
  });
});
