import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { keysMatch } from './api-key.js';
import { HttpProblem } from './errors.js';
import { KeyGuard, throttleMessage } from './key-guard.js';
import { effectiveRole } from './permissions.js';
import { SESSION_COOKIE } from './sessions.js';
import { looksLikeToken } from '../store/team/secrets.js';
import { tokenHolder } from '../store/team/tokens.js';

/**
 * Authentication of every request. Scripts send the API key (`Authorization: Bearer KEY` or `X-Snagsync-Key: KEY`);
 * browsers carry a session cookie obtained on the login page with the same key. Routes marked `config.public` (the
 * login page, static files) skip the check; nothing else does — not even a 404, so an unauthenticated caller learns
 * nothing about what exists. A wrong key is refused outright (it never falls back to the cookie).
 */

export const KEY_HEADER = 'x-snagsync-key';

export function registerAuth(app: FastifyInstance): void {
  app.decorateRequest('auth', null as never);
  app.addHook('onRequest', async (request, reply) => {
    request.auth = { kind: 'none' };
    const given = presentedKey(request);
    if (given !== null) {
      // The right key is compared first and always passes; only wrong keys are counted and slowed down.
      if (keysMatch(given, app.snag.apiKey)) {
        request.auth = { kind: 'key' };
        return;
      }
      if (looksLikeToken(given)) {
        const held = await tokenHolder(app.snag.runtime.store, given, app.snag.now());
        if (held) {
          const role = effectiveRole(held.user.role, held.token.scope);
          request.auth = { kind: 'token', tokenId: held.token.id, user: held.user, role };
          return;
        }
        await slowDownWrongKey(request, reply, app);
        throw new HttpProblem(401, 'unauthorized', 'The API token is unknown, revoked or expired.', tokenHint());
      }
      await slowDownWrongKey(request, reply, app);
      throw new HttpProblem(401, 'unauthorized', 'The API key is wrong.', keyHint(app));
    }
    const sessionId = request.cookies[SESSION_COOKIE];
    const found = await app.snag.sessions.get(sessionId);
    if (found && sessionId) {
      request.auth = { kind: 'session', session: found.session, sessionId, user: found.user };
      return;
    }
    if (request.routeOptions.config?.public === true) return;
    return refuse(request, reply, app);
  });
  // The session's flash messages changed while answering (a notice pushed, or shown): written back before the
  // answer leaves, so the next request finds them whichever server of the store it reaches.
  app.addHook('onSend', async (request, _reply, payload) => {
    if (request.auth?.kind === 'session') {
      try {
        await app.snag.sessions.saveFlash(request.auth.session);
      } catch (err) {
        request.log.warn({ err }, 'the session notice could not be saved');
      }
    }
    return payload;
  });
}

/**
 * Counts a wrong key; past the failure limits (per address, and everyone together) answers it with a delayed 429 and
 * Retry-After (throws). Under them it returns, and the caller gives its own 401.
 */
export async function slowDownWrongKey(
  request: FastifyRequest,
  reply: FastifyReply,
  app: FastifyInstance,
): Promise<void> {
  const throttle = app.snag.keyGuard.fail(request.ip);
  if (throttle === null) return;
  await KeyGuard.wait(throttle);
  reply.header('retry-after', String(throttle.retryAfterSeconds));
  throw new HttpProblem(
    429,
    'rate_limited',
    throttleMessage(throttle),
    `Wait ${throttle.retryAfterSeconds} seconds before trying another key. The right key is accepted meanwhile.`,
  );
}

function presentedKey(request: FastifyRequest): string | null {
  const header = request.headers[KEY_HEADER];
  if (typeof header === 'string') return header.trim();
  const authz = request.headers.authorization;
  if (typeof authz === 'string') {
    const m = /^Bearer\s+(.+)$/i.exec(authz.trim());
    if (m) return m[1]!.trim();
    return '';
  }
  return null;
}

function tokenHint(): string {
  return 'Ask an admin for a new API token.';
}

function keyHint(app: FastifyInstance): string {
  return `Send the server key as "Authorization: Bearer KEY" or "X-Snagsync-Key: KEY". It is SNAGSYNC_SERVER_KEY, or the content of ${app.snag.runtime.home}/server.key.`;
}

/** Wants JSON rather than a page: API paths, and the web UI's own fetches (which ask for JSON). */
export function wantsJson(request: FastifyRequest): boolean {
  if (request.url.startsWith('/api/') || request.url === '/api') return true;
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

async function refuse(request: FastifyRequest, reply: FastifyReply, app: FastifyInstance): Promise<FastifyReply> {
  if (wantsJson(request)) {
    reply.header('www-authenticate', 'Bearer realm="snagsync"');
    throw new HttpProblem(
      401,
      'unauthorized',
      'Authentication required.',
      `${keyHint(app)} In a browser, log in at /login.`,
    );
  }
  const next = request.method === 'GET' ? `?next=${encodeURIComponent(request.url)}` : '';
  return reply.redirect(`/login${next}`, 303);
}

/** A local path to go to after login: only same-site paths, never `//host` or a scheme. */
export function safeNext(value: unknown): string {
  if (typeof value !== 'string' || value.length > 500) return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\') || /[\r\n]/.test(value)) return '/';
  if (value.startsWith('/login') || value.startsWith('/logout')) return '/';
  return value;
}
