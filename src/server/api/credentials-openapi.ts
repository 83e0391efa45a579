import { bugsnagCredentialType } from '../../credentials/bugsnag-type.js';
import type { CredentialField } from '../../credentials/credential-type.js';
import type { JsonSchema, OpenApiModule } from '../openapi.js';

/**
 * The OpenAPI description of `/api/data_credentials`. The request fields are generated from the credential type
 * (labels, help, lengths, the secret flag, host presets), like the form and the validation.
 */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const err = (name: string) => ({ $ref: `#/components/responses/${name}` });

function fieldSchema(f: CredentialField): JsonSchema {
  return {
    type: 'string',
    title: f.label,
    description: f.help,
    ...(f.maxLength !== undefined ? { maxLength: f.maxLength } : {}),
    ...(f.default !== undefined ? { default: f.default } : {}),
    ...(f.secret ? { writeOnly: true, format: 'password' } : {}),
    ...(f.options ? { examples: f.options.filter((o) => !o.custom).map((o) => o.value) } : {}),
  };
}

const field = (name: string): CredentialField => {
  const f = bugsnagCredentialType.fields.find((x) => x.name === name);
  if (!f) throw new Error(`the credential type has no field ${name}`);
  return f;
};

function requestSchema(mode: 'create' | 'update'): JsonSchema {
  const required = (name: string) => mode === 'create' && field(name).required && field(name).default === undefined;
  return {
    type: 'object',
    additionalProperties: mode === 'update',
    ...(mode === 'create' ? { required: ['name', 'credentials'] } : {}),
    description:
      mode === 'create'
        ? 'A new credential. The token is verified with Bugsnag before it is saved (unless verify is false).'
        : 'Fields to change; absent ones stay. A new token or host is verified first; on failure nothing changes. ' +
          'Read-only fields of the resource are ignored, so a GET body can be sent back.',
    properties: {
      name: fieldSchema(field('name')),
      description: { ...fieldSchema(field('description')), type: ['string', 'null'] },
      credentials_type: { const: 'bugsnag' },
      credentials: {
        type: 'object',
        additionalProperties: false,
        ...(required('token') ? { required: ['auth_token'] } : {}),
        properties: { auth_token: fieldSchema(field('token')), host: fieldSchema(field('host')) },
      },
      verify: { type: 'boolean', default: true, description: 'false saves without checking (status UNVERIFIED).' },
    },
  };
}

const ORGANIZATION: JsonSchema = {
  type: 'object',
  required: ['id', 'name', 'slug'],
  properties: { id: { type: 'string' }, name: { type: 'string' }, slug: { type: ['string', 'null'] } },
};

const RATE_LIMIT: JsonSchema = {
  type: ['object', 'null'],
  required: ['limit', 'remaining', 'seen_at'],
  properties: { limit: { type: ['integer', 'null'] }, remaining: { type: ['integer', 'null'] }, seen_at: { type: 'string' } },
};

const DATA_CREDENTIAL: JsonSchema = {
  type: 'object',
  required: [
    'id', 'name', 'description', 'credentials_type', 'connector', 'credentials_non_secure_data', 'verified_status', 'verified_at',
    'verify_error', 'organizations', 'rate_limit', 'sources_count', 'sources', 'created_at', 'updated_at',
  ],
  properties: {
    id: { type: 'string', pattern: '^cred_[0-9a-z]+$' },
    name: { type: 'string' },
    description: { type: ['string', 'null'] },
    credentials_type: { const: 'bugsnag' },
    connector: { const: 'bugsnag' },
    credentials_non_secure_data: {
      type: 'object',
      required: ['host', 'token_last4'],
      additionalProperties: false,
      properties: {
        host: { type: 'string', description: 'The Data Access API base URL.' },
        token_last4: { type: 'string', maxLength: 4, description: 'The last four characters of the token: all that is ever shown of it.' },
      },
    },
    verified_status: { enum: ['VERIFIED', 'FAILED', 'UNVERIFIED'] },
    verified_at: { type: ['string', 'null'], description: 'When the token was last checked (ISO 8601).' },
    verify_error: {
      type: ['object', 'null'],
      description: 'Why the last check failed.',
      required: ['error', 'message'],
      properties: {
        error: { type: 'string' },
        message: { type: 'string' },
        hint: { type: 'string' },
        field: { type: 'string' },
        exit_code: { type: 'integer' },
      },
    },
    organizations: { type: 'array', items: ORGANIZATION },
    rate_limit: RATE_LIMIT,
    sources_count: { type: 'integer', minimum: 0 },
    sources: {
      type: 'array',
      items: { type: 'object', required: ['id', 'name', 'status'], properties: { id: { type: 'string' }, name: { type: 'string' }, status: { type: 'string' } } },
    },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
    notes: { type: 'array', items: { type: 'string' }, description: 'Create/update only: what was changed in the input (a prefix removed from the token, the API host chosen).' },
    changed: { type: 'array', items: { enum: ['name', 'description', 'host', 'token'] }, description: 'Update only: the fields that changed.' },
  },
};

const PROBE_OK: JsonSchema = {
  type: 'object',
  required: ['ok', 'verified_status', 'checked_at', 'latency_ms', 'organizations', 'rate_limit', 'credential'],
  properties: {
    ok: { const: true },
    verified_status: { const: 'VERIFIED' },
    checked_at: { type: 'string' },
    latency_ms: { type: 'integer', minimum: 0 },
    organizations: { type: 'array', items: ORGANIZATION },
    rate_limit: RATE_LIMIT,
    credential: ref('DataCredential'),
  },
};

const PROBE_FAILED: JsonSchema = {
  allOf: [
    ref('Error'),
    {
      type: 'object',
      required: ['ok', 'verified_status', 'credential'],
      properties: { ok: { const: false }, verified_status: { enum: ['VERIFIED', 'FAILED', 'UNVERIFIED'] }, credential: ref('DataCredential') },
    },
  ],
};

const SAMPLE: JsonSchema = {
  type: 'object',
  required: ['credential_id', 'latency_ms', 'organizations', 'projects'],
  properties: {
    credential_id: { type: 'string' },
    latency_ms: { type: 'integer', minimum: 0 },
    organizations: {
      type: 'array',
      maxItems: 3,
      items: { type: 'object', required: ['id', 'name', 'slug', 'created_at'], properties: { id: { type: 'string' }, name: { type: ['string', 'null'] }, slug: { type: ['string', 'null'] }, created_at: { type: ['string', 'null'] } } },
    },
    projects: {
      type: 'array',
      maxItems: 15,
      items: {
        type: 'object',
        required: ['id', 'organization_id', 'name'],
        properties: {
          id: { type: 'string' },
          organization_id: { type: 'string' },
          name: { type: ['string', 'null'] },
          slug: { type: ['string', 'null'] },
          type: { type: ['string', 'null'] },
          open_error_count: { type: ['number', 'null'] },
          created_at: { type: ['string', 'null'] },
        },
      },
    },
  },
};

const REMOVED: JsonSchema = {
  type: 'object',
  required: ['removed', 'disabled_sources'],
  properties: {
    removed: ref('DataCredential'),
    disabled_sources: { type: 'array', items: { type: 'object', required: ['id', 'name'], properties: { id: { type: 'string' }, name: { type: 'string' } } } },
  },
};

const idParam = { name: 'id', in: 'path', required: true, description: 'The credential id (cred_…) or its name.', schema: { type: 'string' } };
const TAG = 'Credentials';

const probeOperation = (method: string) => ({
  tags: [TAG],
  operationId: `probeDataCredential${method}`,
  summary: 'Check the credential with Bugsnag again (the outcome is recorded on the credential)',
  parameters: [idParam],
  responses: {
    200: { description: 'VERIFIED: organizations, latency, rate limit.', content: json(ref('ProbeResult')) },
    401: err('Unauthorized'),
    404: err('NotFound'),
    422: { description: 'The token or host failed (now FAILED), with the field and what to do.', content: json(ref('ProbeFailure')) },
    429: { description: 'Rate limited: the status is left as it was.', content: json(ref('ProbeFailure')) },
    502: { description: 'Bugsnag server error or unreachable: the status is left as it was.', content: json(ref('ProbeFailure')) },
  },
});

export const credentialsOpenApi: OpenApiModule = {
  tag: { name: TAG, description: 'Bugsnag credentials (`data_credentials`): a Personal Auth Token and its API host, verified and stored encrypted.' },
  schemas: {
    DataCredential: DATA_CREDENTIAL,
    DataCredentialCreate: requestSchema('create'),
    DataCredentialUpdate: requestSchema('update'),
    ProbeResult: PROBE_OK,
    ProbeFailure: PROBE_FAILED,
    ProbeSample: SAMPLE,
    DataCredentialRemoved: REMOVED,
  },
  paths: {
    '/api/data_credentials': {
      get: {
        tags: [TAG],
        operationId: 'listDataCredentials',
        summary: 'List credentials',
        responses: { 200: { description: 'Every credential (never a token).', content: json({ type: 'array', items: ref('DataCredential') }) }, 401: err('Unauthorized') },
      },
      post: {
        tags: [TAG],
        operationId: 'createDataCredential',
        summary: 'Create a credential (verified first)',
        requestBody: { required: true, content: json(ref('DataCredentialCreate')) },
        responses: {
          201: { description: 'Saved.', content: json(ref('DataCredential')) },
          400: err('BadRequest'),
          401: err('Unauthorized'),
          409: err('Conflict'),
          413: err('BadRequest'),
          415: err('BadRequest'),
          422: err('Unprocessable'),
          429: err('RateLimited'),
          502: err('Upstream'),
        },
      },
    },
    '/api/data_credentials/{id}': {
      get: {
        tags: [TAG],
        operationId: 'getDataCredential',
        summary: 'Get a credential',
        parameters: [idParam],
        responses: { 200: { description: 'The credential.', content: json(ref('DataCredential')) }, 401: err('Unauthorized'), 404: err('NotFound') },
      },
      put: {
        tags: [TAG],
        operationId: 'updateDataCredential',
        summary: 'Change name, description, host or token',
        parameters: [idParam],
        requestBody: { required: true, content: json(ref('DataCredentialUpdate')) },
        responses: {
          200: { description: 'Updated.', content: json(ref('DataCredential')) },
          400: err('BadRequest'),
          401: err('Unauthorized'),
          404: err('NotFound'),
          409: err('Conflict'),
          422: err('Unprocessable'),
          429: err('RateLimited'),
          502: err('Upstream'),
        },
      },
      delete: {
        tags: [TAG],
        operationId: 'deleteDataCredential',
        summary: 'Delete a credential (refused while sources use it, unless force)',
        parameters: [idParam, { name: 'force', in: 'query', required: false, description: 'true: delete anyway and disable the sources that use it.', schema: { type: 'boolean' } }],
        responses: {
          200: { description: 'Deleted.', content: json(ref('DataCredentialRemoved')) },
          401: err('Unauthorized'),
          404: err('NotFound'),
          409: { description: 'Sources use it: they are listed in `sources`.', content: json({ allOf: [ref('Error'), { type: 'object', properties: { sources: { type: 'array' } } }] }) },
        },
      },
    },
    '/api/data_credentials/{id}/probe': { get: probeOperation('Get'), post: probeOperation('Post') },
    '/api/data_credentials/{id}/probe/sample': {
      post: {
        tags: [TAG],
        operationId: 'sampleDataCredential',
        summary: 'Read a few records with the credential: organizations and their first projects',
        parameters: [idParam],
        responses: {
          200: { description: 'A small sample.', content: json(ref('ProbeSample')) },
          401: err('Unauthorized'),
          404: err('NotFound'),
          422: err('Unprocessable'),
          429: err('RateLimited'),
          502: err('Upstream'),
        },
      },
    },
  },
};
