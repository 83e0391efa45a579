import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { readFixture } from '../helpers/fixtures.js';

/**
 * Response validators from SmartBear's OpenAPI 3.0 description of the Data Access API. Two conversions make its
 * schemas usable by a JSON Schema validator (`nullable` → a `null` type; component refs resolved against one
 * document), and a short list of fixups records where the real API, as recorded, differs from its own spec. Each
 * fixup says why; none of them loosens a field the recordings do not show.
 */
type Json = Record<string, unknown>;

// The response schemas of `openapi/insight-hub-data-access-api-v2.openapi.json`, as derived into the fixtures.
const spec = readFixture<{
  paths: Record<
    string,
    Record<string, { responses?: Record<string, { content?: Record<string, { schema?: Json }> }> }>
  >;
  components: { schemas: Record<string, Json> };
}>('bugsnag/openapi-responses.json');

const schemas = structuredClone(spec.components.schemas);
/** The `properties` object that holds `name` (looking inside allOf parts). */
const ownerOf = (schema: Json, name: string): Json => {
  const parts = Array.isArray(schema.allOf) ? (schema.allOf as Json[]) : [schema];
  const part = parts.find((x) => (x.properties as Json | undefined)?.[name]);
  if (!part) throw new Error(`no property ${name}`);
  return part.properties as Json;
};
const nullable = (schema: Json, ...names: string[]) => {
  for (const n of names) {
    const owner = ownerOf(schema, n);
    owner[n] = { anyOf: [owner[n], { type: 'null' }] };
  }
};
/** The recordings show `created_issue: {}` when no issue was created (the field is deprecated). */
const emptyCreatedIssue = (schema: Json) => {
  const owner = ownerOf(schema, 'created_issue');
  owner.created_issue = { anyOf: [owner.created_issue, { type: 'object', maxProperties: 0 }] };
};

// The spec writes an example project id as a *required property* of project_roles; it is a map keyed by project id.
(schemas.CollaboratorApiView!.properties as Json).project_roles = {
  type: 'object',
  additionalProperties: { type: 'string' },
};
// Values the 2017 recordings show as null where the spec does not say nullable; an unassigned team is null like an
// unassigned collaborator (same serializer).
nullable(schemas.ErrorApiView!, 'overridden_severity', 'assigned_collaborator_id', 'reopen_rules', 'assigned_team_id');
emptyCreatedIssue(schemas.ErrorApiView!);
nullable(
  schemas._EventExceptionStacktrace!,
  'column_number',
  'macho_uuid',
  'source_control_link',
  'source_control_name',
  'in_project',
);
nullable(schemas.CollaboratorApiView!, 'name', 'two_factor_enabled_on', 'last_request_at');

/** OpenAPI 3.0 → JSON Schema: `nullable`, and refs into one document. */
function convert(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(convert);
  if (!node || typeof node !== 'object') return node;
  const src = node as Json;
  const out: Json = {};
  for (const [k, v] of Object.entries(src)) {
    if (k === 'example' || k === 'examples' || k === 'nullable' || k === 'xml' || k === 'discriminator') continue;
    if (k === '$ref' && typeof v === 'string')
      out.$ref = v.replace('#/components/schemas/', 'oas#/components/schemas/');
    else out[k] = convert(v);
  }
  if (src.nullable === true) {
    if (Array.isArray(src.enum)) out.enum = [...(src.enum as unknown[]), null];
    if (typeof src.type === 'string') out.type = [src.type, 'null'];
    else if (!src.type) return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

const ajv = new Ajv({ strict: false, allErrors: true });
(addFormatsModule as unknown as (a: Ajv) => void)(ajv);
ajv.addSchema({ $id: 'oas', components: { schemas: convert(schemas) } });

const cache = new Map<string, ValidateFunction | null>();

/** Validator for an operation's response (null when the spec gives that status no JSON schema). */
export function responseValidator(method: string, template: string, status: number): ValidateFunction | null {
  const key = `${method} ${template} ${status}`;
  if (cache.has(key)) return cache.get(key)!;
  const op = spec.paths[template]?.[method.toLowerCase()];
  if (!op) throw new Error(`the spec has no operation ${method} ${template}`);
  let schema = op.responses?.[String(status)]?.content?.['application/json']?.schema;
  if (schema && method === 'PATCH' && template === '/projects/{project_id}/errors') schema = bulkSchema(schema);
  if (schema && status === 200 && template.endsWith('/trends')) schema = trendSchema(schema);
  const v = schema ? ajv.compile(convert(schema) as Json) : null;
  cache.set(key, v);
  return v;
}

/**
 * The bulk answer is an object keyed by error id plus `operation`; the spec writes an example id as a property and
 * misspells one operation (`overriden_severity`) while its request enum has `override_severity` and `undiscard`.
 */
function bulkSchema(schema: Json): Json {
  const props = schema.properties as Json;
  const entry = structuredClone(Object.entries(props).find(([k]) => k !== 'operation')![1]) as Json;
  // As recorded: `{"assigned_collaborator_id":null,"created_issue":{},"reopen_rules":null,"status":"fixed"}`.
  nullable(entry, 'assigned_collaborator_id', 'assigned_team_id', 'reopen_rules');
  emptyCreatedIssue(entry);
  const operation = props.operation as Json;
  return {
    type: 'object',
    required: ['operation'],
    properties: {
      operation: { ...operation, enum: [...(operation.enum as string[]), 'override_severity', 'undiscard'] },
    },
    additionalProperties: { anyOf: [entry, { type: 'object', maxProperties: 0 }] },
    patternProperties: {},
  };
}

/** Trend1 and Trend2 are identical, so the spec's `oneOf` can never pass: any of them will do. */
function trendSchema(schema: Json): Json {
  const items = schema.items as Json;
  return { ...schema, items: { anyOf: items.oneOf } };
}

export function describeErrors(v: ValidateFunction): string {
  return (v.errors ?? [])
    .slice(0, 8)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`)
    .join('\n');
}
