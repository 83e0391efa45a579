import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SnagError } from '../../core/errors.js';
import type { AuditPage, AuditQuery } from '../../store/audit.js';
import { INVITATION_LIFETIME_MS, ROLES, TOKEN_SCOPES, type ApiToken, type User } from '../../store/users.js';
import { errorAnswers, named } from '../openapi.js';
import { INVITATION_PREFIX, newSecret, secretHash } from '../../store/team/secrets.js';
import { createToken } from '../../store/team/tokens.js';

/**
 * `/api/users` and `/api/tokens` (admins only, see permissions.ts): the team and its API tokens. Secrets — an
 * invitation, a token — are in the answer that creates them and nowhere else.
 */

const TAG = ['Team'];

const UserSchema = named(
  'User',
  z.object({
    id: z.string(),
    email: z.string(),
    role: z.enum(ROLES),
    owner: z.boolean().meta({ description: 'The first user made.' }),
    created_at: z.string(),
  }),
);

const TokenSchema = named(
  'ApiToken',
  z.object({
    id: z.string(),
    user_id: z.string(),
    scope: z.enum(TOKEN_SCOPES),
    created_at: z.string(),
    expires_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
  }),
);

const idParams = z.object({ id: z.string() });

const EndedSchema = named(
  'SessionsEnded',
  z.object({ ended: z.number().int().meta({ description: 'How many browser sessions ended.' }) }),
);

const AuditPageSchema = named(
  'AuditPage',
  z.object({
    entries: z.array(
      z.object({
        id: z.number(),
        at: z.string(),
        actor: z.string(),
        actor_kind: z.enum(['key', 'session', 'token']),
        method: z.string(),
        route: z.string(),
        resource_id: z.string().nullable(),
        fields: z.array(z.string()).meta({ description: 'The names of the fields sent, never their values.' }),
        status: z.number(),
        outcome: z.enum(['ok', 'refused', 'failed']),
        permission: z.string().nullable(),
        kind: z.enum(['change', 'refused', 'credential', 'sign-in']),
        address: z.string().nullable(),
      }),
    ),
    next_before: z.number().nullable().meta({ description: 'Pass as before for the next page; null on the last.' }),
  }),
);

/** Which audit entries: the same filters for a page (`GET /api/audit`), its JSONL export and the Audit page. */
export const AuditQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.coerce.number().int().min(1).optional().meta({ description: 'The next_before of the last page.' }),
  actor: z.string().max(320).optional().meta({ description: 'Only this actor (an email, or "server key").' }),
  resource: z
    .string()
    .max(200)
    .optional()
    .meta({ description: 'A resource id, or a part of the route (data_sources, tokens, users).' }),
  method: z.enum(['GET', 'POST', 'PUT', 'DELETE']).optional().meta({ description: 'The action: its HTTP method.' }),
  outcome: z.enum(['ok', 'refused', 'failed']).optional(),
  since: z.iso.datetime({ offset: true }).optional().meta({ description: 'From this time (ISO 8601), included.' }),
  until: z.iso.datetime({ offset: true }).optional().meta({ description: 'Up to this time (ISO 8601), excluded.' }),
  format: z.enum(['json', 'jsonl']).default('json').meta({ description: 'jsonl: every matching entry, no paging.' }),
});

export type AuditQueryInput = z.infer<typeof AuditQuerySchema>;

/** The store's filter from the query (without the page size). */
export function auditFilter(q: AuditQueryInput): Omit<AuditQuery, 'limit'> {
  return {
    ...(q.before !== undefined ? { before: q.before } : {}),
    ...(q.actor ? { actor: q.actor } : {}),
    ...(q.resource ? { resource: q.resource } : {}),
    ...(q.method ? { method: q.method } : {}),
    ...(q.outcome ? { outcome: q.outcome } : {}),
    ...(q.since ? { since: q.since } : {}),
    ...(q.until ? { until: q.until } : {}),
  };
}

const userView = (u: User) => ({ id: u.id, email: u.email, role: u.role, owner: u.owner, created_at: u.created_at });
const tokenView = (t: ApiToken) => ({ ...t });

export const teamApi: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const store = () => app.snag.runtime.store;

  app.get(
    '/api/users',
    {
      schema: {
        tags: TAG,
        operationId: 'listUsers',
        summary: 'The users and their roles',
        response: { 200: z.array(UserSchema), ...errorAnswers(401, 403) },
      },
    },
    async () => (await store().users.list()).map(userView),
  );

  app.post(
    '/api/users',
    {
      schema: {
        tags: TAG,
        operationId: 'addUser',
        summary: 'Add a user; the answer holds their one-time invitation secret',
        body: z.strictObject({ email: z.string().max(320), role: z.enum(ROLES) }),
        response: {
          201: UserSchema.extend({
            invitation: z.string().meta({ description: 'Shown once: only its sha256 is kept.' }),
            invitation_path: z.string().meta({
              description:
                'Where the invitee sets a password, once, within 7 days: /invite/{invitation} on this server.',
            }),
          }),
          ...errorAnswers(400, 401, 403, 409),
        },
      },
    },
    async (request, reply) => {
      const invitation = newSecret(INVITATION_PREFIX);
      const user = await store().users.add({
        email: request.body.email,
        role: request.body.role,
        invitation_sha256: secretHash(invitation),
        invitation_expires_at: app.snag.now() + INVITATION_LIFETIME_MS,
      });
      return reply
        .code(201)
        .header('location', `/api/users/${user.id}`)
        .send({ ...userView(user), invitation, invitation_path: `/invite/${invitation}` });
    },
  );

  app.put(
    '/api/users/:id',
    {
      schema: {
        tags: TAG,
        operationId: 'setUserRole',
        summary: "Change a user's role (the last admin stays an admin)",
        params: idParams,
        body: z.strictObject({ role: z.enum(ROLES) }),
        response: { 200: UserSchema, ...errorAnswers(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const user = await store().users.find(request.params.id);
      return userView(await store().users.setRole(user.id, request.body.role));
    },
  );

  app.delete(
    '/api/users/:id',
    {
      schema: {
        tags: TAG,
        operationId: 'removeUser',
        summary: 'Remove a user and their tokens (not the last admin)',
        params: idParams,
        response: { 200: z.object({ removed: UserSchema }), ...errorAnswers(401, 403, 404, 409) },
      },
    },
    async (request) => {
      const user = await store().users.find(request.params.id);
      await store().users.remove(user.id);
      return { removed: userView(user) };
    },
  );

  app.delete(
    '/api/users/:id/sessions',
    {
      schema: {
        tags: TAG,
        operationId: 'endUserSessions',
        summary: 'End every browser session of a user, on every server of the store (their tokens stay)',
        params: idParams,
        response: { 200: EndedSchema, ...errorAnswers(401, 403, 404) },
      },
    },
    async (request) => {
      const user = await store().users.find(request.params.id);
      return { ended: await app.snag.sessions.destroyAllOf(user.id) };
    },
  );

  app.delete(
    '/api/sessions',
    {
      schema: {
        tags: TAG,
        operationId: 'signOutEverywhere',
        summary:
          "Sign out everywhere: end every browser session of the caller's account (the server key: every session it opened)",
        response: { 200: EndedSchema, ...errorAnswers(401) },
      },
    },
    async (request) => {
      const auth = request.auth;
      const userId = auth.kind === 'token' ? auth.user.id : auth.kind === 'session' ? (auth.user?.id ?? null) : null;
      return { ended: await app.snag.sessions.destroyAllOf(userId) };
    },
  );

  app.get(
    '/api/tokens',
    {
      schema: {
        tags: TAG,
        operationId: 'listTokens',
        summary: 'API tokens (never the tokens themselves)',
        querystring: z.object({ user: z.string().optional().meta({ description: 'Only this user (email or id).' }) }),
        response: { 200: z.array(TokenSchema), ...errorAnswers(401, 403, 404) },
      },
    },
    async (request) => {
      const user = request.query.user ? await store().users.find(request.query.user) : undefined;
      return (await store().users.listTokens(user?.id)).map(tokenView);
    },
  );

  app.post(
    '/api/tokens',
    {
      schema: {
        tags: TAG,
        operationId: 'createToken',
        summary: 'Create an API token for a user; the answer holds the token, once',
        body: z.strictObject({
          user: z.string().meta({ description: 'The email or id of the user it acts for.' }),
          scope: z.enum(TOKEN_SCOPES).optional().meta({ description: 'Default read. Never more than the role.' }),
          expires: z.string().optional().meta({ description: 'A lifetime such as 30d, 12h or 90m; default none.' }),
        }),
        response: {
          201: TokenSchema.extend({ token: z.string().meta({ description: 'Shown once: only its sha256 is kept.' }) }),
          ...errorAnswers(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const created = await createToken(
        store(),
        { user: b.user, ...(b.scope ? { scope: b.scope } : {}), ...(b.expires ? { expires: b.expires } : {}) },
        app.snag.now(),
      );
      return reply.code(201).send({ ...tokenView(created.record), token: created.token });
    },
  );

  app.get(
    '/api/audit',
    {
      schema: {
        tags: TAG,
        operationId: 'listAudit',
        summary: 'The audit log, newest first: changes, refusals and uses of Bugsnag credentials (never a secret)',
        querystring: AuditQuerySchema,
        response: {
          200: AuditPageSchema.describe(
            'With format=jsonl: every matching entry, one JSON object a line, newest first.',
          ),
          ...errorAnswers(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const filter = auditFilter(q);
      if (q.format === 'json') return store().audit.list({ limit: q.limit, ...filter });
      // The whole filtered log, a page of 500 at a time (a stream is sent as it is, past the JSON serializer).
      const audit = store().audit;
      async function* lines() {
        let before = filter.before;
        do {
          const page = await audit.list({ limit: 500, ...filter, ...(before !== undefined ? { before } : {}) });
          yield page.entries.map((e) => `${JSON.stringify(e)}\n`).join('');
          before = page.next_before ?? undefined;
        } while (before !== undefined);
      }
      return (
        reply
          .type('application/x-ndjson; charset=utf-8')
          .header('content-disposition', 'attachment; filename="snagsync-audit.jsonl"')
          // The typed reply knows only the JSON answer; a stream is sent as it is.
          .send(Readable.from(lines()) as unknown as AuditPage)
      );
    },
  );

  app.delete(
    '/api/tokens/:id',
    {
      schema: {
        tags: TAG,
        operationId: 'revokeToken',
        summary: 'Revoke an API token (at once, for every server on the store)',
        params: idParams,
        response: { 200: TokenSchema.describe('The token, revoked.'), ...errorAnswers(401, 403, 404) },
      },
    },
    async (request) => {
      const id = request.params.id;
      if (!(await store().users.revokeToken(id, new Date(app.snag.now()).toISOString()))) {
        throw new SnagError('missing', `No API token with the id "${id}".`, { hint: 'GET /api/tokens lists them.' });
      }
      const token = (await store().users.listTokens()).find((t) => t.id === id)!;
      return tokenView(token);
    },
  );
};
