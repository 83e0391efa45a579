import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Audit entries for the public sign-in routes (the audit hook records only routes that need an identity): who tried
 * (the email typed, or `server key`), from where, and how it ended — never the password, the key or an invitation.
 */
export async function auditSignIn(
  app: FastifyInstance,
  request: FastifyRequest,
  e: { actor: string; route: string; status: number; outcome: 'ok' | 'refused'; what: string },
): Promise<void> {
  try {
    await app.snag.runtime.store.audit.append({
      at: new Date(app.snag.now()).toISOString(),
      actor: e.actor.slice(0, 320),
      actor_kind: 'session',
      method: request.method,
      route: e.route,
      resource_id: null,
      fields: [e.what],
      status: e.status,
      outcome: e.outcome,
      permission: null,
      kind: 'sign-in',
      address: request.ip ?? null,
    });
  } catch (err) {
    request.log.error({ err }, 'the audit log could not be written');
  }
}
