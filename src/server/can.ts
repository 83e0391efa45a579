import type { FastifyRequest } from 'fastify';
import { type Permission, roleAllows } from './permissions.js';
import { roleOf } from './team/authorize.js';

/**
 * Whether the request's identity holds a permission: the pages use it to leave out the controls a role may not use.
 * A courtesy only — the permission table (permissions.ts, enforced by team/authorize.ts) is the rule, and refuses
 * with 403 whatever a page shows.
 */
export function can(request: FastifyRequest, permission: Permission): boolean {
  const role = roleOf(request.auth);
  if (role === 'owner') return true;
  return role !== null && roleAllows(role, permission);
}

/** `can` bound to one request, for components that render without it. */
export type Can = (permission: Permission) => boolean;

export function canFor(request: FastifyRequest): Can {
  return (permission) => can(request, permission);
}

/** Everything allowed: for callers that render outside a request (the owner's view). */
export const canAll: Can = () => true;
