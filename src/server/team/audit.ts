import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditEntryInput } from '../../store/audit.js';
import { CSRF_FIELD } from '../csrf.js';
import { requirementOf } from '../permissions.js';
import { actorOf, missingPermission } from './authorize.js';

/**
 * Writes the audit log: one entry per request that changes something (any method but GET and HEAD) on an
 * authenticated route, per refusal (403, whatever the method), and per use of a Bugsnag credential by a person
 * (previews, checks). Written before the answer is sent, so an answered change is always on record. An entry holds
 * the route as declared and the names of the body's fields — never a value, so never a secret.
 */
export function registerAudit(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const entry = entryOf(request, reply.statusCode, app.snag.now());
    if (entry) {
      try {
        await app.snag.runtime.store.audit.append(entry);
      } catch (err) {
        request.log.error({ err }, 'the audit log could not be written');
      }
    }
    return payload;
  });
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Form fields that carry no intent (the CSRF token, the login form's nonce). */
const NOT_FIELDS = new Set([CSRF_FIELD, '_login']);

function entryOf(request: FastifyRequest, status: number, now: number): AuditEntryInput | null {
  const route = request.routeOptions.url;
  const auth = request.auth;
  if (route === undefined || !auth || auth.kind === 'none') return null;
  const requirement = requirementOf(request.method, route, request.routeOptions.config?.permission);
  if (requirement === 'public') return null;
  const kind: AuditEntryInput['kind'] =
    status === 403
      ? 'refused'
      : requirement === 'credentials:use' || (requirement === 'credentials:write' && !SAFE.has(request.method))
        ? 'credential'
        : 'change';
  if (kind === 'change' && SAFE.has(request.method)) return null;
  return {
    at: new Date(now).toISOString(),
    actor: actorOf(request),
    actor_kind: auth.kind,
    method: request.method,
    route,
    resource_id: (request.params as { id?: unknown } | undefined)?.id?.toString() ?? null,
    fields: fieldNames(request.body),
    status,
    outcome: status < 400 ? 'ok' : status === 401 || status === 403 ? 'refused' : 'failed',
    permission: status === 403 ? missingPermission(request) : null,
    kind,
    address: request.ip ?? null,
  };
}

function fieldNames(body: unknown): string[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return [];
  return Object.keys(body)
    .filter((k) => !NOT_FIELDS.has(k))
    .sort();
}
