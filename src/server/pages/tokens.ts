import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isSnagError, SnagError } from '../../core/errors.js';
import { registerSecret } from '../../core/redact.js';
import { createToken } from '../../store/team/tokens.js';
import { TOKEN_SCOPES, type ApiToken, type TokenScope, type User } from '../../store/users.js';
import {
  csrfInput,
  emptyForm,
  formError,
  inputField,
  selectField,
  submitButton,
  type FormState,
} from '../components/form.js';
import { confirmPage, onceSecret } from '../components/team.js';
import { timeElement } from '../components/time.js';
import { html, type SafeHtml } from '../html.js';
import { pageHeading, type PageContext } from './layout.js';
import { failedForm, redirectWithFlash, sendPage } from './respond.js';

/**
 * The API tokens page (admins: `tokens:manage`): every user's tokens — scope, made, expiry, revoked — never the
 * tokens themselves; create one (shown once, on the answer to the form, with Copy; the store keeps its sha256) and
 * revoke one (asked first). The same service as `POST /api/tokens` and `snagsync tokens create`.
 */

type Body = Record<string, unknown>;
type IdParams = { Params: { id: string } };

const SCOPE_OPTIONS = [
  { value: 'read', label: 'read', help: 'acts as a viewer' },
  { value: 'write', label: 'write', help: 'acts as an editor at most' },
  { value: 'admin', label: 'admin', help: "the user's own role" },
] as const;

const CREATE_FIELDS = ['user', 'scope', 'expires'] as const;

export function registerTokenPages(app: FastifyInstance): void {
  const store = () => app.snag.runtime.store;

  app.get('/tokens', async (request, reply) => tokensPage(request, reply, {}));

  app.post<{ Body: Body }>('/tokens', async (request, reply) => {
    const body = bodyOf(request);
    const values = { user: text(body.user), scope: text(body.scope) || 'read', expires: text(body.expires).trim() };
    try {
      if (!(TOKEN_SCOPES as readonly string[]).includes(values.scope)) {
        throw new SnagError('config', `"${values.scope}" is not a scope: choose read, write or admin.`, {
          details: { field: 'scope' },
        });
      }
      if (!values.user) {
        throw new SnagError('config', 'Choose the user the token acts for.', { details: { field: 'user' } });
      }
      const created = await createToken(
        store(),
        {
          user: values.user,
          scope: values.scope as TokenScope,
          ...(values.expires ? { expires: values.expires } : {}),
        },
        app.snag.now(),
      );
      registerSecret(created.token);
      return tokensPage(request, reply, { status: 201, created: { token: created.token, record: created.record } });
    } catch (err) {
      if (!isSnagError(err) || err.code === 'internal') throw err;
      const { status, ...state } = failedForm(err, values, CREATE_FIELDS);
      return tokensPage(request, reply, { status, form: state });
    }
  });

  app.get<IdParams>('/tokens/:id/revoke', async (request, reply) => {
    const { token, user } = await tokenOf(request.params.id);
    return sendPage(request, reply, {
      title: 'Revoke an API token',
      active: 'tokens',
      body: (ctx) => revokeBody(ctx, token, user),
    });
  });

  app.post<IdParams>('/tokens/:id/revoke', async (request, reply) => {
    const { token, user } = await tokenOf(request.params.id);
    await store().users.revokeToken(token.id, new Date(app.snag.now()).toISOString());
    return redirectWithFlash(
      request,
      reply,
      '/tokens',
      `Revoked the ${token.scope} token of ${user?.email ?? 'a removed user'}.`,
    );
  });

  async function tokenOf(id: string): Promise<{ token: ApiToken; user: User | null }> {
    const token = (await store().users.listTokens()).find((t) => t.id === id);
    if (!token) {
      throw new SnagError('missing', `No API token with the id "${id}".`, {
        serverHint: 'The API tokens page lists them.',
      });
    }
    return { token, user: await store().users.get(token.user_id) };
  }

  async function tokensPage(
    request: FastifyRequest,
    reply: FastifyReply,
    o: { status?: number; form?: FormState; created?: { token: string; record: ApiToken } },
  ): Promise<FastifyReply> {
    const [users, tokens] = await Promise.all([store().users.list(), store().users.listTokens()]);
    const now = app.snag.now();
    return sendPage(request, reply, {
      status: o.status ?? 200,
      title: 'API tokens',
      active: 'tokens',
      body: (ctx) => listBody(ctx, users, tokens, now, o),
    });
  }
}

function listBody(
  ctx: PageContext,
  users: User[],
  tokens: ApiToken[],
  now: number,
  o: { form?: FormState; created?: { token: string; record: ApiToken } },
): SafeHtml {
  const email = new Map(users.map((u) => [u.id, u.email]));
  return html`<section aria-labelledby="page-title" class="team-page">
<div class="page-head">${pageHeading('API tokens')}</div>
<p class="lede">Tokens let scripts call the HTTP API as a user (<code>Authorization: Bearer …</code>). A token acts as the lower of its scope and its user's current role. Only a fingerprint of each token is kept: a token is shown once, when it is made.</p>
${o.created ? createdBox(o.created, email.get(o.created.record.user_id) ?? '') : ''}
${
  tokens.length
    ? html`<div class="table-scroll"><table class="data-table responsive" data-tokens-table>
<caption class="visually-hidden">API tokens, newest first</caption>
<thead><tr><th scope="col">User</th><th scope="col">Scope</th><th scope="col">Made</th><th scope="col">Expires</th><th scope="col">State</th><th scope="col">Actions</th></tr></thead>
<tbody>${[...tokens].reverse().map((t) => tokenRow(t, email.get(t.user_id) ?? '(removed)', now))}</tbody>
</table></div>`
    : html`<p class="empty" data-empty="tokens">No API tokens yet.</p>`
}
<h2 id="create-title">Create a token</h2>
<form method="post" action="/tokens" class="form-narrow" aria-labelledby="create-title" data-form="token">
${csrfInput(ctx.csrf ?? '')}
${formError(o.form?.formError)}
${selectField({ name: 'user', label: 'User', idPrefix: 'token', required: true, options: users.map((u) => ({ value: u.id, label: `${u.email} (${u.role})` })) }, o.form ?? emptyForm)}
${selectField({ name: 'scope', label: 'Scope', idPrefix: 'token', options: SCOPE_OPTIONS }, o.form ?? { values: { scope: 'read' }, errors: {} })}
${inputField({ name: 'expires', label: 'Expires after', idPrefix: 'token', type: 'text', placeholder: '30d', help: 'A lifetime such as 30d, 12h or 90m. Empty: it does not expire.', autocomplete: 'off' }, o.form ?? emptyForm)}
<div class="form-actions">${submitButton('Create token', { busyLabel: 'Creating…' })}</div>
</form>
</section>`;
}

function tokenRow(t: ApiToken, userEmail: string, now: number): SafeHtml {
  const expired = t.expires_at !== null && Date.parse(t.expires_at) <= now;
  const state = t.revoked_at
    ? html`<span class="badge badge-failed">Revoked</span> ${timeElement(t.revoked_at, now)}`
    : expired
      ? html`<span class="badge badge-unverified">Expired</span>`
      : html`<span class="badge badge-verified">Active</span>`;
  return html`<tr id="token-${t.id}" data-token-id="${t.id}">
<th scope="row" data-label="User">${userEmail}</th>
<td data-label="Scope">${t.scope}</td>
<td data-label="Made">${timeElement(t.created_at, now)}</td>
<td data-label="Expires">${t.expires_at ? html`<time datetime="${t.expires_at}">${t.expires_at.slice(0, 16).replace('T', ' ')} UTC</time>` : 'never'}</td>
<td data-label="State">${state}</td>
<td data-label="Actions">${t.revoked_at ? '' : html`<a class="button danger" href="/tokens/${t.id}/revoke">Revoke<span class="visually-hidden"> the ${t.scope} token of ${userEmail}</span></a>`}</td>
</tr>`;
}

function createdBox(created: { token: string; record: ApiToken }, userEmail: string): SafeHtml {
  const r = created.record;
  return html`<div class="created-token" data-created-token>
<p role="status">Made a <strong>${r.scope}</strong> token for <strong>${userEmail}</strong>${r.expires_at ? html`, expiring ${r.expires_at.slice(0, 16).replace('T', ' ')} UTC` : ''}.</p>
${onceSecret({ id: 'new-token', label: 'The new token', value: created.token, warning: 'Copy it now and keep it like a password: it is shown only this once and cannot be recovered. If it is lost, revoke it and create another.' })}
</div>`;
}

function revokeBody(ctx: PageContext, t: ApiToken, user: User | null): SafeHtml {
  return confirmPage({
    heading: pageHeading(`Revoke the ${t.scope} token of ${user?.email ?? 'a removed user'}?`),
    action: `/tokens/${t.id}/revoke`,
    csrf: ctx.csrf,
    problem: null,
    consequences: html`<p><strong>Scripts that send this token are refused from now on</strong>, by every server on this store. A revoked token cannot be restored: create a new one.</p>`,
    cancelHref: '/tokens',
    button: 'Revoke token',
    busy: 'Revoking…',
  });
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function bodyOf(request: FastifyRequest): Body {
  const b = request.body;
  return b && typeof b === 'object' && !Array.isArray(b) ? (b as Body) : {};
}
