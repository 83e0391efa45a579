import { z } from 'zod';
import { fieldKinds } from '../bugsnag/models/common.js';
import type { StreamDefinition } from './types.js';

/**
 * A stream's record schema as loaders type their columns from it (Airbyte's destinations, Singer targets such as
 * pipelinewise-target-postgres), generated from the stream's zod model — the one declaration of its fields:
 *
 * - a timestamp (the model's `timestamp()`) is a string with `format: date-time` (and, for Airbyte,
 *   `airbyte_type: timestamp_with_timezone`): a loader makes it a timestamp column, not text;
 * - a count (`count()`) is an `integer`: a bigint column, not a double;
 * - "X or null" is one `type` list, not an `anyOf` (a loader reads `type`; an `anyOf` it may not look into);
 * - no empty schema `{}`: a loader creates no column for one. A value of any JSON shape says so with every type;
 *   an open object says `additionalProperties: true`.
 *
 * Records are checked leniently all the same (the API's value is never refused); the protocols send timestamps
 * as RFC 3339 (protocols/records.ts), so the format holds for every value they send.
 */

export interface RecordSchemaOptions {
  /** JSON Schema dialect: draft-07 for Airbyte and Singer; zod's default (2020-12) for `snagsync streams --json`. */
  target?: 'draft-7' | 'draft-2020-12';
  /** Add Airbyte's `airbyte_type` to timestamps. */
  airbyte?: boolean;
}

type Schema = Record<string, unknown>;

/** Any JSON value: what a field the model leaves open (`z.unknown()`) may hold. */
const ANY_JSON = ['object', 'array', 'string', 'number', 'boolean', 'null'];

export function recordJsonSchema(stream: StreamDefinition, options: RecordSchemaOptions = {}): Schema {
  const schema = z.toJSONSchema(stream.schema, {
    ...(options.target === 'draft-7' ? { target: 'draft-7' as const } : {}),
    unrepresentable: 'any',
    override: (ctx) => {
      const kind = fieldKinds.get(ctx.zodSchema as unknown as z.ZodType)?.kind;
      if (!kind) return;
      const js = ctx.jsonSchema as Schema;
      for (const k of Object.keys(js)) if (k !== 'description') delete js[k];
      if (kind === 'count') js.type = ['integer', 'null'];
      else {
        js.type = ['string', 'null'];
        js.format = 'date-time';
        if (options.airbyte) js.airbyte_type = 'timestamp_with_timezone';
      }
    },
  }) as Schema;
  return tidy(schema) as Schema;
}

/** The top-level fields the model declares as timestamps (what the protocols send as RFC 3339). */
export function timestampFields(stream: StreamDefinition): string[] {
  const shape = (stream.schema as unknown as { shape?: Record<string, z.ZodType> }).shape ?? {};
  return Object.entries(shape)
    .filter(([, s]) => fieldKinds.get(s)?.kind === 'timestamp')
    .map(([k]) => k);
}

/** The loader-friendly shape of one (sub)schema, recursively (see above). */
function tidy(node: unknown): unknown {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return node;
  const s = { ...(node as Schema) };
  if (Object.keys(s).length === 0) return { type: ANY_JSON };
  if (s.properties && typeof s.properties === 'object')
    s.properties = Object.fromEntries(Object.entries(s.properties as Schema).map(([k, v]) => [k, tidy(v)]));
  if (s.additionalProperties !== undefined && typeof s.additionalProperties === 'object') {
    const open = Object.keys(s.additionalProperties as Schema).length === 0;
    s.additionalProperties = open ? true : tidy(s.additionalProperties);
  }
  // Keys of a JSON object are strings whatever the schema says.
  if (isStringKeys(s.propertyNames)) delete s.propertyNames;
  if (s.items !== undefined) {
    // An array of anything: the type says it is an array, an empty `items` would say nothing more.
    if (isEmpty(s.items)) delete s.items;
    else s.items = tidy(s.items);
  }
  if (Array.isArray(s.anyOf)) {
    const options = (s.anyOf as unknown[]).map(tidy) as Schema[];
    const nonNull = options.filter((o) => !(o.type === 'null' && Object.keys(o).length === 1));
    const only = nonNull[0];
    if (nonNull.length === 1 && only && typeof only.type === 'string' && options.length === 2) {
      const { anyOf: _, ...rest } = s;
      return { ...rest, ...only, type: [only.type, 'null'] };
    }
    s.anyOf = options;
  }
  return s;
}

function isEmpty(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;
}

function isStringKeys(v: unknown): boolean {
  return (
    v !== null && typeof v === 'object' && Object.keys(v).length === 1 && (v as { type?: unknown }).type === 'string'
  );
}
