import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { registerSecret } from '../../core/redact.js';
import { keysMatch } from '../api-key.js';
import { safeNext, slowDownWrongKey } from '../auth.js';
import { formError, inputField, submitButton, type FormState } from '../components/form.js';
import { html } from '../html.js';
import { KeyGuard } from '../key-guard.js';
import { registerAccountPages } from '../signin/account.js';
import { auditSignIn } from '../signin/audit.js';
import { registerInvitePages } from '../signin/invite.js';
import { oidcOf, registerOidcRoutes } from '../signin/oidc.js';
import { checkPassword } from '../signin/password.js';
import { clearSessionCookie, startSession } from '../signin/session-cookie.js';
import { pageHeading } from './layout.js';
import { sendPage } from './respond.js';

/**
 * Login with an email and password, or with the server key (the owner's break-glass), → a session kept in the store
 * (sessions.ts), its id in an HttpOnly, SameSite=Strict cookie (Secure over TLS); logout.
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
        { values: {}, errors: {}, formError: { message: 'The login form expired.', hint: 'Sign in again.' } },
        next,
        403,
      );
    }
    if (typeof body.email === 'string' || typeof body.password === 'string') {
      return passwordLogin(request, reply, body, next);
    }
    // The right key is compared first and always passes, however many wrong ones came from this address before.
    if (key === '' || !keysMatch(key, app.snag.apiKey)) {
      if (key !== '') {
        await auditSignIn(app, request, {
          actor: 'server key',
          route: '/login',
          status: 401,
          outcome: 'refused',
          what: 'key',
        });
        await slowDownWrongKey(request, reply, app);
      }
      const problem =
        key === ''
          ? { message: 'Enter the server key.', hint: keyWhere(app) }
          : { message: 'That key is not right.', hint: keyWhere(app) };
      return loginPage(request, reply, { values: {}, errors: { key: problem } }, next, 401);
    }
    await startSession(app, request, reply, null, 'key');
    await auditSignIn(app, request, { actor: 'server key', route: '/login', status: 303, outcome: 'ok', what: 'key' });
    reply.clearCookie(PRELOGIN_COOKIE, { path: '/login' });
    return reply.redirect(next, 303);
  });

  app.post('/logout', async (request, reply) => {
    if (request.auth.kind === 'session') await app.snag.sessions.destroy(request.auth.sessionId);
    clearSessionCookie(app, reply);
    return reply.redirect('/login', 303);
  });
  registerInvitePages(app);
  registerOidcRoutes(app);
  registerAccountPages(app);
}

/**
 * Email and password. An unknown email, a user without a password and a wrong password get the same answer; a
 * locked account is told how long to wait (the lock counts every email alike, so it tells nothing either).
 */
async function passwordLogin(
  request: FastifyRequest,
  reply: FastifyReply,
  body: Record<string, unknown>,
  next: string,
): Promise<FastifyReply> {
  const app = request.server;
  const email = typeof body.email === 'string' ? body.email.trim() : '';
  const password = typeof body.password === 'string' ? body.password : '';
  registerSecret(password);
  const values = { email };
  if (email === '' || password === '') {
    const errors = {
      ...(email === '' ? { email: { message: 'Enter your email address.' } } : {}),
      ...(password === '' ? { password: { message: 'Enter your password.' } } : {}),
    };
    return loginPage(request, reply, { values, errors }, next, 400);
  }
  const outcome = await checkPassword(app, email, password);
  if (outcome.kind === 'ok') {
    await startSession(app, request, reply, outcome.user.id, 'password');
    await auditSignIn(app, request, {
      actor: outcome.user.email,
      route: '/login',
      status: 303,
      outcome: 'ok',
      what: 'password',
    });
    reply.clearCookie(PRELOGIN_COOKIE, { path: '/login' });
    return reply.redirect(next, 303);
  }
  const wait = outcome.kind === 'locked' ? outcome.waitSeconds : 0;
  await auditSignIn(app, request, {
    actor: email.toLowerCase(),
    route: '/login',
    status: wait > 0 ? 429 : 401,
    outcome: 'refused',
    what: outcome.kind === 'locked' ? 'password (locked)' : outcome.locked ? 'password (now locked)' : 'password',
  });
  if (wait > 0) {
    reply.header('retry-after', String(wait));
    const problem = {
      message: `Too many wrong passwords for this email: sign-in with it is paused for ${wait} seconds.`,
      hint: 'Wait, then try again; or ask an admin to set a new password. The server key still signs in.',
    };
    return loginPage(request, reply, { values, errors: {}, formError: problem }, next, 429, 'password');
  }
  // Many wrong passwords from one address (one email each, say) are slowed down like wrong keys, with which they
  // share the count: the lock per account alone would let one address try 5 passwords on every account.
  const throttle = app.snag.keyGuard.fail(request.ip);
  if (throttle) {
    await KeyGuard.wait(throttle);
    reply.header('retry-after', String(throttle.retryAfterSeconds));
    const slowed = {
      message:
        throttle.scope === 'client'
          ? 'Too many failed sign-ins from this address.'
          : 'Too many failed sign-ins from all addresses.',
      hint: `Wait ${throttle.retryAfterSeconds} seconds before trying again. The server key still signs in.`,
    };
    return loginPage(request, reply, { values, errors: {}, formError: slowed }, next, 429, 'password');
  }
  const problem = {
    message: 'That email and password do not match an account.',
    hint: 'Check both; after several wrong tries the email is paused for a while. An admin can set a new password.',
  };
  return loginPage(request, reply, { values, errors: {}, formError: problem }, next, 401, 'password');
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
  failed: 'key' | 'password' = 'key',
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
  const keyState: FormState = failed === 'key' ? state : { values: {}, errors: {} };
  const passwordState: FormState = failed === 'password' ? state : { values: {}, errors: {} };
  const oidc = oidcOf(app);
  return sendPage(request, reply, {
    status,
    title: 'Log in',
    active: null,
    bare: true,
    body: () => html`<section class="login" aria-labelledby="page-title">
${pageHeading('Log in to snagsync')}
${oidc ? html`<p><a class="button primary" href="/login/oidc?next=${encodeURIComponent(next)}">Sign in with ${oidc.name}</a></p>` : ''}
<h2 id="login-password-title">Email and password</h2>
<form method="post" action="/login" class="login-form" novalidate>
<input type="hidden" name="_login" value="${nonce}">
<input type="hidden" name="next" value="${next}">
${formError(passwordState.formError)}
${inputField({ name: 'email', label: 'Email', idPrefix: 'login', type: 'email', required: true, autocomplete: 'username' }, passwordState)}
${inputField({ name: 'password', label: 'Password', idPrefix: 'login', type: 'password', required: true, secret: true, autocomplete: 'current-password' }, passwordState)}
<div class="form-actions">${submitButton('Sign in')}</div>
</form>
<h2 id="login-key-title">Server key</h2>
<p>Or enter the server key: the one printed when the server first started.</p>
<form method="post" action="/login" class="login-form" novalidate>
<input type="hidden" name="_login" value="${nonce}">
<input type="hidden" name="next" value="${next}">
${formError(keyState.formError)}
${inputField({ name: 'key', label: 'Server key', idPrefix: 'login', type: 'password', required: true, secret: true, autocomplete: 'off', autofocus: true, help: keyWhere(app) }, keyState)}
<div class="form-actions">${submitButton('Log in')}</div>
</form>
</section>`,
  });
}
