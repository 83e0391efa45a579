import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Role } from '../../store/users.js';
import { HttpProblem } from '../errors.js';
import { type Permission, requirementOf, roleAllows } from '../permissions.js';
import type { AuthState } from '../types.js';

/**
 * Enforces the permission table once the body is parsed (a confirmed apply is judged by its body) and before
 * validation (a refused caller learns nothing from a 400 about what the route expects). The server key and the
 * sessions it opens carry the owner's rights, as they always have; a user's API token acts as the lower of its
 * user's role and its scope. A route the table does not name is open to the owner only.
 */
const missing = new WeakMap<FastifyRequest, string>();

/** The permission a request was refused for (for the audit log), if it was. */
export function missingPermission(request: FastifyRequest): string | null {
  return missing.get(request) ?? null;
}

export function registerPermissions(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const role = roleOf(request.auth);
    if (role === 'owner') return;
    const declared = request.routeOptions.config?.permission;
    const requirement = requirementOf(request.method, request.routeOptions.url, declared);
    if (requirement === 'public') return;
    // Unauthenticated requests never get here on a non-public route (auth.ts refused them).
    if (role === null) return;
    if (requirement === undefined) {
      missing.set(request, 'owner');
      throw refused(null, role, whoOf(request.auth));
    }
    const permission = typeof requirement === 'function' ? requirement(request) : requirement;
    if (!roleAllows(role, permission)) {
      missing.set(request, permission);
      throw refused(permission, role, whoOf(request.auth));
    }
  });
}

/**
 * The role a request acts as: `owner` for the server key and the sessions it opened, the user's current role for a
 * user's session, the capped role for a token; null when unauthenticated.
 */
export function roleOf(auth: AuthState | null | undefined): Role | 'owner' | null {
  if (!auth || auth.kind === 'none') return null;
  if (auth.kind === 'token') return auth.role;
  if (auth.kind === 'session' && auth.user) return auth.user.role;
  return 'owner';
}

function refused(permission: Permission | null, role: Role, who: string): HttpProblem {
  if (permission === null) {
    return new HttpProblem(403, 'forbidden', 'Only the owner may use this route.', 'Use the server key.');
  }
  return new HttpProblem(
    403,
    'forbidden',
    `Missing the permission ${permission}: ${who} acts as ${role}.`,
    'Ask an admin for a role, or a token scope, that holds it.',
  );
}

function whoOf(auth: AuthState): string {
  return auth.kind === 'session' ? 'this account' : 'this token';
}

/** For handlers that need the acting identity (who made a token, an audit entry). */
export function actorOf(request: FastifyRequest): string {
  const auth = request.auth;
  if (auth.kind === 'token') return auth.user.email;
  if (auth.kind === 'session' && auth.user) return auth.user.email;
  return 'server key';
}
