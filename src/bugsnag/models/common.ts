import { z } from 'zod';
import { parseTimestamp, toIso } from '../../core/time.js';

/**
 * Building blocks for lenient provider models: unknown fields are kept (`z.looseObject`), known fields are typed but
 * may be missing or null, and nothing transforms inside the schema, so `z.toJSONSchema` works on every exported
 * schema. Normalisation (timestamps, key spellings) is a separate step, done by each model's `normalize`.
 */
export const id = () => z.string().min(1);
export const str = () => z.string().nullish();
export const num = () => z.number().nullish();
/**
 * What a field holds beyond what its lenient check says, for the typed catalogs loaders read (streams/json-schema.ts):
 * a timestamp (a date-time there), a count (an integer there). Checks stay lenient: the API's value is never refused.
 */
export const fieldKinds = z.registry<{ kind: 'timestamp' | 'count' }>();
/** A number of things (events, sessions, users…): always whole. Rates and shares stay `num()`. */
export const count = () => z.number().nullish().register(fieldKinds, { kind: 'count' });
export const bool = () => z.boolean().nullish();
export const strList = () => z.array(z.string()).nullish();
export const dict = () => z.record(z.string(), z.unknown()).nullish();
export const list = () => z.array(z.unknown()).nullish();
/** Any of the timestamp shapes of docs/bugsnag-api.md §15, kept as sent (`Model.normalize` and typed columns canonicalise). */
export const timestamp = () =>
  z
    .string()
    .nullish()
    .describe('timestamp, as the API sent it (any ISO 8601 form)')
    .register(fieldKinds, { kind: 'timestamp' });

/** A timestamp string in any Bugsnag format → canonical ISO (UTC, milliseconds); anything else is left as it was. */
export function normalizeTimestamp(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  // Already canonical (what Bugsnag and the simulator send): returned as is, without a Date per record. Days past the
  // 28th and out-of-range fields take the slow path, where Date's own rules apply.
  if (CANONICAL.test(value)) return value;
  const d = parseTimestamp(value);
  return d ? toIso(d) : value;
}

const CANONICAL = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

export function normalizeTimestamps<T extends object>(record: T, fields: readonly string[]): T {
  const out: Record<string, unknown> = { ...(record as Record<string, unknown>) };
  for (const f of fields) if (f in out) out[f] = normalizeTimestamp(out[f]);
  return out as T;
}

/**
 * A model: its schema (exported for catalogs), how to check one raw JSON value, and how to normalise one. `parse`
 * returns the value as the API sent it (what is stored as `_record` must be the API's JSON, byte for byte); code that
 * needs canonical values (a cursor, a typed column) normalises them itself, with `normalize` or the column's type.
 */
export interface Model<T> {
  readonly name: string;
  readonly schema: z.ZodType<T>;
  parse(raw: unknown): { ok: true; value: T } | { ok: false; problem: string };
  /** A copy with timestamps in canonical ISO UTC and alternative spellings reconciled (the input is left as it was). */
  normalize(value: T): T;
}

export function defineModel<S extends z.ZodType>(
  name: string,
  schema: S,
  normalize: (value: z.infer<S>) => z.infer<S> = (v) => v,
): Model<z.infer<S>> {
  // Lenient schemas (loose objects of optional fields) are checked by a function compiled from them once: the row is
  // kept as parsed from JSON, not copied field by field, which is most of a sync's per-record cost. Anything else goes
  // to zod, and so does a row the check refuses, for zod's message. Either way the value is the row as it came: the
  // schemas validate and never transform (see above), and zod's copy would lose what a user's app may well send in
  // its metaData — an own key named `__proto__` (assigned to a new object, it sets the prototype instead) — and the
  // server's order of keys. The same row, whichever path decided, round-trips byte-exact.
  const check = compileCheck(schema);
  return {
    name,
    schema: schema as unknown as z.ZodType<z.infer<S>>,
    parse(raw) {
      if (check?.(raw)) return { ok: true, value: raw as z.infer<S> };
      const r = schema.safeParse(raw);
      if (!r.success) return { ok: false, problem: describeIssues(r.error) };
      return { ok: true, value: raw as z.infer<S> };
    },
    normalize,
  };
}

type Check = (v: unknown) => boolean;

interface ZodInternals {
  _zod: {
    def: {
      type: string;
      checks?: Array<{ _zod: { def: { check: string; minimum?: number } } }>;
      innerType?: unknown;
      element?: unknown;
      shape?: Record<string, unknown>;
      catchall?: unknown;
      keyType?: unknown;
      valueType?: unknown;
    };
  };
}

/**
 * A check equivalent to `schema.safeParse(v).success` for the shapes lenient models are made of — string (with
 * min length), number, boolean, unknown, nullable, optional, array, record of string → unknown, loose object — or
 * undefined when the schema uses anything else (then zod does all the work).
 */
export function compileCheck(schema: unknown): Check | undefined {
  const def = (schema as ZodInternals)?._zod?.def;
  if (!def) return undefined;
  const checks = def.checks ?? [];
  switch (def.type) {
    case 'string': {
      let min = 0;
      for (const c of checks) {
        if (c._zod.def.check !== 'min_length' || typeof c._zod.def.minimum !== 'number') return undefined;
        min = Math.max(min, c._zod.def.minimum);
      }
      return min > 0 ? (v) => typeof v === 'string' && v.length >= min : (v) => typeof v === 'string';
    }
    case 'number':
      // zod's number refuses NaN and ±Infinity (JSON never has them, but a check must agree everywhere).
      return checks.length ? undefined : (v) => typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return checks.length ? undefined : (v) => typeof v === 'boolean';
    case 'unknown':
      return () => true;
    case 'nullable': {
      const inner = compileCheck(def.innerType);
      return inner && ((v) => v === null || inner(v));
    }
    case 'optional': {
      const inner = compileCheck(def.innerType);
      return inner && ((v) => v === undefined || inner(v));
    }
    case 'array': {
      const el = compileCheck(def.element);
      if (!el || checks.length) return undefined;
      return (v) => {
        if (!Array.isArray(v)) return false;
        for (const x of v) if (!el(x)) return false;
        return true;
      };
    }
    case 'record': {
      const key = (def.keyType as ZodInternals)?._zod?.def;
      const value = (def.valueType as ZodInternals)?._zod?.def;
      if (key?.type !== 'string' || key.checks?.length || value?.type !== 'unknown') return undefined;
      return (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
    }
    case 'object': {
      // Only loose objects: a plain z.object drops unknown keys, so its output differs from its input.
      if ((def.catchall as ZodInternals)?._zod?.def.type !== 'unknown' || checks.length) return undefined;
      const fields: Array<[string, Check]> = [];
      for (const [k, s] of Object.entries(def.shape ?? {})) {
        const c = compileCheck(s);
        if (!c) return undefined;
        fields.push([k, c]);
      }
      return (v) => {
        if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
        for (const [k, c] of fields) if (!c((v as Record<string, unknown>)[k])) return false;
        return true;
      };
    }
    default:
      return undefined;
  }
}

/** The first issues, as "field: what was wrong", short enough for an error message. Never includes values. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : 'the body'}: ${i.message}`)
    .join('; ');
}
