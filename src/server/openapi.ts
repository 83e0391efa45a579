import type { FastifyInstance } from 'fastify';
import { VERSION } from '../core/version.js';

/**
 * The OpenAPI 3.1 document served at `/api/openapi.json`. Each API area contributes an `OpenApiModule` (its paths,
 * schemas and tag) from its own file; this module adds what they share: security (the server key as a bearer token
 * or `X-Snagsync-Key`), the error body, and the common error responses (refer to them as
 * `#/components/responses/{BadRequest,Unauthorized,NotFound,Conflict,Unprocessable,RateLimited,Upstream}`).
 */

export type JsonSchema = Record<string, unknown>;

export interface OpenApiModule {
  tag: { name: string; description: string };
  paths: Record<string, Record<string, unknown>>;
  schemas: Record<string, JsonSchema>;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

export const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ref('Error') } },
});

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['error', 'message', 'status'],
  properties: {
    error: { type: 'string', description: 'A stable code: config, missing, conflict, auth_invalid, auth_project_key, network, rate_limited, unauthorized, csrf, invalid_request, …' },
    message: { type: 'string', description: 'What happened (the same text as the CLI).' },
    hint: { type: 'string', description: 'What to do.' },
    field: { type: 'string', description: 'The field the error is about (name, description, token, host, or a request field).' },
    fields: { type: 'object', additionalProperties: { type: 'string' }, description: 'Every field problem: field → message.' },
    hints: { type: 'object', additionalProperties: { type: 'string' }, description: 'field → what to do.' },
    status: { type: 'integer', description: 'The HTTP status.' },
    exit_code: { type: 'integer', description: 'The exit code the CLI gives for the same failure.' },
    details: { type: 'object', additionalProperties: true },
  },
};

export function buildOpenApiDocument(modules: readonly OpenApiModule[]): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, JsonSchema> = { Error: ERROR_SCHEMA };
  for (const m of modules) {
    for (const [p, item] of Object.entries(m.paths)) {
      if (paths[p]) throw new Error(`OpenAPI path ${p} is declared twice`);
      paths[p] = item;
    }
    for (const [name, schema] of Object.entries(m.schemas)) {
      if (schemas[name]) throw new Error(`OpenAPI schema ${name} is declared twice`);
      schemas[name] = schema;
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'snagsync HTTP API',
      version: VERSION,
      description:
        'The HTTP face of snagsync (`snagsync serve`). Every call needs the server key, as `Authorization: Bearer KEY` or ' +
        '`X-Snagsync-Key: KEY`. Secrets are write-only: tokens go in, only their last four characters come out.',
    },
    servers: [{ url: '/' }],
    security: [{ bearerKey: [] }, { headerKey: [] }],
    tags: modules.map((m) => m.tag),
    paths,
    components: {
      securitySchemes: {
        bearerKey: { type: 'http', scheme: 'bearer', description: 'The server key (SNAGSYNC_SERVER_KEY or <home>/server.key).' },
        headerKey: { type: 'apiKey', in: 'header', name: 'X-Snagsync-Key' },
      },
      schemas,
      responses: {
        BadRequest: errorResponse('Invalid input: `fields` holds a message per field.'),
        Unauthorized: errorResponse('No key, or a wrong one.'),
        NotFound: errorResponse('No such resource.'),
        Conflict: errorResponse('A conflict: a name already taken, or a credential still used by sources.'),
        Unprocessable: errorResponse('Bugsnag did not accept the credential (the field and what to do are in the body).'),
        RateLimited: errorResponse("Bugsnag's rate limit for the token is used up; see Retry-After."),
        Upstream: errorResponse('Bugsnag answered with a server error, or could not be reached.'),
      },
    },
  };
}

export function registerOpenApiRoute(app: FastifyInstance, modules: readonly OpenApiModule[]): void {
  const doc = buildOpenApiDocument(modules);
  app.get('/api/openapi.json', async () => doc);
}
