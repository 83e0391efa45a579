import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_COOKIE } from '../sessions.js';

/**
 * Opens a session for a user (null: the server key, the owner's rights) and sets its cookie: HttpOnly,
 * SameSite=Strict, Secure over TLS. The session the browser held before, if any, ends (no session fixation).
 */
export async function startSession(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  userId: string | null,
  via: string,
): Promise<void> {
  const old = request.cookies[SESSION_COOKIE];
  if (old) await app.snag.sessions.destroy(old);
  const { id } = await app.snag.sessions.create(userId, via);
  reply.setCookie(SESSION_COOKIE, id, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: app.snag.secureCookies,
    maxAge: app.snag.sessions.cookieMaxAgeSeconds,
  });
}

export function clearSessionCookie(app: FastifyInstance, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: app.snag.secureCookies });
}
