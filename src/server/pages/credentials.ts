import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isSnagError, type SnagError } from '../../core/errors.js';
import { registerSecret } from '../../core/redact.js';
import { parseBugsnagCreate, parseBugsnagUpdate } from '../../credentials/bugsnag-type.js';
import { fieldErrors, type FieldErrors } from '../../credentials/credential-type.js';
import type { CredentialInput } from '../../credentials/service.js';
import type { CredentialView } from '../../credentials/view.js';
import { safeNext } from '../auth.js';
import { serverHintOf } from '../errors.js';
import {
  credentialForm,
  credentialInputFromForm,
  formFields,
  type CredentialFormMode,
  type TileTarget,
} from '../components/credential-form.js';
import { csrfInput, emptyForm, formError, submitButton, type FormState } from '../components/form.js';
import { addTile, manageTile, pickTile, tileId } from '../components/tiles.js';
import { attrs, html, type SafeHtml } from '../html.js';
import { credentialUsers, liveWorkOf, stopLiveWork, type LiveWork, type StoppedWork } from '../runs/credential-work.js';
import { pushFlash } from '../sessions.js';
import { pageHeading, type PageContext } from './layout.js';
import { failedForm, formFailureResult, isFetch, redirectWithFlash, sendFormResult, sendPage } from './respond.js';

/**
 * The Credentials area: the tiles page, the Add New Credential form (the overlay with JS, a page without), edit,
 * replace token, delete (with the sources that use the credential) and test. Every form works as a plain POST and
 * re-renders with inline errors; app.js submits the same forms by fetch and applies the JSON answer in place.
 */

type Body = Record<string, unknown>;
type IdParams = { Params: { id: string } };

const TILE_INPUT = /^[a-z][a-z0-9_]{0,39}$/;

export function registerCredentialPages(app: FastifyInstance): void {
  const service = () => app.snag.credentials;

  app.get<{ Querystring: { selected?: string } }>('/credentials', async (request, reply) => {
    const views = await service().listCredentials();
    const selected = typeof request.query.selected === 'string' ? request.query.selected : null;
    return sendPage(request, reply, {
      title: 'Credentials',
      active: 'credentials',
      body: (ctx) => listBody(ctx, views, selected),
    });
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/credentials/new', async (request, reply) => {
    const q = request.query;
    return sendCredentialForm(request, reply, 'create', emptyForm, {
      tile: tileTarget(q),
      ...(q.return_to ? { returnTo: safeNext(q.return_to) } : {}),
    });
  });

  app.post<{ Body: Body }>('/credentials', async (request, reply) => {
    const body = bodyOf(request);
    const target = tileTarget(body);
    const returnTo = typeof body.return_to === 'string' && body.return_to ? safeNext(body.return_to) : undefined;
    const { input, values, customHostMissing } = credentialInputFromForm(body, 'create');
    registerSecret(input.token);
    try {
      if (customHostMissing) throw missingCustomHost(input, 'create');
      const r = await service().createCredential(input);
      const c = r.credential;
      const message = [`Saved "${c.name}": ${c.verified_status}.`, ...r.notes].join(' ');
      if (isFetch(request)) {
        return sendFormResult(reply, 201, {
          ok: true,
          message,
          tile: { id: tileId(c.id), html: tileHtml(c, target, request, true) },
        });
      }
      if (returnTo) {
        const to = `${returnTo}${returnTo.includes('?') ? '&' : '?'}${encodeURIComponent(target.inputName ?? 'credential_id')}=${encodeURIComponent(c.id)}`;
        return redirectWithFlash(request, reply, to, message);
      }
      return redirectWithFlash(
        request,
        reply,
        `/credentials?selected=${encodeURIComponent(c.id)}#${tileId(c.id)}`,
        message,
      );
    } catch (err) {
      return formFailure(request, reply, err, 'create', values, { tile: target, ...(returnTo ? { returnTo } : {}) });
    }
  });

  app.get<IdParams>('/credentials/:id/edit', async (request, reply) => {
    const c = await service().getCredential(request.params.id);
    const state: FormState = { values: { name: c.name, description: c.description ?? '', host: c.host }, errors: {} };
    return sendCredentialForm(request, reply, 'edit', state, { credential: c });
  });

  app.get<IdParams>('/credentials/:id/token', async (request, reply) => {
    const c = await service().getCredential(request.params.id);
    return sendCredentialForm(request, reply, 'token', emptyForm, { credential: c });
  });

  for (const mode of ['edit', 'token'] as const) {
    app.post<IdParams & { Body: Body }>(`/credentials/:id/${mode}`, async (request, reply) => {
      const current = await service().getCredential(request.params.id);
      const body = bodyOf(request);
      const { input, values, customHostMissing } = credentialInputFromForm(body, mode);
      registerSecret(input.token);
      try {
        if (customHostMissing) throw missingCustomHost(input, 'update');
        if (mode === 'token' && input.token === undefined) input.token = '';
        const r = await service().updateCredential(current.id, input);
        const c = r.credential;
        const what = r.changed.length ? `updated (${r.changed.join(', ')})` : 'unchanged';
        const message = [`"${c.name}" ${what}: ${c.verified_status}.`, ...r.notes].join(' ');
        if (isFetch(request)) {
          return sendFormResult(reply, 200, {
            ok: true,
            message,
            tile: { id: tileId(c.id), html: tileHtml(c, { variant: 'manage' }, request, true) },
          });
        }
        return redirectWithFlash(
          request,
          reply,
          `/credentials?selected=${encodeURIComponent(c.id)}#${tileId(c.id)}`,
          message,
        );
      } catch (err) {
        return formFailure(request, reply, err, mode, values, { credential: current });
      }
    });
  }

  app.post<IdParams>('/credentials/:id/test', async (request, reply) => {
    const r = await service().testCredential(request.params.id);
    const c = r.credential;
    const message = r.ok
      ? `"${c.name}" is VERIFIED: checked in ${r.verification.latency_ms} ms, ${plural(r.verification.organizations.length, 'organization')}.`
      : `"${c.name}" failed the test: ${r.error.message} ${serverHintOf(r.error) ?? ''}`.trim();
    if (isFetch(request)) {
      return sendFormResult(reply, 200, {
        ok: true,
        message,
        messageKind: r.ok ? 'success' : 'error',
        tile: { id: tileId(c.id), html: tileHtml(c, { variant: 'manage' }, request, true) },
      });
    }
    if (request.auth.kind === 'session') pushFlash(request.auth.session, r.ok ? 'success' : 'error', message);
    return reply.redirect(`/credentials?selected=${encodeURIComponent(c.id)}#${tileId(c.id)}`, 303);
  });

  app.get<IdParams>('/credentials/:id/delete', async (request, reply) => {
    const c = await service().getCredential(request.params.id);
    const sources = await sourcesUsing(app, c.id);
    const live = await liveWorkOf(app.snag, await credentialUsers(app.snag, c.id));
    return sendPage(request, reply, {
      title: `Delete ${c.name}`,
      active: 'credentials',
      body: (ctx) => deleteBody(ctx, c, sources, live, null),
    });
  });

  app.post<IdParams & { Body: Body }>('/credentials/:id/delete', async (request, reply) => {
    const c = await service().getCredential(request.params.id);
    const force = bodyOf(request).force === '1';
    // Read before the delete: the store then forgets which sources and destinations used it.
    const users = await credentialUsers(app.snag, c.id);
    try {
      const r = await service().removeCredential(c.id, { force });
      const stopped = await stopLiveWork(app.snag, users, `Its credential "${c.name}" was deleted.`);
      const disabled = r.disabled_sources.length
        ? ` Disabled ${plural(r.disabled_sources.length, 'source')} that used it: ${r.disabled_sources.map((s) => `"${s.name}"`).join(', ')}.`
        : '';
      const message = `Deleted "${r.removed.name}".${disabled}${stoppedText(stopped)}`;
      if (isFetch(request)) return sendFormResult(reply, 200, { ok: true, message, removeTile: tileId(c.id) });
      return redirectWithFlash(request, reply, '/credentials', message);
    } catch (err) {
      if (!isSnagError(err) || err.code !== 'conflict') throw err;
      // A source started using it since the warning was shown: show the warning again, with the new list.
      const sources = await sourcesUsing(app, c.id);
      const live = await liveWorkOf(app.snag, await credentialUsers(app.snag, c.id));
      const hint = serverHintOf(err);
      const problem = { message: err.message, ...(hint ? { hint } : {}) };
      if (isFetch(request))
        return sendFormResult(reply, 409, { ok: false, error: err.code, fields: {}, formError: problem, clear: [] });
      return sendPage(request, reply, {
        status: 409,
        title: `Delete ${c.name}`,
        active: 'credentials',
        body: (ctx) => deleteBody(ctx, c, sources, live, problem),
      });
    }
  });
}

function bodyOf(request: FastifyRequest): Body {
  const b = request.body;
  return b && typeof b === 'object' && !Array.isArray(b) ? (b as Body) : {};
}

function tileTarget(source: Readonly<Record<string, unknown>>): TileTarget {
  const input = source.tile_input;
  if (source.tile === 'pick' && typeof input === 'string' && TILE_INPUT.test(input))
    return { variant: 'pick', inputName: input };
  return { variant: 'manage' };
}

function tileHtml(c: CredentialView, target: TileTarget, request: FastifyRequest, selected: boolean): string {
  const now = request.server.snag.now();
  if (target.variant === 'pick' && target.inputName)
    return pickTile(c, { now, inputName: target.inputName, checked: selected }).value;
  const csrf = request.auth.kind === 'session' ? request.auth.session.csrfToken : '';
  return manageTile(c, { now, csrf, selected }).value;
}

async function sourcesUsing(
  app: FastifyInstance,
  credentialId: string,
): Promise<Array<{ id: string; name: string; status: string }>> {
  const sources = await app.snag.runtime.store.sources.list({ credentialId });
  return sources.map((s) => ({ id: s.id, name: s.name, status: s.status }));
}

/** "On-premise" chosen with no URL typed: a field error on host, reported together with the other fields' problems. */
function missingCustomHost(input: CredentialInput, mode: 'create' | 'update'): SnagError {
  const errors: FieldErrors = {};
  try {
    const { host: _host, ...rest } = input;
    if (mode === 'create') parseBugsnagCreate(rest);
    else parseBugsnagUpdate(rest);
  } catch (err) {
    if (!isSnagError(err)) throw err;
    Object.assign(errors, (err.details.fields ?? {}) as FieldErrors);
  }
  errors.host = {
    message: 'Enter the API URL of your on-premise Bugsnag.',
    hint: 'It is usually https://api.<your-bugsnag-domain>; a pasted dashboard address works too.',
  };
  const order = ['name', 'description', 'token', 'host'] as const;
  return fieldErrors(errors, order.find((f) => errors[f])!);
}

interface FormExtras {
  tile?: TileTarget;
  returnTo?: string;
  credential?: CredentialView;
}

function formFailure(
  request: FastifyRequest,
  reply: FastifyReply,
  err: unknown,
  mode: CredentialFormMode,
  values: Record<string, string>,
  extras: FormExtras,
): FastifyReply {
  if (!isSnagError(err) || err.code === 'missing' || err.code === 'vault' || err.code === 'internal') throw err;
  const names = formFields(mode).map((f) => f.name);
  const state = failedForm(err, values, names);
  // A rejected token is emptied (and focused) so the right one can be pasted; with any other problem app.js keeps
  // the typed token in its field. The server never sends a token back either way.
  const clear = state.errors.token ? ['token'] : [];
  if (isFetch(request)) return sendFormResult(reply, state.status, formFailureResult(err, state, clear));
  return sendCredentialForm(request, reply, mode, state, extras, state.status);
}

const TITLES: Record<CredentialFormMode, string> = {
  create: 'Add New Credential',
  edit: 'Edit credential',
  token: 'Replace token',
};

function sendCredentialForm(
  request: FastifyRequest,
  reply: FastifyReply,
  mode: CredentialFormMode,
  state: FormState,
  extras: FormExtras,
  status = 200,
): FastifyReply {
  const c = extras.credential;
  const action = mode === 'create' ? '/credentials' : `/credentials/${c!.id}/${mode}`;
  const title = c ? `${TITLES[mode]}: ${c.name}` : TITLES[mode];
  return sendPage(request, reply, {
    status,
    title,
    active: 'credentials',
    body: (ctx) => html`<section class="form-page" aria-labelledby="page-title">
${pageHeading(title)}
${mode === 'token' && c ? html`<p>The token now stored ends in <code>…${c.token_last4}</code>. The new one is checked with Bugsnag before it replaces it.</p>` : ''}
${state.errors.token || (mode !== 'edit' && Object.keys(state.errors).length) ? html`<p class="form-note">For your safety the Auth Token is never sent back to the browser: enter it again.</p>` : ''}
${credentialForm({
  mode,
  action,
  csrf: ctx.csrf ?? '',
  state,
  ...(extras.tile ? { tile: extras.tile } : {}),
  ...(extras.returnTo ? { returnTo: extras.returnTo } : {}),
  ...(c ? { credentialName: c.name } : {}),
})}
</section>`,
  });
}

function listBody(ctx: PageContext, views: CredentialView[], selected: string | null): SafeHtml {
  return html`<section aria-labelledby="page-title">
<div class="page-head">${pageHeading('Credentials')}</div>
<p class="lede">Bugsnag Personal Auth Tokens, stored encrypted: only their last four characters are ever shown. Each tile shows whether the token worked the last time it was checked.</p>
<p class="empty" data-empty="credentials"${attrs({ hidden: views.length > 0 })}>No credentials yet. Add one to start syncing.</p>
<ul class="tiles" data-tiles="manage">
${views.map((c) => manageTile(c, { now: ctx.now, csrf: ctx.csrf ?? '', selected: c.id === selected, manage: ctx.can('credentials:write') }))}
${ctx.can('credentials:write') ? addTile() : ''}
</ul>
</section>`;
}

function deleteBody(
  ctx: PageContext,
  c: CredentialView,
  sources: Array<{ id: string; name: string; status: string }>,
  live: LiveWork,
  problem: { message: string; hint?: string } | null,
): SafeHtml {
  const used = sources.length > 0;
  return html`<section class="form-page" aria-labelledby="page-title">
${pageHeading(`Delete ${c.name}?`)}
<form method="post" action="/credentials/${c.id}/delete" data-enhance data-form="credential-delete">
${csrfInput(ctx.csrf ?? '')}
${formError(problem)}
${
  used
    ? html`<div class="warning" role="note"><p><strong>${plural(sources.length, 'source')} ${sources.length === 1 ? 'uses' : 'use'} this credential:</strong></p>
<ul class="source-list">${sources.map((s) => html`<li>${s.name} <span class="muted">(${s.status})</span></li>`)}</ul>
<p>Deleting it disables ${sources.length === 1 ? 'it' : 'them'}: ${sources.length === 1 ? 'it stops' : 'they stop'} syncing until given another credential. Synced data is kept.</p></div>
<input type="hidden" name="force" value="1">`
    : html`<p>No source uses this credential. The encrypted token is deleted; this cannot be undone.</p>`
}
${liveWorkNote(live)}
<div class="form-actions">
<a class="button" href="/credentials" data-close>Cancel</a>
${submitButton(used ? `Delete and disable ${plural(sources.length, 'source')}` : 'Delete credential', { className: 'button danger', busyLabel: 'Deleting…' })}
</div>
</form>
</section>`;
}

/** What deleting stops, said before it is done. */
function liveWorkNote(live: LiveWork): SafeHtml {
  const runs = live.runs.length;
  const applies = live.applies.length;
  const elsewhere = live.elsewhere.length;
  if (!runs && !applies && !elsewhere) return html``;
  return html`<div class="warning" role="note" data-live-work>
${runs ? html`<p data-cancels-runs="${String(runs)}"><strong>${plural(runs, 'run')} in progress will be cancelled</strong> (${live.runs.map((r) => r.data_source_name).join(', ')}): what ${runs === 1 ? 'it has' : 'they have'} synced so far is kept.</p>` : ''}
${applies ? html`<p data-stops-applies="${String(applies)}"><strong>${plural(applies, 'write-back')} in progress will be stopped</strong> (${live.applies.map((a) => a.data_sink_name).join(', ')}): the changes already made in Bugsnag stay.</p>` : ''}
${elsewhere ? html`<p>${plural(elsewhere, 'run')} of ${live.elsewhere.map((r) => r.data_source_name).join(', ')} ${elsewhere === 1 ? 'is' : 'are'} in progress outside this server, which cannot stop ${elsewhere === 1 ? 'it' : 'them'}: ${elsewhere === 1 ? 'it goes' : 'they go'} on until ${elsewhere === 1 ? 'it ends' : 'they end'}.</p>` : ''}
</div>`;
}

function stoppedText(stopped: StoppedWork): string {
  const parts: string[] = [];
  if (stopped.cancelled_runs.length)
    parts.push(` Cancelled ${plural(stopped.cancelled_runs.length, 'run')} in progress.`);
  if (stopped.stopped_applies.length)
    parts.push(` Stopped ${plural(stopped.stopped_applies.length, 'write-back')} in progress.`);
  if (stopped.runs_elsewhere.length)
    parts.push(
      ` ${plural(stopped.runs_elsewhere.length, 'run')} outside this server could not be stopped from here and ${stopped.runs_elsewhere.length === 1 ? 'goes' : 'go'} on.`,
    );
  return parts.join('');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
