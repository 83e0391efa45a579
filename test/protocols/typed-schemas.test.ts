import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { fieldKinds } from '../../src/bugsnag/models/common.js';
import { airbyteCatalog } from '../../src/protocols/airbyte/catalog.js';
import { read, spec } from '../../src/protocols/airbyte/connector.js';
import type { AirbyteMessage } from '../../src/protocols/airbyte/messages.js';
import { parseConnectorConfig } from '../../src/protocols/config.js';
import { protocolRecord } from '../../src/protocols/records.js';
import { singerCatalog } from '../../src/protocols/singer/catalog.js';
import type { Simulator } from '../../src/sim/index.js';
import { STREAMS } from '../../src/streams/catalog.js';
import type { StreamDefinition } from '../../src/streams/types.js';
import { startSim } from '../engine/helpers.js';
import { adminToken } from './helpers.js';

/**
 * The SPEC and the catalogs as Airbyte's connector acceptance tests check them (connector_acceptance_test/tests/
 * test_core.py: TestSpec, TestDiscovery), and as a Singer loader types its columns from them.
 */

type Json = Record<string, unknown>;

function specMessage(): Json {
  const out: AirbyteMessage[] = [];
  spec({ emit: (m) => out.push(m), env: {} });
  return (out[0]!.spec as { connectionSpecification: Json }).connectionSpecification;
}

/** Every (path, value) of `key` anywhere in a JSON value, as dpath's `**\/key` finds them. */
function findKey(node: unknown, key: string, path = ''): Array<[string, unknown]> {
  if (node === null || typeof node !== 'object') return [];
  const out: Array<[string, unknown]> = [];
  for (const [k, v] of Object.entries(node)) {
    const p = `${path}/${k}`;
    if (k === key) out.push([p, v]);
    out.push(...findKey(v, key, p));
  }
  return out;
}

/** Every subschema (what `properties`, `items`, `additionalProperties`, `anyOf`… hold), with its path. */
function subschemas(schema: unknown, path = ''): Array<[string, unknown]> {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return [[path, schema]];
  const s = schema as Json;
  const out: Array<[string, unknown]> = [[path, schema]];
  for (const [k, v] of Object.entries((s.properties ?? {}) as Json))
    out.push(...subschemas(v, `${path}/properties/${k}`));
  for (const k of ['items', 'additionalProperties', 'propertyNames', 'not'])
    if (s[k] !== undefined && typeof s[k] === 'object') out.push(...subschemas(s[k], `${path}/${k}`));
  for (const k of ['anyOf', 'oneOf', 'allOf'])
    if (Array.isArray(s[k])) (s[k] as unknown[]).forEach((v, i) => out.push(...subschemas(v, `${path}/${k}/${i}`)));
  return out;
}

function typesOf(s: Json): Set<string> {
  return new Set(Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === 'string' ? [s.type] : []);
}

/** The model's fields of one kind (timestamp, count), top level and nested, as property paths of the schema. */
function fieldsOfKind(stream: StreamDefinition, kind: 'timestamp' | 'count'): string[][] {
  const out: string[][] = [];
  const walk = (schema: unknown, path: string[]) => {
    let z = schema as { _zod?: { def: { type: string; innerType?: unknown; shape?: Record<string, unknown> } } };
    if (fieldKinds.get(z as never)?.kind === kind) out.push(path);
    while (z?._zod && ['optional', 'nullable'].includes(z._zod.def.type)) z = z._zod.def.innerType as typeof z;
    for (const [k, v] of Object.entries(z?._zod?.def.shape ?? {})) walk(v, [...path, k]);
  };
  walk(stream.schema, []);
  return out;
}

function propertyAt(schema: Json, path: readonly string[]): Json | undefined {
  let s: Json | undefined = schema;
  for (const k of path) s = (s?.properties as Record<string, Json> | undefined)?.[k];
  return s;
}

/**
 * pipelinewise-target-postgres' column_type (db_sync.py), on a flattened property: what a Singer loader makes of each
 * field. A property without `type` gets no column at all (its flatten_schema skips it).
 */
function columnType(property: Json): string | undefined {
  if (property.type === undefined) return undefined;
  const t = typesOf(property);
  if (t.has('object') || t.has('array')) return 'jsonb';
  if (property.format === 'date-time') return 'timestamp with time zone';
  if (property.format === 'time') return 'time without time zone';
  if (t.has('number')) return 'double precision';
  if (t.has('integer') && t.has('string')) return 'character varying';
  if (t.has('integer')) return 'bigint';
  if (t.has('boolean')) return 'boolean';
  return 'character varying';
}

describe('the Airbyte SPEC, as the acceptance tests check it', () => {
  const cs = specMessage();

  it('uses none of the JSON Schema features the connector form cannot render (anyOf, oneOf, not, allOf…)', () => {
    for (const k of ['anyOf', 'oneOf', 'allOf', 'not', 'patternProperties', 'prefixItems', 'if', 'then', 'else'])
      expect(
        findKey(cs, k).filter(([p]) => !p.endsWith(`/properties/${k}`)),
        k,
      ).toEqual([]);
    expect(findKey(cs, '$ref')).toEqual([]);
  });

  it('types each field with one type, or one type and null; objects have properties; arrays hold strings or numbers', () => {
    const props = cs.properties as Record<string, Json>;
    for (const [name, p] of Object.entries(props)) {
      expect(p.type, name).toBeDefined();
      if (Array.isArray(p.type)) {
        expect([1, 2], name).toContain(p.type.length);
        if (p.type.length === 2) expect(p.type[1], name).toBe('null');
      }
      if (typesOf(p).has('object')) expect(Object.keys((p.properties ?? {}) as Json).length, name).toBeGreaterThan(0);
      if (typesOf(p).has('array')) {
        const items = p.items as Json;
        expect(['object', 'string', 'number', 'integer'].includes(items.type as string) || 'enum' in items, name).toBe(
          true,
        );
      }
      if (Array.isArray(p.enum)) expect(new Set(p.enum).size, name).toBe(p.enum.length);
    }
    for (const [p, v] of findKey(cs, 'additionalProperties')) expect(v, p).toBe(true);
    expect((props.filters!.items as Json).type).toBe('string');
    expect((props.stream_intervals!.items as Json).type).toBe('string');
  });

  it('is only what the form shows: the config still takes every shape the source configuration takes', () => {
    const token = 'a'.repeat(40);
    const asLists = parseConnectorConfig({
      token,
      filters: ['app.release_stage=production'],
      stream_intervals: ['releases=0'],
    });
    const asObjects = parseConnectorConfig({
      token,
      filters: { 'app.release_stage': [{ type: 'eq', value: 'production' }] },
      stream_intervals: { releases: '0' },
      organizations: null,
    });
    expect(asLists.options.filters).toEqual(['app.release_stage=production']);
    expect(asObjects.options.filters).toEqual({ 'app.release_stage': [{ type: 'eq', value: 'production' }] });
    expect(asObjects.options.stream_intervals).toEqual({ releases: '0' });
  });
});

describe('the Airbyte catalog, as the acceptance tests check it', () => {
  const catalog = airbyteCatalog() as Array<{
    name: string;
    json_schema: Json;
    default_cursor_field?: string[];
    source_defined_primary_key: string[][];
  }>;
  const VALID_TYPES = new Set(['null', 'string', 'number', 'integer', 'boolean', 'object', 'array']);
  const ajv = new Ajv({ strict: false });

  it.each(catalog.map((s) => [s.name, s] as const))(
    '%s: a draft-07 schema with nothing a loader cannot type',
    (name, s) => {
      expect(() => ajv.compile(s.json_schema)).not.toThrow();
      for (const k of ['$ref', 'allOf', 'not']) expect(findKey(s.json_schema, k), k).toEqual([]);
      for (const [p, v] of findKey(s.json_schema, 'additionalProperties')) expect(v, p).toBe(true);
      for (const c of s.default_cursor_field ?? []) expect(propertyAt(s.json_schema, [c]), c).toBeDefined();
      for (const k of s.source_defined_primary_key) expect(propertyAt(s.json_schema, k), k.join('.')).toBeDefined();
      for (const [p, sub] of subschemas(s.json_schema)) {
        // No empty schema: a loader creates no column for `{}`.
        expect(sub !== null && typeof sub === 'object' && Object.keys(sub).length > 0, `${name}${p} is empty`).toBe(
          true,
        );
        const node = sub as Json;
        const types = typesOf(node);
        if (p !== '') expect(types.size, `${name}${p} has a type`).toBeGreaterThan(0);
        for (const t of types) expect(VALID_TYPES.has(t), `${name}${p}: ${t}`).toBe(true);
        if (node.format !== undefined) {
          expect(node.format, `${name}${p}`).toBe('date-time');
          expect([...types].sort(), `${name}${p}`).toEqual(['null', 'string']);
          expect(node.airbyte_type, `${name}${p}`).toBe('timestamp_with_timezone');
        }
      }
    },
  );

  it.each(STREAMS.map((s) => [s.name, s] as const))(
    '%s: every timestamp a date-time, every count an integer',
    (name, s) => {
      const schema = catalog.find((c) => c.name === name)!.json_schema;
      for (const path of fieldsOfKind(s, 'timestamp')) {
        const p = propertyAt(schema, path)!;
        expect(p.format, path.join('.')).toBe('date-time');
        expect(p.airbyte_type, path.join('.')).toBe('timestamp_with_timezone');
      }
      for (const path of fieldsOfKind(s, 'count'))
        expect(typesOf(propertyAt(schema, path)!), path.join('.')).toEqual(new Set(['integer', 'null']));
      // The destinations' typed columns and the model agree: a timestamp or integer column reads such a field.
      for (const c of s.columns) {
        const p = propertyAt(schema, c.path ?? [c.name]);
        if (!p) continue;
        if (c.type === 'timestamp') expect(p.format, `column ${c.name}`).toBe('date-time');
        if (c.type === 'integer') expect(typesOf(p).has('integer'), `column ${c.name}`).toBe(true);
      }
    },
  );
});

describe('the Singer catalog, typed by a pipelinewise-style loader', () => {
  const streams = singerCatalog().streams as Array<{ tap_stream_id: string; schema: Json }>;
  const count = { timestamps: 0, counts: 0 };

  it.each(STREAMS.map((s) => [s.name, s] as const))(
    '%s: timestamptz for each timestamp, bigint for each count, a column for every field',
    (name, s) => {
      const schema = streams.find((x) => x.tap_stream_id === name)!.schema;
      expect(schema.airbyte_type).toBeUndefined();
      for (const [field, p] of Object.entries(schema.properties as Record<string, Json>))
        expect(columnType(p), `${name}.${field} gets a column`).toBeDefined();
      for (const [field] of fieldsOfKind(s, 'timestamp').filter((p) => p.length === 1)) {
        expect(columnType(propertyAt(schema, [field!])!), field).toBe('timestamp with time zone');
        count.timestamps++;
      }
      for (const [field] of fieldsOfKind(s, 'count').filter((p) => p.length === 1)) {
        expect(columnType(propertyAt(schema, [field!])!), field).toBe('bigint');
        count.counts++;
      }
      for (const c of s.columns.filter((c) => !c.path || c.path.length === 1)) {
        const p = propertyAt(schema, c.path ?? [c.name]);
        if (!p) continue;
        if (c.type === 'timestamp') expect(columnType(p), c.name).toBe('timestamp with time zone');
        if (c.type === 'integer') expect(columnType(p), c.name).toBe('bigint');
      }
    },
  );

  it('covers the 27 timestamps and the counts the issue found typed as text and doubles', () => {
    expect(count.timestamps).toBeGreaterThanOrEqual(27);
    expect(count.counts).toBeGreaterThanOrEqual(34);
  });
});

describe('records as the protocols send them', () => {
  it('a timestamp in a form that is not RFC 3339 is sent as ISO UTC; others, and everything else, as sent', () => {
    const raw = JSON.parse(
      '{"id":"r1","project_id":"p","release_time":"2022-10-17 15:30:00 +0000","metadata":{"__proto__":{"a":1}}}',
    ) as Json;
    const sent = protocolRecord('releases', raw);
    expect(sent.release_time).toBe('2022-10-17T15:30:00.000Z');
    expect(JSON.stringify(sent)).toBe(
      JSON.stringify(raw).replace('2022-10-17 15:30:00 +0000', '2022-10-17T15:30:00.000Z'),
    );
    const rfc = { id: 'r2', project_id: 'p', release_time: '2021-07-08T14:26:55+00:00' };
    expect(protocolRecord('releases', rfc)).toBe(rfc);
  });
});

describe('records read from the simulator', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSim({ orgs: 1, projects: 1, errors: 10, events: 40, releases: 12 });
  }, 60_000);
  afterAll(async () => {
    await sim?.close();
  });

  it('validate against the Airbyte catalog with formats checked (date-time, integers)', async () => {
    const names = ['organizations', 'projects', 'collaborators', 'errors', 'events', 'releases', 'release_groups'];
    const messages: AirbyteMessage[] = [];
    const code = await read(
      { emit: (m) => messages.push(m), env: { SNAGSYNC_RETRY_BASE_MS: '20' } },
      { token: adminToken(sim), host: sim.url },
      { streams: names.map((name) => ({ stream: { name }, sync_mode: 'full_refresh' })) },
      null,
    );
    expect(code).toBe(0);
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const validators = new Map(airbyteCatalog().map((s) => [s.name as string, ajv.compile(s.json_schema as Json)]));
    const records = messages.filter((m) => m.type === 'RECORD').map((m) => m.record as { stream: string; data: Json });
    for (const n of names)
      expect(
        records.some((r) => r.stream === n),
        n,
      ).toBe(true);
    const bad = records
      .filter((r) => !validators.get(r.stream)!(r.data))
      .map((r) => `${r.stream}: ${JSON.stringify(validators.get(r.stream)!.errors?.slice(0, 2))}`);
    expect(bad.slice(0, 5)).toEqual([]);
  }, 120_000);
});
