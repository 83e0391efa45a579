import { z } from 'zod';
import { SnagError } from '../core/errors.js';
import { bugsnagCredentialType } from '../credentials/bugsnag-type.js';
import { parseSourceInput, problemsError, problemsOf, SOURCE_CONFIG_SHAPE } from '../engine/source-config.js';

/**
 * The configuration an orchestrator (Airbyte, Meltano, any Singer runner) hands the connector: the credential's
 * fields (token, host) from the credential type, and the source's options from the source configuration's one
 * declaration. Nothing is listed here by hand: a new source option or credential field shows up in the Airbyte SPEC
 * and is accepted by `read` without a change in this folder.
 *
 * `streams` is left out: the orchestrator's catalog says which streams to read (and how).
 */

const CREDENTIAL_FIELDS = ['token', 'host'] as const;

function credentialSchema(name: (typeof CREDENTIAL_FIELDS)[number]): z.ZodType {
  const f = bugsnagCredentialType.fields.find((x) => x.name === name);
  if (!f) throw new Error(`credential field ${name} is not declared`);
  const meta: Record<string, unknown> = { title: f.label, description: f.help };
  // Airbyte hides and encrypts the fields marked airbyte_secret; Meltano's settings follow `secret` (kind: password).
  if (f.secret) meta.airbyte_secret = true;
  if (f.default !== undefined) meta.default = f.default;
  const examples = f.options?.map((o) => o.value).filter((v) => v !== '');
  if (examples?.length) meta.examples = examples;
  const missing = `Give the ${f.label.toLowerCase()} ("${name}").`;
  const base = z
    .string({ error: (iss) => (iss.input === undefined ? missing : undefined) })
    .min(1, { message: missing });
  return (f.required ? base : base.optional()).meta(meta);
}

const OPTION_SHAPE = Object.fromEntries(Object.entries(SOURCE_CONFIG_SHAPE).filter(([k]) => k !== 'streams'));

export const ConnectorConfigSchema = z.looseObject({
  token: credentialSchema('token'),
  host: credentialSchema('host'),
  ...OPTION_SHAPE,
});

export interface ConnectorConfig {
  token: string;
  host: string;
  /** The source options as given (validated by the engine when the source is created). */
  options: Record<string, unknown>;
}

/**
 * Parses the orchestrator's config: every problem at once, the first as the message, each on its field. Unknown keys
 * are kept out (an orchestrator may add its own) but not refused.
 */
export function parseConnectorConfig(raw: unknown): ConnectorConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new SnagError('config', 'The config must be a JSON object.', {
      hint: 'Give at least {"token": "…"} (and "host" for another Bugsnag than api.bugsnag.com).',
    });
  }
  const r = ConnectorConfigSchema.safeParse(raw);
  if (!r.success)
    throw problemsError(problemsOf(r.error.issues)) ?? new SnagError('config', 'The config is not valid.');
  const data = r.data as Record<string, unknown>;
  const options: Record<string, unknown> = {};
  for (const k of Object.keys(OPTION_SHAPE)) if (data[k] !== undefined && data[k] !== null) options[k] = data[k];
  // The engine's own input check, so that `check` reports a bad start date or filter as `sources create` would.
  const judged = parseSourceInput(options);
  if (judged.error) throw judged.error;
  const host = typeof data.host === 'string' && data.host.trim() ? data.host : hostDefault();
  return { token: data.token as string, host, options };
}

function hostDefault(): string {
  return bugsnagCredentialType.fields.find((f) => f.name === 'host')?.default ?? '';
}

/**
 * The config's JSON Schema (draft-07, as Airbyte's connectionSpecification is), each option in one shape Airbyte's
 * connector form renders (see formShape). `parseConnectorConfig` still takes every shape the declaration takes.
 */
export function connectorConfigJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ConnectorConfigSchema, {
    target: 'draft-7',
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  const properties = Object.fromEntries(
    Object.entries((schema.properties ?? {}) as Record<string, Json>).map(([k, v]) => [k, formShape(v)]),
  );
  return { ...schema, properties, title: 'Bugsnag (snagsync)', additionalProperties: true };
}

type Json = Record<string, unknown>;

/**
 * Airbyte's form draws a field of one type (or that type and null) and refuses `anyOf` (its acceptance tests too):
 * an option the declaration accepts in several shapes (filters as a list or an object, a value or null) is shown in
 * the first shape the form renders — a value, or a list of strings or numbers: `filters` as `FIELD=VALUE` lines,
 * `stream_intervals` as `STREAM=DURATION` lines. A missing option is what none is, so null needs no shape of its own
 * (a list of choices says only its choices; any other type adds null, as the options without alternatives do).
 */
function formShape(property: Json): Json {
  if (!Array.isArray(property.anyOf)) return property;
  const { anyOf, ...rest } = property;
  const shapes = flatten(anyOf as Json[]).filter((o) => o.type !== 'null');
  const shown = shapes.find(renders);
  if (!shown) return property;
  const type = shown.type as string;
  return { ...rest, ...shown, type: shown.enum ? type : [type, 'null'] };
}

function flatten(options: Json[]): Json[] {
  return options.flatMap((o) => (Array.isArray(o.anyOf) ? flatten(o.anyOf as Json[]) : [o]));
}

const SCALARS = ['string', 'number', 'integer', 'boolean'];

function renders(shape: Json): boolean {
  if (typeof shape.type !== 'string') return false;
  if (SCALARS.includes(shape.type)) return true;
  const items = shape.items as Json | undefined;
  return shape.type === 'array' && typeof items?.type === 'string' && SCALARS.slice(0, 3).includes(items.type);
}
