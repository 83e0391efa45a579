import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isSnagError, type SnagError } from '../../core/errors.js';
import { INVITATION_PREFIX, newSecret, secretHash } from '../../store/team/secrets.js';
import { ROLES, type Role, type User } from '../../store/users.js';
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
import { serverHintOf } from '../errors.js';
import { html, type SafeHtml } from '../html.js';
import { pageHeading, type PageContext } from './layout.js';
import { failedForm, redirectWithFlash, sendPage } from './respond.js';

/**
 * The Users page (admins: `users:manage`): who uses this snagsync and with which role; invite someone (the one-time
 * invitation link is shown once, on the answer to the form, and only its sha256 is kept), change a role, remove a
 * user (asked first). The store's own rules — the last admin stays — answer with their message on the page.
 */

type Body = Record<string, unknown>;
type IdParams = { Params: { id: string } };

const ROLE_OPTIONS = [
  { value: 'viewer', label: 'Viewer', help: 'reads' },
  { value: 'editor', label: 'Editor', help: 'also edits sources and destinations, runs syncs' },
  { value: 'admin', label: 'Admin', help: 'also credentials, users, tokens, discards, the audit log' },
] as const;

const INVITE_FIELDS = ['email', 'role'] as const;

export function registerUserPages(app: FastifyInstance): void {
  const users = () => app.snag.runtime.store.users;

  app.get('/users', async (request, reply) => usersPage(request, reply, {}));

  app.post<{ Body: Body }>('/users', async (request, reply) => {
    const body = bodyOf(request);
    const email = text(body.email);
    const role = text(body.role);
    const values = { email, role };
    if (!isRole(role)) {
      return usersPage(request, reply, {
        status: 400,
        invite: { values, errors: { role: { message: `"${role}" is not a role: choose viewer, editor or admin.` } } },
      });
    }
    const invitation = newSecret(INVITATION_PREFIX);
    try {
      const user = await users().add({ email, role, invitation_sha256: secretHash(invitation) });
      return usersPage(request, reply, {
        status: 201,
        invited: { user, link: `${request.protocol}://${request.host}/invite/${invitation}` },
      });
    } catch (err) {
      if (!isSnagError(err) || err.code === 'internal') throw err;
      const { status, ...state } = failedForm(err, values, INVITE_FIELDS);
      return usersPage(request, reply, { status, invite: state });
    }
  });

  app.post<IdParams & { Body: Body }>('/users/:id/role', async (request, reply) => {
    const user = await users().find(request.params.id);
    const role = text(bodyOf(request).role);
    if (!isRole(role)) {
      return usersPage(request, reply, {
        status: 400,
        problem: { message: `"${role}" is not a role: choose viewer, editor or admin.` },
      });
    }
    try {
      await users().setRole(user.id, role);
    } catch (err) {
      if (!isSnagError(err) || err.code === 'internal') throw err;
      return usersPage(request, reply, { status: 409, problem: problemOf(err) });
    }
    return redirectWithFlash(request, reply, '/users', `${user.email} is now ${article(role)} ${role}.`);
  });

  app.get<IdParams>('/users/:id/remove', async (request, reply) => {
    const user = await users().find(request.params.id);
    return sendPage(request, reply, {
      title: `Remove ${user.email}`,
      active: 'users',
      body: (ctx) => removeBody(ctx, user, null),
    });
  });

  app.post<IdParams>('/users/:id/remove', async (request, reply) => {
    const user = await users().find(request.params.id);
    try {
      await users().remove(user.id);
    } catch (err) {
      if (!isSnagError(err) || err.code === 'internal') throw err;
      return sendPage(request, reply, {
        status: 409,
        title: `Remove ${user.email}`,
        active: 'users',
        body: (ctx) => removeBody(ctx, user, problemOf(err)),
      });
    }
    return redirectWithFlash(request, reply, '/users', `Removed ${user.email} and their API tokens.`);
  });

  async function usersPage(
    request: FastifyRequest,
    reply: FastifyReply,
    o: {
      status?: number;
      invite?: FormState;
      invited?: { user: User; link: string };
      problem?: { message: string; hint?: string };
    },
  ): Promise<FastifyReply> {
    const list = await users().list();
    // No password yet: the invitation is still to be redeemed (or they sign in another way).
    const pending = new Set<string>();
    for (const u of list) if ((await users().credentialsOf(u.email))?.password_hash === null) pending.add(u.id);
    return sendPage(request, reply, {
      status: o.status ?? 200,
      title: 'Users',
      active: 'users',
      body: (ctx) => listBody(ctx, list, pending, o),
    });
  }
}

function listBody(
  ctx: PageContext,
  list: User[],
  pending: ReadonlySet<string>,
  o: { invite?: FormState; invited?: { user: User; link: string }; problem?: { message: string; hint?: string } },
): SafeHtml {
  return html`<section aria-labelledby="page-title" class="team-page">
<div class="page-head">${pageHeading('Users')}</div>
<p class="lede">The people who use this snagsync and their roles: a viewer reads; an editor also edits sources and destinations and runs syncs; an admin also holds the credentials, the team, API tokens, discards and the audit log.</p>
${o.invited ? invitedBox(o.invited) : ''}
${o.problem ? formError(o.problem) : ''}
<div class="table-scroll"><table class="data-table responsive" data-users-table>
<caption class="visually-hidden">Users and their roles</caption>
<thead><tr><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Added</th><th scope="col">Actions</th></tr></thead>
<tbody>${list.map((u) => userRow(ctx, u, pending.has(u.id)))}</tbody>
</table></div>
<h2 id="invite-title">Invite a user</h2>
<form method="post" action="/users" class="form-narrow" aria-labelledby="invite-title" data-form="invite">
${csrfInput(ctx.csrf ?? '')}
${formError(o.invite?.formError)}
${inputField({ name: 'email', label: 'Email', idPrefix: 'invite', type: 'email', required: true, autocomplete: 'off' }, o.invite ?? emptyForm)}
${selectField({ name: 'role', label: 'Role', idPrefix: 'invite', options: ROLE_OPTIONS }, o.invite ?? { values: { role: 'viewer' }, errors: {} })}
<div class="form-actions">${submitButton('Invite', { busyLabel: 'Inviting…' })}</div>
</form>
</section>`;
}

function userRow(ctx: PageContext, u: User, pending: boolean): SafeHtml {
  const id = `user-${u.id}`;
  return html`<tr id="${id}" data-user="${u.email}">
<th scope="row" data-label="Email">${u.email}${u.owner ? html` <span class="badge badge-neutral" data-owner>Owner</span>` : ''}${pending ? html` <span class="badge badge-unverified" data-pending>No password yet</span>` : ''}</th>
<td data-label="Role"><form method="post" action="/users/${u.id}/role" class="inline-form role-form">${csrfInput(ctx.csrf ?? '')}<label for="${id}-role" class="visually-hidden">Role of ${u.email}</label><select id="${id}-role" name="role">${ROLES.map(
    (r) => html`<option value="${r}"${r === u.role ? html` selected` : ''}>${r}</option>`,
  )}</select> <button type="submit" class="button">Change role<span class="visually-hidden"> of ${u.email}</span></button></form></td>
<td data-label="Added">${timeElement(u.created_at, ctx.now)}</td>
<td data-label="Actions"><a class="button danger" href="/users/${u.id}/remove">Remove<span class="visually-hidden"> ${u.email}</span></a></td>
</tr>`;
}

function invitedBox(invited: { user: User; link: string }): SafeHtml {
  return html`<div class="invited" data-invited>
<p role="status">Invited <strong>${invited.user.email}</strong> as ${article(invited.user.role)} ${invited.user.role}. Send them this link: it lets them sign in once and choose a password.</p>
${onceSecret({ id: 'invitation-link', label: 'Invitation link', value: invited.link, warning: 'Copy it now: it is shown only this once (only its fingerprint is kept). If it is lost, remove the user and invite them again.' })}
</div>`;
}

function removeBody(ctx: PageContext, u: User, problem: { message: string; hint?: string } | null): SafeHtml {
  return confirmPage({
    heading: pageHeading(`Remove ${u.email}?`),
    action: `/users/${u.id}/remove`,
    csrf: ctx.csrf,
    problem,
    consequences: html`<p><strong>${u.email} can no longer sign in, and their API tokens stop working at once.</strong></p><p>What they did stays in the audit log under their email.</p>`,
    cancelHref: '/users',
    button: 'Remove user',
    busy: 'Removing…',
  });
}

function problemOf(err: SnagError): { message: string; hint?: string } {
  const hint = serverHintOf(err);
  return { message: err.message, ...(hint ? { hint } : {}) };
}

function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

const article = (role: string) => (role === 'admin' || role === 'editor' ? 'an' : 'a');

function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function bodyOf(request: FastifyRequest): Body {
  const b = request.body;
  return b && typeof b === 'object' && !Array.isArray(b) ? (b as Body) : {};
}
