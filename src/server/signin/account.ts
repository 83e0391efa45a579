import type { FastifyInstance } from 'fastify';
import { csrfInput, submitButton } from '../components/form.js';
import { html } from '../html.js';
import { pageHeading } from '../pages/layout.js';
import { sendPage } from '../pages/respond.js';
import { roleOf } from '../team/authorize.js';
import { clearSessionCookie } from './session-cookie.js';

/**
 * `/account`: who the browser is signed in as, and "Sign out everywhere", which ends every session of this account
 * on every server of the store (a lost laptop, a shared computer). For the server key, it ends every session the key
 * opened.
 */
export function registerAccountPages(app: FastifyInstance): void {
  app.get('/account', async (request, reply) => {
    const auth = request.auth;
    const who =
      auth.kind === 'session' && auth.user
        ? auth.user.email
        : auth.kind === 'token'
          ? auth.user.email
          : 'the server key';
    const csrf = auth.kind === 'session' ? auth.session.csrfToken : '';
    return sendPage(request, reply, {
      title: 'Account',
      active: null,
      body: () => html`<section aria-labelledby="page-title">
${pageHeading('Account')}
<p>Signed in as <strong>${who}</strong>, acting as <strong>${roleOf(auth) ?? 'nobody'}</strong>.</p>
<form method="post" action="/account/sign-out-everywhere">
${csrfInput(csrf)}
<p>Signing out everywhere ends every session of this account, in every browser and on every server.</p>
<div class="form-actions">${submitButton('Sign out everywhere', { className: 'button' })}</div>
</form>
</section>`,
    });
  });

  app.post('/account/sign-out-everywhere', async (request, reply) => {
    const auth = request.auth;
    const userId = auth.kind === 'session' ? (auth.user?.id ?? null) : auth.kind === 'token' ? auth.user.id : null;
    await app.snag.sessions.destroyAllOf(userId);
    clearSessionCookie(app, reply);
    return reply.redirect('/login', 303);
  });
}
