import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isSnagError, toSnagError } from '../../core/errors.js';
import { serverHintOf } from '../errors.js';
import { removeSource, updateSource } from '../../engine/index.js';
import type { Source } from '../../store/models.js';
import { dataSourceOf } from '../api/data-sources.js';
import type { DataSource } from '../api/data-source-resource.js';
import { csrfInput, formError, hiddenInput, submitButton } from '../components/form.js';
import { runsTable } from '../components/runs-table.js';
import { runTrends } from '../components/run-trends.js';
import { notificationPanel } from './source-notify.js';
import { sourceRow, sourceRowId } from '../components/source-row.js';
import { sourceStatusBadge } from '../components/status.js';
import { html, type SafeHtml } from '../html.js';
import { pushFlash } from '../sessions.js';
import { safeNext } from '../auth.js';
import { pageHeading, type PageContext } from './layout.js';
import { isFetch, redirectByFetch, redirectWithFlash, sendFormResult, sendPage } from './respond.js';
import { sourceTimeSections } from './source-time.js';
import { displayDestinationUrl } from '../../destinations/url.js';
import { exactTime } from '../components/time.js';

/**
 * The Sources area: the list (status, credential, destination, last run, next run; run now, pause, resume, edit,
 * delete), one source's page (its settings and run history), and the actions as plain form POSTs that app.js sends
 * by fetch (the row is swapped in place). Deleting asks first and says what goes (the source, its run history) and
 * what stays (the destination and its data).
 */

type IdParams = { Params: { id: string } };
type Body = Record<string, unknown>;

export function registerSourcePages(app: FastifyInstance): void {
  const deps = () => app.snag;
  const store = () => app.snag.runtime.store;

  app.get<{ Querystring: { selected?: string } }>('/sources', async (request, reply) => {
    const sources = await store().sources.list();
    const views = await Promise.all(sources.map((s) => dataSourceOf(deps(), s)));
    const credentials = await store().credentials.list();
    const selected = typeof request.query.selected === 'string' ? request.query.selected : null;
    return sendPage(request, reply, {
      title: 'Sources',
      active: 'sources',
      body: (ctx) => listBody(ctx, views, selected, credentials.length, deps().scheduler.enabled),
    });
  });

  app.get<IdParams>('/sources/:id', async (request, reply) => {
    const s = await store().sources.findByNameOrId(request.params.id);
    const view = await dataSourceOf(deps(), s);
    await store().runs.failStale();
    const runs = await store().runs.list({ sourceId: s.id, limit: 50 });
    const time = await sourceTimeSections(app, request, s);
    const notification = await store().notifications.get(s.id);
    return sendPage(request, reply, {
      title: s.name,
      active: 'sources',
      body: (ctx) => html`<section aria-labelledby="page-title" class="source-page">
<div class="page-head">${pageHeading(s.name)} ${sourceStatusBadge(s.status)}</div>
${view.description ? html`<p class="lede">${view.description}</p>` : ''}
<table class="data-table responsive sources-table"><caption class="visually-hidden">Status and actions</caption>${tableHead()}<tbody>${sourceRow(view, { now: ctx.now, csrf: ctx.csrf ?? '', schedulerOn: deps().scheduler.enabled, context: 'page', can: ctx.can })}</tbody></table>
${settings(view)}
${time}
${notificationPanel(s.id, notification, { csrf: ctx.csrf ?? '', manage: ctx.can('sources:write') })}
${runTrends(runs)}
<h2>Runs</h2>
${ctx.can('runs:start') ? html`<p class="source-refresh"><a class="button" href="/sources/${s.id}/refresh">Full refresh…</a> <span class="muted">reads everything again, for the source or one stream</span></p>` : ''}
${runsTable({ runs, now: ctx.now, caption: `Runs of ${s.name}, newest first` })}
</section>`,
    });
  });

  app.post<IdParams>('/sources/:id/run', async (request, reply) => {
    const s = await store().sources.findByNameOrId(request.params.id);
    try {
      const run = await deps().runs.start(s.id, { trigger: 'api' });
      const to = `/runs/${run.handle.runId}`;
      const message = `The sync of "${s.name}" has started.`;
      if (isFetch(request)) return redirectByFetch(request, reply, 202, to, message);
      return redirectWithFlash(request, reply, to, message);
    } catch (err) {
      return refused(request, reply, s, err);
    }
  });

  for (const action of ['pause', 'resume'] as const) {
    app.post<IdParams & { Body: Body }>(`/sources/:id/${action}`, async (request, reply) => {
      const s = await store().sources.findByNameOrId(request.params.id);
      try {
        const r = await updateSource(deps().runtime, s.id, { status: action === 'pause' ? 'paused' : 'active' });
        const message =
          action === 'pause'
            ? `Paused "${s.name}": the scheduler leaves it alone until you resume it (you can still run it now).`
            : `Resumed "${s.name}"${r.source.schedule ? `: it runs ${r.source.schedule} again` : ''}.`;
        const returnTo = backTo(request, '');
        if (isFetch(request) && returnTo) return redirectByFetch(request, reply, 200, returnTo, message);
        if (isFetch(request)) {
          const view = await dataSourceOf(deps(), r.source);
          const csrf = request.auth.kind === 'session' ? request.auth.session.csrfToken : '';
          const row = sourceRow(view, {
            now: deps().now(),
            csrf,
            schedulerOn: deps().scheduler.enabled,
            selected: true,
          });
          return sendFormResult(reply, 200, {
            ok: true,
            message,
            panels: [{ id: sourceRowId(s.id), html: row.value, replace: 'outer' }],
            focus: `${sourceRowId(s.id)}-${action === 'pause' ? 'resume' : 'pause'}`,
          });
        }
        return redirectWithFlash(request, reply, returnTo || `/sources?selected=${s.id}#${sourceRowId(s.id)}`, message);
      } catch (err) {
        return refused(request, reply, s, err);
      }
    });
  }

  app.get<IdParams & { Querystring: { from?: string } }>('/sources/:id/delete', async (request, reply) => {
    const s = await store().sources.findByNameOrId(request.params.id);
    const runs = await store().runs.list({ sourceId: s.id, limit: 10_000 });
    const fromList = request.query.from === 'list';
    return sendPage(request, reply, {
      title: `Delete ${s.name}`,
      active: 'sources',
      body: (ctx) => deleteBody(ctx, s, runs.length, null, fromList),
    });
  });

  app.post<IdParams & { Body: Body }>('/sources/:id/delete', async (request, reply) => {
    const s = await store().sources.findByNameOrId(request.params.id);
    const runs = await store().runs.list({ sourceId: s.id, limit: 10_000 });
    try {
      await removeSource(deps().runtime, s.id);
    } catch (err) {
      if (!isSnagError(err, 'conflict')) throw err;
      const hint = serverHintOf(err);
      const problem = { message: err.message, ...(hint ? { hint } : {}) };
      if (isFetch(request))
        return sendFormResult(reply, 409, { ok: false, error: err.code, fields: {}, formError: problem, clear: [] });
      return sendPage(request, reply, {
        status: 409,
        title: `Delete ${s.name}`,
        active: 'sources',
        body: (ctx) => deleteBody(ctx, s, runs.length, problem, bodyOf(request).from === 'list'),
      });
    }
    const message = `Deleted "${s.name}" and its ${runs.length} ${runs.length === 1 ? 'run' : 'runs'}. The data in ${displayDestinationUrl(s.destination)} is kept.`;
    if (isFetch(request)) {
      // From the list the row goes away in place; from the source's own page there is nothing left to show.
      const fromList = bodyOf(request).from === 'list';
      // The last row gone: the page again, with its "No sources yet" (an empty table says nothing).
      const left = fromList ? (await store().sources.list()).length : 0;
      return fromList && left > 0
        ? sendFormResult(reply, 200, { ok: true, message, removeTile: sourceRowId(s.id) })
        : redirectByFetch(request, reply, 200, '/sources', message);
    }
    return redirectWithFlash(request, reply, '/sources', message);
  });
}

function bodyOf(request: FastifyRequest): Body {
  const b = request.body;
  return b && typeof b === 'object' && !Array.isArray(b) ? (b as Body) : {};
}

function backTo(request: FastifyRequest, fallback: string): string {
  const r = bodyOf(request).return_to;
  return typeof r === 'string' && r !== '' ? safeNext(r) : fallback;
}

/** An action the source's state does not allow (already running, disabled…): said where the user is. */
function refused(request: FastifyRequest, reply: FastifyReply, s: Source, err: unknown): FastifyReply {
  const e = toSnagError(err);
  if (!['conflict', 'config'].includes(e.code)) throw err;
  const hint = serverHintOf(e);
  const problem = { message: e.message, ...(hint ? { hint } : {}) };
  if (isFetch(request))
    return sendFormResult(reply, 409, { ok: false, error: e.code, fields: {}, formError: problem, clear: [] });
  if (request.auth.kind === 'session')
    pushFlash(request.auth.session, 'error', `${problem.message}${problem.hint ? ` ${problem.hint}` : ''}`);
  return reply.redirect(`/sources?selected=${s.id}#${sourceRowId(s.id)}`, 303);
}

function tableHead(): SafeHtml {
  return html`<thead><tr><th scope="col">Source</th><th scope="col">Status</th><th scope="col">Credential</th><th scope="col">Destination</th><th scope="col">Last run</th><th scope="col">Next run</th><th scope="col">Actions</th></tr></thead>`;
}

function listBody(
  ctx: PageContext,
  views: DataSource[],
  selected: string | null,
  credentialCount: number,
  schedulerOn: boolean,
): SafeHtml {
  return html`<section aria-labelledby="page-title">
<div class="page-head">${pageHeading('Sources')}${ctx.can('sources:write') ? html`<a class="button primary" href="/sources/new">New source</a>` : ''}</div>
<p class="lede">Each source reads Bugsnag with a credential and writes into a destination, on its schedule or when you run it.${schedulerOn ? '' : html` <strong>The scheduler is off in this server</strong>: scheduled sources run only when another scheduler starts them, or with Run now.`}</p>
${
  views.length === 0
    ? html`<div class="empty-state" data-empty="sources"><p><strong>No sources yet.</strong> ${credentialCount === 0 ? 'Start with a credential (a Bugsnag Personal Auth Token) — the wizard lets you add one.' : 'Create one: pick a credential, choose what to read, test it, and save.'}</p>${ctx.can('sources:write') ? html`<p><a class="button primary" href="/sources/new">Create a source</a></p>` : ''}</div>`
    : html`<div class="table-scroll"><table class="data-table responsive sources-table" data-sources-table>
<caption class="visually-hidden">Sources, with their last and next run</caption>
${tableHead()}
<tbody>${views.map((v) => sourceRow(v, { now: ctx.now, csrf: ctx.csrf ?? '', selected: v.id === selected, schedulerOn, can: ctx.can }))}</tbody>
</table></div>`
}
</section>`;
}

function settings(v: DataSource): SafeHtml {
  const c = v.source_config;
  const list = (xs: readonly string[], none: string) => (xs.length ? xs.join(', ') : none);
  const filters = Object.entries(c.filters).flatMap(([f, values]) =>
    values.map((x) =>
      typeof x === 'string' ? `${f}=${x}` : `${f} ${(x as { type: string }).type} ${(x as { value: string }).value}`,
    ),
  );
  return html`<h2>Settings</h2>
<dl class="facts">
<div><dt>Credential</dt><dd>${v.data_credentials?.name ?? 'none'}</dd></div>
<div><dt>Organizations</dt><dd>${list(c.organizations, 'every organization the credential reaches')}</dd></div>
<div><dt>Projects</dt><dd>${c.projects.length ? `only ${c.projects.join(', ')}` : c.exclude_projects.length ? `all but ${c.exclude_projects.join(', ')}` : 'all'}</dd></div>
<div><dt>Streams</dt><dd>${v.effective_streams.join(', ')}${c.streams ? '' : ' (the defaults)'}</dd></div>
<div><dt>Start date</dt><dd>${c.start_date ?? 'all history'}</dd></div>
<div><dt>Full event reports</dt><dd>${c.full_reports ? 'yes' : 'no'}</dd></div>
<div><dt>Filters</dt><dd>${filters.length ? filters.join('; ') : 'none'}</dd></div>
<div><dt>Destination</dt><dd><code>${displayDestinationUrl(v.destination)}</code></dd></div>
<div><dt>Schedule</dt><dd>${v.poll_schedule ?? 'none (run by hand)'}</dd></div>
${v.next_run_at ? html`<div><dt>Next run</dt><dd><time datetime="${v.next_run_at}" class="next-run-at">${exactTime(v.next_run_at)}</time></dd></div>` : ''}
</dl>`;
}

function deleteBody(
  ctx: PageContext,
  s: Source,
  runCount: number,
  problem: { message: string; hint?: string } | null,
  fromList: boolean,
): SafeHtml {
  return html`<section class="form-page" aria-labelledby="page-title">
${pageHeading(`Delete ${s.name}?`)}
<form method="post" action="/sources/${s.id}/delete" data-enhance data-form="source-delete">
${csrfInput(ctx.csrf ?? '')}
${hiddenInput('from', fromList ? 'list' : null)}
${formError(problem)}
<div class="warning" role="note">
<p><strong>The source and its run history (${runCount} ${runCount === 1 ? 'run' : 'runs'}) are deleted.</strong> It stops syncing.</p>
<p>The destination is <strong>not</strong> deleted: the data already synced stays in <code>${displayDestinationUrl(s.destination)}</code>. A new source writing there continues from its own checkpoints.</p>
</div>
<div class="form-actions">
<a class="button" href="/sources" data-close>Cancel</a>
${submitButton('Delete source', { className: 'button danger', busyLabel: 'Deleting…' })}
</div>
</form>
</section>`;
}
