import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { registerSecret } from '../../core/redact.js';
import { bugsnagCredentialType } from '../../credentials/bugsnag-type.js';
import type { CredentialField, CredentialFieldName } from '../../credentials/credential-type.js';
import type { CredentialInput } from '../../credentials/service.js';
import { serverVerifyError, type CredentialView, type VerifyErrorView } from '../../credentials/view.js';
import { problemsError } from '../../engine/index.js';
import { ErrorSchema, named } from '../openapi.js';
import { webAdvice } from '../runs/advice.js';
import { attachedProblems, validationError } from '../validation.js';

/** The recorded failure with the API's advice (never a CLI command). */
function webVerifyError(v: VerifyErrorView | null): VerifyErrorView | null {
  const e = serverVerifyError(v);
  if (!e || e.hint === undefined) return e;
  const { hint: _cli, ...rest } = e;
  const hint = webAdvice(e.hint);
  return hint ? { ...rest, hint } : rest;
}

/**
 * The `data_credentials` resource (after Nexla's): what the API returns for a credential, and how a request body
 * becomes the service's input. Secrets are write-only: a request carries the token in `credentials.auth_token`; a
 * response only ever shows `credentials_non_secure_data` (host and the token's last four characters). The zod
 * schemas below are the routes' validation and the OpenAPI document's.
 */

export interface DataCredential {
  id: string;
  name: string;
  description: string | null;
  credentials_type: 'bugsnag';
  connector: 'bugsnag';
  credentials_non_secure_data: { host: string; token_last4: string };
  verified_status: CredentialView['verified_status'];
  verified_at: string | null;
  verify_error: VerifyErrorView | null;
  organizations: CredentialView['organizations'];
  rate_limit: CredentialView['rate_limit'];
  sources_count: number;
  /** The sources that use it (what a delete would disable). */
  sources: Array<{ id: string; name: string; status: string }>;
  created_at: string;
  updated_at: string;
}

export function toDataCredential(v: CredentialView, sources: DataCredential['sources']): DataCredential {
  return {
    id: v.id,
    name: v.name,
    description: v.description,
    credentials_type: 'bugsnag',
    connector: v.connector,
    credentials_non_secure_data: { host: v.host, token_last4: v.token_last4 },
    verified_status: v.verified_status,
    verified_at: v.verified_at,
    verify_error: webVerifyError(v.verify_error),
    organizations: v.organizations,
    rate_limit: v.rate_limit,
    sources_count: v.sources_count,
    sources,
    created_at: v.created_at,
    updated_at: v.updated_at,
  };
}

/** Fields a client may send back unchanged from a GET (ignored on PUT). */
const READ_ONLY = [
  'id',
  'connector',
  'credentials_non_secure_data',
  'verified_status',
  'verified_at',
  'verify_error',
  'organizations',
  'rate_limit',
  'sources_count',
  'sources',
  'created_at',
  'updated_at',
  'notes',
  'changed',
] as const;

// ---------------------------------------------------------------------------------------------------------------
// Schemas (route validation and the OpenAPI document). The credential's own fields come from the credential type:
// its labels, help, lengths, secret flag and host presets, like the CLI prompt and the web form.

const field = (name: CredentialFieldName): CredentialField => {
  const f = bugsnagCredentialType.fields.find((x) => x.name === name);
  if (!f) throw new Error(`the credential type has no field ${name}`);
  return f;
};

function fieldSchema(name: CredentialFieldName) {
  const f = field(name);
  const base = f.maxLength !== undefined ? z.string().max(f.maxLength) : z.string();
  return base.meta({
    title: f.label,
    description: f.help,
    ...(f.default !== undefined ? { default: f.default } : {}),
    ...(f.secret ? { writeOnly: true, format: 'password' } : {}),
    ...(f.options ? { examples: f.options.filter((o) => !o.custom).map((o) => o.value) } : {}),
  });
}

const WRITABLE = ['name', 'description', 'credentials', 'credentials_type', 'verify'];
const takes = (what: string, keys: readonly string[]) => (iss: { code?: string }) =>
  iss.code === 'unrecognized_keys' ? `${what} takes ${keys.join(', ')}.` : undefined;

function requestSchema(mode: 'create' | 'update') {
  const tokenRequired = mode === 'create' && field('token').required && field('token').default === undefined;
  const credentials = z.strictObject(
    {
      auth_token: tokenRequired ? fieldSchema('token') : fieldSchema('token').optional(),
      host: fieldSchema('host').optional(),
    },
    { error: takes('credentials', ['auth_token', 'host']) },
  );
  const shape = {
    name: mode === 'create' ? fieldSchema('name') : fieldSchema('name').optional(),
    description: fieldSchema('description').nullable().optional(),
    credentials_type: z
      .literal('bugsnag')
      .optional()
      .meta({ description: 'snagsync stores Bugsnag credentials only.' }),
    credentials: mode === 'create' ? credentials : credentials.nullable().optional(),
    verify: z
      .boolean()
      .optional()
      .meta({ default: true, description: 'false saves without checking (status UNVERIFIED).' }),
  };
  const readOnly = Object.fromEntries(
    READ_ONLY.map((k) => [k, z.unknown().optional().meta({ description: 'Read-only: ignored.' })]),
  );
  return z
    .strictObject(mode === 'create' ? shape : { ...shape, ...readOnly }, {
      error: takes('A data credential', WRITABLE),
    })
    .meta({
      description:
        mode === 'create'
          ? 'A new credential. The token is verified with Bugsnag before it is saved (unless verify is false).'
          : 'Fields to change; absent ones stay. A new token or host is verified first; on failure nothing changes. ' +
            'Read-only fields of the resource are ignored, so a GET body can be sent back.',
    });
}

export const DataCredentialCreate = named('DataCredentialCreate', requestSchema('create'));
export const DataCredentialUpdate = named('DataCredentialUpdate', requestSchema('update'));

const Organization = z.object({ id: z.string(), name: z.string(), slug: z.string().nullable() });
const RateLimit = z
  .object({
    limit: z.number().int().nullable(),
    remaining: z.number().int().nullable(),
    seen_at: z.string(),
    window_ms: z.number().positive().optional().meta({
      description: 'The rate-limit window the check counted in, in ms (Bugsnag does not say); absent for old checks.',
    }),
  })
  .nullable();
const VerifiedStatus = z.enum(['VERIFIED', 'FAILED', 'UNVERIFIED']);

export const DataCredentialSchema = named(
  'DataCredential',
  z.object({
    id: z.string().regex(/^cred_[0-9a-z]+$/),
    name: z.string(),
    description: z.string().nullable(),
    credentials_type: z.literal('bugsnag'),
    connector: z.literal('bugsnag'),
    credentials_non_secure_data: z.strictObject({
      host: z.string().meta({ description: 'The Data Access API base URL.' }),
      token_last4: z
        .string()
        .max(4)
        .meta({ description: 'The last four characters of the token: all that is ever shown of it.' }),
    }),
    verified_status: VerifiedStatus,
    verified_at: z.string().nullable().meta({ description: 'When the token was last checked (ISO 8601).' }),
    verify_error: z
      .object({
        error: z.string(),
        message: z.string(),
        hint: z.string().optional(),
        field: z.string().optional(),
        exit_code: z.number().int().optional(),
      })
      .nullable()
      .meta({ description: 'Why the last check failed.' }),
    organizations: z.array(Organization),
    rate_limit: RateLimit,
    sources_count: z.number().int().min(0),
    sources: z.array(z.object({ id: z.string(), name: z.string(), status: z.string() })),
    created_at: z.string(),
    updated_at: z.string(),
    notes: z.array(z.string()).optional().meta({
      description:
        'Create/update only: what was changed in the input (a prefix removed from the token, the API host chosen).',
    }),
    changed: z
      .array(z.enum(['name', 'description', 'host', 'token']))
      .optional()
      .meta({ description: 'Update only: the fields that changed.' }),
  }),
);

export const ProbeResult = named(
  'ProbeResult',
  z.object({
    ok: z.literal(true),
    verified_status: z.literal('VERIFIED'),
    checked_at: z.string(),
    latency_ms: z.number().int().min(0),
    organizations: z.array(Organization),
    rate_limit: RateLimit,
    credential: DataCredentialSchema,
  }),
);

export const ProbeLast = named(
  'ProbeLast',
  DataCredentialSchema.pick({
    verified_status: true,
    verified_at: true,
    verify_error: true,
    organizations: true,
    rate_limit: true,
  }).extend({ credential_id: z.string() }),
);

export function probeLastJson(c: DataCredential): z.infer<typeof ProbeLast> {
  return {
    credential_id: c.id,
    verified_status: c.verified_status,
    verified_at: c.verified_at,
    verify_error: c.verify_error,
    organizations: c.organizations,
    rate_limit: c.rate_limit,
  };
}

export const ProbeFailure = named(
  'ProbeFailure',
  ErrorSchema.extend({ ok: z.literal(false), verified_status: VerifiedStatus, credential: DataCredentialSchema }),
);

const nullableString = z.string().nullable();
export const ProbeSample = named(
  'ProbeSample',
  z.object({
    credential_id: z.string(),
    latency_ms: z.number().int().min(0),
    organizations: z
      .array(z.object({ id: z.string(), name: nullableString, slug: nullableString, created_at: nullableString }))
      .max(3),
    projects: z
      .array(
        z.object({
          id: z.string(),
          organization_id: z.string(),
          name: nullableString,
          slug: nullableString.optional(),
          type: nullableString.optional(),
          open_error_count: z.number().nullable().optional(),
          created_at: nullableString.optional(),
        }),
      )
      .max(15),
  }),
);

export const LiveRunRef = z.object({ id: z.string(), data_source_id: z.string(), data_source_name: z.string() });

export const DataCredentialRemoved = named(
  'DataCredentialRemoved',
  z.object({
    removed: DataCredentialSchema,
    disabled_sources: z.array(z.object({ id: z.string(), name: z.string() })),
    cancelled_runs: z.array(LiveRunRef.extend({ status: z.string() })).meta({
      description:
        'Runs of those sources that were in progress, cancelled (what they committed stays): their final status, ' +
        'or `cancelling` for a run on a worker of the queue.',
    }),
    stopped_applies: z
      .array(z.object({ id: z.string(), data_sink_id: z.string(), data_sink_name: z.string(), status: z.string() }))
      .meta({
        description:
          'Write-back applies in progress with the credential, stopped (the writes already sent stay in Bugsnag, journaled).',
      }),
    runs_elsewhere: z
      .array(LiveRunRef.extend({ pid: z.number().int().nullable(), hostname: z.string().nullable() }))
      .meta({
        description:
          'Runs in progress in another process (not run by this server): they cannot be stopped from here and go on until they end.',
      }),
  }),
);

/** The request fields the credential type itself judges (with its own messages and field names: name, token…). */
const VALUE_FIELDS = new Set(['name', 'description', 'credentials.auth_token', 'credentials.host']);

export interface ParsedRequest {
  /** Values as given (the service validates them field by field, with the same messages as the CLI). */
  input: CredentialInput;
  verify: boolean;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The route schema judged the envelope (an object; known keys; `credentials` an object; `verify` a boolean); the
 * values are left to the credential service, which reports them all at once on its own field names. Maps the body
 * to the service's input: `credentials.auth_token` → token, `credentials.host` → host.
 */
export function credentialRequest(request: FastifyRequest): ParsedRequest {
  const problems = attachedProblems(request);
  for (const k of Object.keys(problems)) if (VALUE_FIELDS.has(k)) delete problems[k];
  if (problems.body) throw validationError(request.validationError)!;
  const envelope = problemsError(problems);
  if (envelope) throw envelope;
  const body = request.body as Record<string, unknown>;
  const creds = body.credentials;
  const input: Record<string, unknown> = {};
  if (body.name !== undefined) input.name = body.name;
  if (body.description !== undefined) input.description = body.description;
  if (isObject(creds)) {
    if (creds.auth_token !== undefined) input.token = creds.auth_token;
    if (creds.host !== undefined) input.host = creds.host;
  }
  // The service checks each value's type and content (a number for a name is "Credential Name must be text.").
  return { input: input as CredentialInput, verify: body.verify !== false };
}

/** Before anything reads the body: a token in it is a secret from then on (logs, errors). */
export function registerBodySecret(body: unknown): void {
  if (isObject(body) && isObject(body.credentials) && typeof body.credentials.auth_token === 'string')
    registerSecret(body.credentials.auth_token);
}
