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
export const bool = () => z.boolean().nullish();
export const strList = () => z.array(z.string()).nullish();
export const dict = () => z.record(z.string(), z.unknown()).nullish();
export const list = () => z.array(z.unknown()).nullish();
/** Any of the timestamp shapes of docs/bugsnag-api.md §15; normalised to `2017-12-12T10:58:55.000Z`. */
export const timestamp = () => z.string().nullish().describe('timestamp, normalised to ISO 8601 UTC');

/** A timestamp string in any Bugsnag format → canonical ISO (UTC, milliseconds); anything else is left as it was. */
export function normalizeTimestamp(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const d = parseTimestamp(value);
  return d ? toIso(d) : value;
}

export function normalizeTimestamps<T extends object>(record: T, fields: readonly string[]): T {
  const out: Record<string, unknown> = { ...(record as Record<string, unknown>) };
  for (const f of fields) if (f in out) out[f] = normalizeTimestamp(out[f]);
  return out as T;
}

/** A model: its schema (exported for catalogs), and how to turn one raw JSON value into a normalised record. */
export interface Model<T> {
  readonly name: string;
  readonly schema: z.ZodType<T>;
  parse(raw: unknown): { ok: true; value: T } | { ok: false; problem: string };
}

export function defineModel<S extends z.ZodType>(
  name: string,
  schema: S,
  normalize: (value: z.infer<S>) => z.infer<S> = (v) => v,
): Model<z.infer<S>> {
  return {
    name,
    schema: schema as unknown as z.ZodType<z.infer<S>>,
    parse(raw) {
      const r = schema.safeParse(raw);
      if (!r.success) return { ok: false, problem: describeIssues(r.error) };
      return { ok: true, value: normalize(r.data as z.infer<S>) };
    },
  };
}

/** The first issues, as "field: what was wrong", short enough for an error message. Never includes values. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : 'the body'}: ${i.message}`)
    .join('; ');
}
