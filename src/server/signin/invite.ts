import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SnagError } from '../../core/errors.js';
import { registerSecret } from '../../core/redact.js';
import { checkPasswordRule, hashPassword } from '../../store/team/passwords.js';
import { INVITATION_PREFIX, secretHash } from '../../store/team/secrets.js';
import type { User } from '../../store/users.js';
import { keysMatch } from '../api-key.js';
import { formError, inputField, submitButton, type FormState } from '../components/form.js';
import { html } from '../html.js';
import { pageHeading } from '../pages/layout.js';
import { sendPage } from '../pages/respond.js';
import { auditSignIn } from './audit.js';
import { startSession } from './session-cookie.js';

/**
 * `/invite/{secret}`: the invitation an admin handed out (`snagsync users add`, `POST /api/users`). The invitee sets a
 * password and is signed in; the invitation then stops working (redeemed in one statement, so twice at once still
 * makes one password). Invitations expire after 7 days. The URL holds the secret, so these requests are not logged
 * (like the webhook route) and the secret is registered for redaction. The form carries a double-submit token
 * against a forged submission, like the login form.
 */

const INVITE_COOKIE = 'snagsync_invite';

export function registerInvitePages(app: FastifyInstance): void {
  const config = { public: true } as const;
  app.get<{ Params: { secret: string } }>('/invite/:secret', { config, logLevel: 'warn' }, async (request, reply) => {
    const secret = request.params.secret;
    registerSecret(secret);
    const user = await holder(app, secret);
    if (!user) return invalid(request, reply);
    return invitePage(request, reply, user, { values: {}, errors: {} }, 200);
  });

  app.post<{ Params: { secret: string }; Body: Record<string, unknown> }>(
    '/invite/:secret',
    { config, logLevel: 'warn' },
    async (request, reply) => {
      const secret = request.params.secret;
      registerSecret(secret);
      const body = request.body && typeof request.body === 'object' ? request.body : {};
      const password = typeof body.password === 'string' ? body.password : '';
      const confirm = typeof body.confirm === 'string' ? body.confirm : '';
      registerSecret(password);
      const user = await holder(app, secret);
      if (!user) return invalid(request, reply);
      const nonce = request.cookies[INVITE_COOKIE];
      if (!nonce || typeof body._invite !== 'string' || !keysMatch(body._invite, nonce)) {
        const problem = { message: 'The form expired.', hint: 'Enter the password again.' };
        return invitePage(request, reply, user, { values: {}, errors: {}, formError: problem }, 403);
      }
      try {
        checkPasswordRule(password);
      } catch (e) {
        const problem = {
          message: (e as SnagError).message,
          ...((e as SnagError).hint ? { hint: (e as SnagError).hint! } : {}),
        };
        return invitePage(request, reply, user, { values: {}, errors: { password: problem } }, 400);
      }
      if (confirm !== password) {
        const problem = { message: 'The two passwords differ.', hint: 'Type the same password in both fields.' };
        return invitePage(request, reply, user, { values: {}, errors: { confirm: problem } }, 400);
      }
      const redeemed = await app.snag.runtime.store.users.redeemInvitation(
        secretHash(secret),
        await hashPassword(password),
        app.snag.now(),
      );
      if (!redeemed) return invalid(request, reply);
      await startSession(app, request, reply, redeemed.id, 'invitation');
      await auditSignIn(app, request, {
        actor: redeemed.email,
        route: '/invite/:secret',
        status: 303,
        outcome: 'ok',
        what: 'invitation',
      });
      reply.clearCookie(INVITE_COOKIE, { path: '/invite' });
      return reply.redirect('/', 303);
    },
  );
}

async function holder(app: FastifyInstance, secret: string): Promise<User | null> {
  if (!secret.startsWith(INVITATION_PREFIX) || secret.length > 100) return null;
  return app.snag.runtime.store.users.invitationHolder(secretHash(secret), app.snag.now());
}

function invalid(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendPage(request, reply, {
    status: 404,
    title: 'Invitation not valid',
    active: null,
    bare: true,
    body: () => html`<section class="login" aria-labelledby="page-title">
${pageHeading('This invitation is not valid')}
<p><strong>The link was already used, has expired (invitations last 7 days), or is incomplete.</strong></p>
<p>Ask an admin for a new invitation. If you already set a password, <a href="/login">sign in</a>.</p>
</section>`,
  });
}

function invitePage(
  request: FastifyRequest,
  reply: FastifyReply,
  user: User,
  state: FormState,
  status: number,
): FastifyReply {
  const app = request.server;
  const nonce = randomBytes(24).toString('base64url');
  reply.setCookie(INVITE_COOKIE, nonce, {
    path: '/invite',
    httpOnly: true,
    sameSite: 'strict',
    secure: app.snag.secureCookies,
    maxAge: 3600,
  });
  return sendPage(request, reply, {
    status,
    title: 'Set your password',
    active: null,
    bare: true,
    body: () => html`<section class="login" aria-labelledby="page-title">
${pageHeading('Welcome to snagsync')}
<p>You were invited as <strong>${user.email}</strong> (${user.role}). Choose a password to sign in with.</p>
<form method="post" class="login-form" novalidate>
<input type="hidden" name="_invite" value="${nonce}">
${formError(state.formError)}
<input type="email" name="email" value="${user.email}" autocomplete="username" hidden>
${inputField({ name: 'password', label: 'New password', idPrefix: 'invite', type: 'password', required: true, secret: true, autocomplete: 'new-password', autofocus: true, help: 'At least 12 characters.' }, state)}
${inputField({ name: 'confirm', label: 'Repeat the password', idPrefix: 'invite', type: 'password', required: true, secret: true, autocomplete: 'new-password' }, state)}
<div class="form-actions">${submitButton('Set password and sign in')}</div>
</form>
</section>`,
  });
}
