import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { registerSecret } from '../../core/redact.js';
import { keysMatch } from '../api-key.js';
import { safeNext, slowDownWrongKey } from '../auth.js';
import { formError, inputField, submitButton, type FormState } from '../components/form.js';
import { html } from '../html.js';
import { SESSION_COOKIE } from '../sessions.js';
import { pageHeading } from './layout.js';
import { sendPage } from './respond.js';

/**
 * Login with the server key → a server-side session in an HttpOnly, SameSite=Strict cookie (Secure over TLS); logout.
 * The login form is protected against login CSRF with a double-submit token: a short-lived cookie and the same value
 * in the form. Repeated wrong keys are slowed down (429, key-guard.ts, shared with the API) — the key is long and random,
 * but a key set by hand in SNAGSYNC_SERVER_KEY may not be; the right key always gets in.
 */

const PRELOGIN_COOKIE = 'snagsync_login';

export function registerLoginPages(app: FastifyInstance): void {
  app.get<{ Querystring: { next?: string } }>('/login', { config: { public: true } }, async (request, reply) => {
    if (request.auth.kind === 'session') return reply.redirect(safeNext(request.query.next), 303);
    return loginPage(request, reply, { values: {}, errors: {} }, safeNext(request.query.next), 200);
  });

  app.post<{ Body: Record<string, unknown> }>('/login', { config: { public: true } }, async (request, reply) => {
    const body = request.body && typeof request.body === 'object' ? request.body : {};
    const key = typeof body.key === 'string' ? body.key.trim() : '';
    registerSecret(key);
    const next = safeNext(body.next);
    const nonce = request.cookies[PRELOGIN_COOKIE];
    if (!nonce || typeof body._login !== 'string' || !keysMatch(body._login, nonce)) {
      return loginPage(
        request,
        reply,
        { values: {}, errors: {}, formError: { message: 'The login form expired.', hint: 'Enter the key again.' } },
        next,
        403,
      );
    }
    // The right key is compared first and always passes, however many wrong ones came from this address before.
    if (key === '' || !keysMatch(key, app.snag.apiKey)) {
      if (key !== '') await slowDownWrongKey(request, reply, app);
      const problem =
        key === ''
          ? { message: 'Enter the server key.', hint: keyWhere(app) }
          : { message: 'That key is not right.', hint: keyWhere(app) };
      return loginPage(request, reply, { values: {}, errors: { key: problem } }, next, 401);
    }
    const old = request.cookies[SESSION_COOKIE];
    if (old) app.snag.sessions.destroy(old);
    const { id } = app.snag.sessions.create();
    reply.clearCookie(PRELOGIN_COOKIE, { path: '/login' });
    reply.setCookie(SESSION_COOKIE, id, {
      path: '/',
      httpOnly: true,
      sameSite: 'strict',
      secure: app.snag.secureCookies,
      maxAge: app.snag.sessions.cookieMaxAgeSeconds,
    });
    return reply.redirect(next, 303);
  });

  app.post('/logout', async (request, reply) => {
    if (request.auth.kind === 'session') app.snag.sessions.destroy(request.auth.sessionId);
    reply.clearCookie(SESSION_COOKIE, {
      path: '/',
      httpOnly: true,
      sameSite: 'strict',
      secure: app.snag.secureCookies,
    });
    return reply.redirect('/login', 303);
  });
}

/** Where the key is, for anyone who can reach this page: no path of the server's disk (visitors are not logged in). */
function keyWhere(_app: FastifyInstance): string {
  return "It is the key printed when the server first started, kept in the server's home (or its SNAGSYNC_SERVER_KEY setting); ask whoever runs the server.";
}

function loginPage(
  request: FastifyRequest,
  reply: FastifyReply,
  state: FormState,
  next: string,
  status: number,
): FastifyReply {
  const app = request.server;
  const nonce = randomBytes(24).toString('base64url');
  reply.setCookie(PRELOGIN_COOKIE, nonce, {
    path: '/login',
    httpOnly: true,
    sameSite: 'strict',
    secure: app.snag.secureCookies,
    maxAge: 3600,
  });
  return sendPage(request, reply, {
    status,
    title: 'Log in',
    active: null,
    bare: true,
    body: () => html`<section class="login" aria-labelledby="page-title">
${pageHeading('Log in to snagsync')}
<p>Enter the server key: the one printed when the server first started.</p>
<form method="post" action="/login" class="login-form" novalidate>
<input type="hidden" name="_login" value="${nonce}">
<input type="hidden" name="next" value="${next}">
${formError(state.formError)}
${inputField({ name: 'key', label: 'Server key', idPrefix: 'login', type: 'password', required: true, secret: true, autocomplete: 'current-password', autofocus: true, help: keyWhere(app) }, state)}
<div class="form-actions">${submitButton('Log in')}</div>
</form>
</section>`,
  });
}
