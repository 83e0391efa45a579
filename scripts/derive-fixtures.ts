// Derives the test fixtures from the reference folder that sits next to the repository when the project is developed
// (`../shared`), so that the tests never read that folder: users who clone the repository do not have it.
//
//   npx tsx scripts/derive-fixtures.ts [path/to/shared]      → test/fixtures/**
//
// It writes exactly what the tests use, in a shape they can read without parsing YAML, and nothing else; where each
// file comes from (and under what licence) is written by hand in test/fixtures/SOURCES.md. Rerun it when the reference
// folder changes, review the diff, and commit the result. It is the only file of the repository that names the folder.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SHARED = process.argv[2] ?? join(ROOT, '../shared');
const OUT = join(ROOT, 'test/fixtures');

type Json = Record<string, unknown>;

function main(): void {
  if (!existsSync(join(SHARED, 'bugsnag'))) {
    console.error(
      `No reference folder at ${SHARED} (expected a bugsnag/ folder in it). The committed fixtures stay as they are.`,
    );
    process.exit(1);
  }
  const written = [exchanges(), openapiResponses(), airbyteFields(), ...protocols()];
  for (const file of written) console.log(`wrote ${relative(ROOT, file)}`);
}

/** Every recorded HTTP interaction of the bugsnag-api-ruby VCR cassettes, in file order, with the body kept verbatim. */
function exchanges(): string {
  const dir = join(SHARED, 'bugsnag/cassettes');
  const out: Json[] = [];
  for (const file of walk(dir)
    .filter((f) => f.endsWith('.yml'))
    .sort()) {
    const doc = YAML.parse(readFileSync(file, 'utf8')) as {
      http_interactions: Array<{
        request: { method: string; uri: string; body?: { string?: string } };
        response: { status: { code: number }; headers: Record<string, string[] | string>; body: { string?: string } };
      }>;
    };
    doc.http_interactions.forEach((it, index) => {
      const headers: Record<string, string[]> = {};
      for (const [name, values] of Object.entries(it.response.headers))
        headers[name] = (Array.isArray(values) ? values : [values]).map(String);
      out.push({
        file: relative(dir, file),
        index,
        method: it.request.method.toUpperCase(),
        uri: it.request.uri,
        requestBody: it.request.body?.string ?? '',
        status: it.response.status.code,
        headers,
        body: it.response.body.string ?? '',
      });
    });
  }
  return write('bugsnag/exchanges.json', {
    source: 'bugsnag/bugsnag-api-ruby spec/cassettes (see SOURCES.md)',
    exchanges: out,
  });
}

/**
 * The OpenAPI document cut down to what response validation reads: per operation, the JSON schema of each response
 * status, and the component schemas those refer to (transitively). Schemas are kept as written, unconverted.
 */
function openapiResponses(): string {
  const spec = readJson(join(SHARED, 'bugsnag/openapi/insight-hub-data-access-api-v2.openapi.json')) as {
    openapi: string;
    info: Json;
    paths: Record<
      string,
      Record<string, { responses?: Record<string, { content?: Record<string, { schema?: Json }> }> }>
    >;
    components: { schemas: Record<string, Json> };
  };
  const paths: Json = {};
  const roots: unknown[] = [];
  for (const [template, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        const schema = response.content?.['application/json']?.schema;
        if (!schema) continue;
        const entry = (((paths[template] ??= {}) as Json)[method] ??= { responses: {} }) as { responses: Json };
        entry.responses[status] = { content: { 'application/json': { schema } } };
        roots.push(schema);
      }
    }
  }
  const needed = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (!node || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')) {
        const name = v.slice('#/components/schemas/'.length);
        if (!needed.has(name)) {
          needed.add(name);
          visit(spec.components.schemas[name]);
        }
      } else visit(v);
    }
  };
  roots.forEach(visit);
  const schemas: Json = {};
  for (const name of Object.keys(spec.components.schemas).filter((n) => needed.has(n)))
    schemas[name] = spec.components.schemas[name];
  return write('bugsnag/openapi-responses.json', {
    openapi: spec.openapi,
    info: { title: spec.info.title, version: spec.info.version, 'x-derived': 'response schemas only (see SOURCES.md)' },
    paths,
    components: { schemas },
  });
}

/**
 * The field paths (and JSON types) Airbyte's manifest declares per stream, learnt from live responses, in the
 * notation of the conformance test (`a.b`, `list[].c`, id-keyed maps as `{}`), and the fields Airbyte adds itself.
 * Field names only, not the schemas: they are facts about Bugsnag's answers (see SOURCES.md for why).
 */
function airbyteFields(): string {
  const dir = join(SHARED, 'bugsnag/airbyte');
  const summary = readJson(join(dir, 'streams-summary.json')) as {
    streams: Record<string, { added_fields?: Record<string, string> }>;
  };
  const streams: Json = {};
  for (const name of readdirSync(dir)
    .filter((f) => f.endsWith('.json') && f !== 'streams-summary.json')
    .sort()) {
    const stream = name.replace(/\.json$/, '');
    const fields: Record<string, string> = {};
    schemaPaths(readJson(join(dir, name)), '', fields);
    streams[stream] = { fields, added_fields: Object.keys(summary.streams[stream]?.added_fields ?? {}) };
  }
  return write('bugsnag/airbyte-fields.json', {
    source: 'airbytehq/airbyte source-bugsnag manifest 0.0.61 (see SOURCES.md)',
    streams,
  });
}

function schemaPaths(schema: Json, prefix: string, out: Record<string, string>): void {
  for (const [k, v] of Object.entries((schema.properties ?? {}) as Record<string, Json>)) {
    const key = /^[0-9a-f]{24}$/.test(k) ? '{}' : k;
    const path = prefix ? `${prefix}.${key}` : key;
    out[path] = [v.type ?? 'any'].flat().join('|');
    if (v.properties) schemaPaths(v, path, out);
    const items = v.items as Json | undefined;
    if (items?.properties) schemaPaths(items, `${path}[]`, out);
  }
}

/** The Airbyte protocol's JSON Schema (MIT), byte for byte, for the Airbyte-protocol mode. */
function protocols(): string[] {
  const dir = join(SHARED, 'protocols');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.json'))
    .sort()
    .map((f) => {
      const to = join(OUT, 'protocols', f);
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(join(dir, f), to);
      return to;
    });
}

function write(path: string, value: unknown): string {
  const to = join(OUT, path);
  mkdirSync(dirname(to), { recursive: true });
  writeFileSync(to, `${JSON.stringify(value, null, 1)}\n`);
  return to;
}

function readJson(path: string): Json {
  return JSON.parse(readFileSync(path, 'utf8')) as Json;
}

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
}

main();
