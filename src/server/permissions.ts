import type { FastifyRequest } from 'fastify';
import type { Role, TokenScope } from '../store/users.js';

/**
 * Who may do what: three roles, each holding the one below (viewer ⊂ editor ⊂ admin), and one table that gives every
 * route its permission. The table is the one place a route's permission is declared — a test lists every registered
 * route and fails on one the table does not name — so a new route cannot slip in unguarded. docs/team.md shows the
 * same table.
 */

export const PERMISSIONS = {
  /** Sources, runs, destinations, the overview, plans: everything that only reads. */
  read: 'viewer',
  /** The names of credentials (choosing one for a source); never their tokens. */
  'credentials:read': 'editor',
  /** Spend a credential's Bugsnag token on a person's behalf: probe the projects it reaches, preview a source. */
  'credentials:use': 'editor',
  'sources:write': 'editor',
  'destinations:write': 'editor',
  /** Start and cancel syncs. */
  'runs:start': 'editor',
  /** Plan a write-back and apply one that hides nothing. */
  'writeback:apply': 'editor',
  /** Add, replace, test or remove a Bugsnag token. */
  'credentials:write': 'admin',
  /** Apply a write-back that discards errors (Bugsnag drops their new events). */
  'writeback:destructive': 'admin',
  'users:manage': 'admin',
  'tokens:manage': 'admin',
  'audit:read': 'admin',
} as const satisfies Record<string, Role>;

export type Permission = keyof typeof PERMISSIONS;
/** `public`: no identity needed (sign-in, static files, Bugsnag's webhooks, which carry their own secret). */
export type RoutePermission = Permission | 'public';

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

/** A token's scope, as the highest role it may act as: a token never grants more than its scope nor its user's role. */
export const SCOPE_ROLE: Record<TokenScope, Role> = { read: 'viewer', write: 'editor', admin: 'admin' };

export function roleAllows(role: Role, permission: Permission): boolean {
  return RANK[role] >= RANK[PERMISSIONS[permission]];
}

/** The lower of two roles: what a token of `scope` held by a user of `role` may act as. */
export function effectiveRole(role: Role, scope: TokenScope): Role {
  const capped = SCOPE_ROLE[scope];
  return RANK[capped] < RANK[role] ? capped : role;
}

export function permissionsOf(role: Role): Permission[] {
  return (Object.keys(PERMISSIONS) as Permission[]).filter((p) => roleAllows(role, p));
}

/**
 * A route's permission may depend on what it is asked: applying a write-back is an editor's job unless it discards
 * errors. A discard is only ever applied with `confirm` (the apply refuses a discarding plan without it), so a confirmed
 * apply is the destructive one. Such a route names a function of the request (its body is parsed by then).
 */
export type Requirement = RoutePermission | ((request: FastifyRequest) => Permission);

function applyRequirement(request: FastifyRequest): Permission {
  const confirm = (request.body as { confirm?: unknown } | undefined)?.confirm;
  return confirm === true || confirm === '1' || confirm === 'on' ? 'writeback:destructive' : 'writeback:apply';
}

/** Every route of `serve`, `METHOD url` as Fastify registers it → what it needs. */
export const ROUTE_PERMISSIONS: Readonly<Record<string, Requirement>> = {
  'GET /static/:file': 'public',
  'POST /hooks/bugsnag/:source/:secret': 'public',
  'GET /login': 'public',
  'POST /login': 'public',
  'POST /logout': 'read',
  'GET /invite/:secret': 'public',
  'POST /invite/:secret': 'public',
  'GET /login/oidc': 'public',
  'GET /login/oidc/callback': 'public',
  'GET /account': 'read',
  'POST /account/sign-out-everywhere': 'read',
  'DELETE /api/sessions': 'read',
  'GET /api/openapi.json': 'read',

  'GET /api/data_credentials': 'credentials:read',
  'POST /api/data_credentials': 'credentials:write',
  'GET /api/data_credentials/:id': 'credentials:read',
  'PUT /api/data_credentials/:id': 'credentials:write',
  'DELETE /api/data_credentials/:id': 'credentials:write',
  'GET /api/data_credentials/:id/probe': 'credentials:read',
  'POST /api/data_credentials/:id/probe': 'credentials:write',
  'POST /api/data_credentials/:id/probe/sample': 'credentials:use',

  'GET /api/data_sources': 'read',
  'POST /api/data_sources': 'sources:write',
  'GET /api/data_sources/:id': 'read',
  'PUT /api/data_sources/:id': 'sources:write',
  'DELETE /api/data_sources/:id': 'sources:write',
  'PUT /api/data_sources/:id/activate': 'sources:write',
  'PUT /api/data_sources/:id/pause': 'sources:write',
  'POST /api/data_sources/:id/runs': 'runs:start',
  'GET /api/data_sources/:id/runs': 'read',
  'POST /api/data_sources/preview': 'credentials:use',
  'POST /api/data_sources/:id/preview': 'credentials:use',
  // The answer holds the URL and so its secret: whoever reads it can post messages as Bugsnag.
  'GET /api/data_sources/:id/webhook': 'sources:write',
  'POST /api/data_sources/:id/webhook/rotate': 'sources:write',
  'PUT /api/data_sources/:id/webhook/enable': 'sources:write',
  'PUT /api/data_sources/:id/webhook/disable': 'sources:write',
  'GET /api/data_sources/:id/freshness': 'read',
  'GET /api/data_sources/:id/notification': 'read',
  'PUT /api/data_sources/:id/notification': 'sources:write',
  'DELETE /api/data_sources/:id/notification': 'sources:write',
  'GET /api/notification': 'read',
  'PUT /api/notification': 'sources:write',
  'DELETE /api/notification': 'sources:write',
  'GET /api/data_sources/:id/errors/:project_id/:error_id/history': 'read',
  'POST /api/data_sources/:id/models': 'sources:write',

  'GET /api/runs': 'read',
  'GET /api/runs/:id': 'read',
  'GET /api/runs/:id/events': 'read',
  'POST /api/runs/:id/cancel': 'runs:start',

  'GET /api/data_sinks': 'read',
  'POST /api/data_sinks': 'destinations:write',
  'GET /api/data_sinks/:id': 'read',
  'PUT /api/data_sinks/:id': 'destinations:write',
  'DELETE /api/data_sinks/:id': 'destinations:write',
  'POST /api/data_sinks/:id/plan': 'writeback:apply',
  'POST /api/data_sinks/:id/apply': applyRequirement,
  'GET /api/data_sinks/:id/runs': 'read',
  'GET /api/data_sinks/:id/runs/:run_id': 'read',
  'GET /api/data_sinks/:id/runs/:run_id/events': 'read',
  'GET /api/data_sinks/:id/runs/:run_id/report.csv': 'read',

  'GET /api/users': 'users:manage',
  'POST /api/users': 'users:manage',
  'PUT /api/users/:id': 'users:manage',
  'DELETE /api/users/:id': 'users:manage',
  'DELETE /api/users/:id/sessions': 'users:manage',
  'GET /api/tokens': 'tokens:manage',
  'POST /api/tokens': 'tokens:manage',
  'DELETE /api/tokens/:id': 'tokens:manage',
  'GET /api/audit': 'audit:read',

  'GET /': 'read',
  'GET /sources/new': 'sources:write',
  'POST /sources': 'sources:write',
  'GET /sources/:id/edit': 'sources:write',
  'POST /sources/:id/edit': 'sources:write',
  'GET /sources': 'read',
  'GET /sources/:id': 'read',
  'POST /sources/:id/run': 'runs:start',
  'GET /sources/:id/refresh': 'runs:start',
  'POST /sources/:id/refresh': 'runs:start',
  'POST /sources/:id/notification': 'sources:write',
  'POST /sources/:id/notification/remove': 'sources:write',
  'POST /sources/:id/pause': 'sources:write',
  'POST /sources/:id/resume': 'sources:write',
  'GET /sources/:id/delete': 'sources:write',
  'POST /sources/:id/delete': 'sources:write',
  'POST /sources/:id/webhook/enable': 'sources:write',
  'POST /sources/:id/webhook/disable': 'sources:write',
  'GET /sources/:id/webhook/rotate': 'sources:write',
  'POST /sources/:id/webhook/rotate': 'sources:write',
  'POST /sources/:id/models': 'sources:write',
  'GET /sources/:id/errors/:project_id/:error_id/history': 'read',
  'GET /runs': 'read',
  'GET /runs/:id': 'read',
  'POST /runs/:id/cancel': 'runs:start',
  'GET /runs/:id/log': 'read',
  'GET /credentials': 'credentials:read',
  'GET /credentials/new': 'credentials:write',
  'POST /credentials': 'credentials:write',
  'GET /credentials/:id/edit': 'credentials:write',
  'GET /credentials/:id/token': 'credentials:write',
  'POST /credentials/:id/edit': 'credentials:write',
  'POST /credentials/:id/token': 'credentials:write',
  'POST /credentials/:id/test': 'credentials:write',
  'GET /credentials/:id/delete': 'credentials:write',
  'POST /credentials/:id/delete': 'credentials:write',
  'GET /destinations': 'read',
  'GET /destinations/new': 'destinations:write',
  'POST /destinations': 'destinations:write',
  'GET /destinations/:id/edit': 'destinations:write',
  'POST /destinations/:id/edit': 'destinations:write',
  'GET /destinations/:id': 'read',
  'POST /destinations/:id/delete': 'destinations:write',
  'GET /destinations/:id/plan': 'read',
  'POST /destinations/:id/plan': 'writeback:apply',
  'POST /destinations/:id/apply': applyRequirement,
  'GET /destinations/:id/runs/:run_id': 'read',
  'GET /destinations/:id/runs/:run_id/report.csv': 'read',
  'GET /destinations/:id/preview': 'read',
  'POST /destinations/:id/runs/:run_id/retry': 'writeback:apply',
  'POST /destinations/:id/runs/:run_id/retry/apply': applyRequirement,
  'GET /users': 'users:manage',
  'POST /users': 'users:manage',
  'POST /users/:id/role': 'users:manage',
  'GET /users/:id/remove': 'users:manage',
  'POST /users/:id/remove': 'users:manage',
  'GET /tokens': 'tokens:manage',
  'POST /tokens': 'tokens:manage',
  'GET /tokens/:id/revoke': 'tokens:manage',
  'POST /tokens/:id/revoke': 'tokens:manage',
  'GET /audit': 'audit:read',
};

/**
 * What a route needs: its `config.permission` (an embedding app's or a test's own routes), else the table's entry.
 * Undefined when neither declares one; such a route is open to the owner only.
 */
export function requirementOf(
  method: string,
  url: string | undefined,
  declared: Requirement | undefined,
): Requirement | undefined {
  if (declared !== undefined) return declared;
  if (url === undefined) return undefined;
  return ROUTE_PERMISSIONS[`${method === 'HEAD' ? 'GET' : method} ${url}`];
}
