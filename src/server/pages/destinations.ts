import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isSnagError, SnagError } from '../../core/errors.js';
import { parseDestinationUrl } from '../../destinations/index.js';
import { planView } from '../../writeback/index.js';
import { sinkRunView, toDataSink, type DataSink } from '../api/data-sink-resource.js';
import { destinationWizard, DESTINATION_STEPS } from '../components/destination-wizard.js';
import { csrfInput, submitButton, type FormState } from '../components/form.js';
import { liveApply, planTable, reportTable, runSummary } from '../components/sink-plan.js';
import { runStatusBadge } from '../components/status.js';
import { timeElement } from '../components/time.js';
import { fieldProblems, httpStatusOf, serverHintOf, type FieldProblem } from '../errors.js';
import { html, type SafeHtml } from '../html.js';
import { can } from '../can.js';
import { checkSinkConfig, CONTENT_MAX, prepareSink } from '../sinks/config.js';
import { reportCsv, reportCsvFilename } from '../sinks/report-csv.js';
import { failedRowsDiscard, failedRowsOf, retrySinkOf } from '../sinks/retry.js';
import { PREVIEW_ROWS, previewTableInput } from '../sinks/table-preview.js';
import { configOf } from '../sinks/config.js';
import {
  defaultSinkValues,
  FORM_FIELDS,
  formFieldOf,
  sinkConfigFromValues,
  sinkValuesFromBody,
  sinkValuesFromRecord,
  type SinkFormValues,
} from '../sinks/form-values.js';
import { pageHeading } from './layout.js';
import { isFetch, redirectByFetch, redirectWithFlash, sendFormResult, sendPage } from './respond.js';

/**
 * The Destinations area: tiles of the Bugsnag write-back destinations; the wizard (New destination → Bugsnag →
 * Authenticate → input and operation → name); a destination's page with its runs; its Plan (a POST: the table of
 * changes, nothing sent) with Apply; and a run's page — live while it applies, then the per-row report.
 */

type IdParams = { Params: { id: string } };
type Body = Record<string, unknown>;
const BODY_LIMIT = CONTENT_MAX * 4 + 64 * 1024;

export function registerDestinationPages(app: FastifyInstance): void {
  const deps = () => app.snag;
  const store = () => app.snag.runtime.store;

  app.get<{ Querystring: { selected?: string } }>('/destinations', async (request, reply) => {
    const sinks = await Promise.all((await store().sinks.list()).map((s) => toDataSink(deps(), s)));
    return sendPage(request, reply, {
      title: 'Destinations',
      active: 'destinations',
      body: (ctx) => html`<section aria-labelledby="page-title">
<div class="page-head">${pageHeading('Destinations')} ${ctx.can('destinations:write') ? html`<a class="button primary" href="/destinations/new">New destination</a>` : ''}</div>
<p class="lede">A destination of type Bugsnag applies error workflow changes — fix, ignore, snooze, assign, comment… — decided in your own data back to Bugsnag, in bulk: plan first, then apply.</p>
${
  sinks.length
    ? html`<ul class="tiles" data-tiles="destinations">${sinks.map((s) => destinationTile(s, ctx.now))}</ul>`
    : html`<p class="empty">No destination yet. <a href="/destinations/new">Create one</a> from a synced table or a file.</p>`
}
</section>`,
    });
  });

  app.get<{ Querystring: { credential_id?: string } }>('/destinations/new', async (request, reply) => {
    const values = defaultSinkValues();
    const picked = typeof request.query.credential_id === 'string' ? request.query.credential_id : '';
    const credentials = await deps().credentials.listCredentials();
    values.credential_id = picked || (credentials.length === 1 ? credentials[0]!.id : '');
    return renderWizard(request, reply, null, values, { initialStep: picked ? 1 : 0 });
  });

  app.post<{ Body: Body }>('/destinations', { bodyLimit: BODY_LIMIT }, async (request, reply) =>
    save(request, reply, null),
  );

  app.get<IdParams & { Querystring: { credential_id?: string } }>('/destinations/:id/edit', async (request, reply) => {
    const s = await store().sinks.findByNameOrId(request.params.id);
    const values = sinkValuesFromRecord(s);
    if (typeof request.query.credential_id === 'string' && request.query.credential_id)
      values.credential_id = request.query.credential_id;
    return renderWizard(request, reply, s.id, values, { initialStep: 2 });
  });

  app.post<IdParams & { Body: Body }>('/destinations/:id/edit', { bodyLimit: BODY_LIMIT }, async (request, reply) => {
    const s = await store().sinks.findByNameOrId(request.params.id);
    return save(request, reply, s.id);
  });

  app.get<IdParams>('/destinations/:id', async (request, reply) => {
    const s = await store().sinks.findByNameOrId(request.params.id);
    const view = await toDataSink(deps(), s);
    const runs = (await store().sinks.listRuns(s.id, 50)).map((r) => sinkRunView(deps(), r, s.name, false));
    return sendPage(request, reply, {
      title: s.name,
      active: 'destinations',
      body: (ctx) => html`<section aria-labelledby="page-title" class="destination-page">
${pageHeading(s.name)}
${view.description ? html`<p class="lede">${view.description}</p>` : ''}
${settings(view)}
<div class="form-actions">
${ctx.can('writeback:apply') ? planForm(s.id, ctx.csrf ?? '', 'Plan') : ''}
${(view.data_sink_config.input as { type?: string } | undefined)?.type === 'table' ? html`<a class="button" href="/destinations/${s.id}/preview" data-table-preview-link>Preview the table</a>` : ''}
${
  ctx.can('destinations:write')
    ? html`<a class="button" href="/destinations/${s.id}/edit">Edit</a>
<form method="post" action="/destinations/${s.id}/delete" class="inline-form">${csrfInput(ctx.csrf ?? '')}<button type="submit" class="button danger">Delete</button></form>`
    : ''
}
</div>
<h2>Runs</h2>
${
  runs.length
    ? html`<table class="data-table responsive"><caption class="visually-hidden">Runs of ${s.name}, newest first</caption>
<thead><tr><th scope="col">Run</th><th scope="col">Status</th><th scope="col">Started</th><th scope="col">Applied</th><th scope="col">Skipped</th><th scope="col">Failed</th></tr></thead>
<tbody>${runs.map(
        (
          r,
        ) => html`<tr><th scope="row"><a href="${r.links.page}">${r.id}</a></th><td>${runStatusBadge(r.status)}</td><td>${timeElement(r.started_at, ctx.now)}</td>
<td>${String(r.totals?.applied ?? '–')}</td><td>${String(r.totals?.skipped ?? '–')}</td><td>${String(r.totals?.failed ?? '–')}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="empty">Not applied yet.</p>`
}
</section>`,
    });
  });

  // The first rows of a table input (the source's synced errors table, the filter applied): read-only, cut short.
  app.get<IdParams>('/destinations/:id/preview', async (request, reply) => {
    const s = await store().sinks.findByNameOrId(request.params.id);
    const input = configOf(s).input;
    if (input.type !== 'table')
      throw new SnagError(
        'missing',
        `"${s.name}" reads a ${input.type}, not a synced table: there is no table to preview.`,
        {
          hint: 'Its page shows its input.',
        },
      );
    const preview = await previewTableInput(deps().runtime, input);
    return sendPage(request, reply, {
      title: `Table preview · ${s.name}`,
      active: 'destinations',
      body: () => html`<section aria-labelledby="page-title" class="table-preview-page">
${pageHeading(`Table preview: ${s.name}`)}
<p class="lede">The first ${String(PREVIEW_ROWS)} rows of the synced <code>errors</code> table${input.filter ? html` where <code>${input.filter}</code>` : ''}, as the write-back reads them. Read-only; long values are cut short.</p>
${
  preview.rows.length
    ? html`<div class="table-scroll" tabindex="0" role="region" aria-label="First rows of the errors table"><table class="data-table preview-table" data-table-preview>
<thead><tr>${preview.columns.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>
<tbody>${preview.rows.map((r) => html`<tr>${r.map((v) => html`<td>${v}</td>`)}</tr>`)}</tbody>
</table></div>`
    : html`<p class="empty">No rows: the table is empty, or the filter selects none.</p>`
}
<p><a class="button" href="/destinations/${s.id}">Back</a></p>
</section>`,
    });
  });

  app.post<IdParams>('/destinations/:id/delete', async (request, reply) => {
    const s = await store().sinks.findByNameOrId(request.params.id);
    await store().sinks.remove(s.id);
    const message = `Deleted "${s.name}". The changes it made in Bugsnag stay.`;
    if (isFetch(request)) return redirectByFetch(request, reply, 200, '/destinations', message);
    return redirectWithFlash(request, reply, '/destinations', message);
  });

  // Planning reads every touched error from Bugsnag (and runs the input's query): a GET only shows the destination
  // and the button; the plan is made by the POST, which a browser never sends by itself (prefetch, reload, a link).
  app.get<IdParams>('/destinations/:id/plan', async (request, reply) => {
    const s = await store().sinks.findByNameOrId(request.params.id);
    const view = await toDataSink(deps(), s);
    return sendPage(request, reply, {
      title: `Plan · ${s.name}`,
      active: 'destinations',
      body: (ctx) => html`<section aria-labelledby="page-title" class="plan-page">
${pageHeading(`Plan: ${s.name}`)}
${settings(view)}
<p class="lede" data-plan-pending>Planning reads the errors the input touches from Bugsnag and shows what applying would change. Nothing is sent until you apply.</p>
${ctx.can('writeback:apply') ? planForm(s.id, ctx.csrf ?? '', 'Plan') : html`<p class="muted" data-role-note>Planning and applying need an editor's role (the permission writeback:apply).</p>`}
</section>`,
    });
  });

  app.post<IdParams>('/destinations/:id/plan', async (request, reply) => {
    const s = await store().sinks.findByNameOrId(request.params.id);
    return planPage(request, reply, s, null, planOf(s));
  });

  /** The plan (read from Bugsnag now) with Apply; `confirmProblem`: an Apply refused for want of the discard's tick. */
  async function planPage(
    request: FastifyRequest,
    reply: FastifyReply,
    s: SinkRecord,
    confirmProblem: FieldProblem | null,
    at: PlanAt,
  ): Promise<FastifyReply> {
    let body: SafeHtml;
    let status = 200;
    try {
      const session = await prepareSink(deps().runtime, s);
      const v = planView(session.plan);
      const groups = v.groups.map((g) => ({
        project_id: g.project_id,
        operation: g.operation,
        params: g.params,
        change: g.change.length,
        skip: g.skip.length,
        missing: g.missing.length,
        requests: g.requests,
      }));
      const changing = groups.reduce((n, g) => n + g.change, 0);
      const discards = groups.filter((g) => g.operation === 'discard').reduce((n, g) => n + g.change, 0);
      const missing = v.groups.flatMap((g) => g.missing);
      body = html`<p class="lede" data-plan-summary>${String(v.rows)} rows with ${session.credential.name}: ${String(changing)} errors to change, ${String(v.writes)} write request${v.writes === 1 ? '' : 's'}. Nothing has been sent: planning only read the errors (${String(v.reads)} reads).</p>
${planTable(groups, `The changes, per operation and project`)}
${missing.length ? html`<ul class="warning" role="note">${missing.slice(0, 50).map((m) => html`<li>Row ${String(m.row)}: ${m.message}</li>`)}</ul>` : ''}
<form method="post" action="${at.apply}" class="apply-form">
${csrfInput(request.auth.kind === 'session' ? request.auth.session.csrfToken : '')}
${discards && !can(request, 'writeback:destructive') ? html`<p class="warning" role="note" data-role-note>This plan discards ${String(discards)} error${discards === 1 ? '' : 's'}: applying it needs an admin (the permission writeback:destructive). Ask an admin to apply it.</p>` : ''}
${discards && can(request, 'writeback:destructive') ? confirmBox(discards, confirmProblem) : ''}
<div class="form-actions"><a class="button" href="/destinations/${s.id}">Back</a>${discards && !can(request, 'writeback:destructive') ? '' : submitButton('Apply', { busyLabel: 'Starting…', className: 'button primary' })}</div>
</form>`;
    } catch (err) {
      if (!isSnagError(err) || err.code === 'internal') throw err;
      body = planError(err, s.id);
      status = httpStatusOf(err);
    }
    return sendPage(request, reply, {
      status: status === 200 && confirmProblem ? 400 : status,
      title: `Plan · ${s.name}`,
      active: 'destinations',
      body: () => html`<section aria-labelledby="page-title" class="plan-page">
${pageHeading(at.heading)}
${at.note ? html`<p class="lede" data-retry-note>${at.note}</p>` : ''}
${body}
</section>`,
    });
  }

  app.post<IdParams & { Body: Body }>('/destinations/:id/apply', async (request, reply) => {
    const s = await store().sinks.findByNameOrId(request.params.id);
    return applyAndGo(request, reply, s, planOf(s));
  });

  // Retry failed rows: the run's failed rows, read again from the destination's input, planned (POST) then applied.
  app.post<{ Params: { id: string; run_id: string } }>(
    '/destinations/:id/runs/:run_id/retry',
    async (request, reply) => {
      const { s, run } = await runOf(request.params.id, request.params.run_id);
      return planPage(request, reply, await retryOf(s, run), null, retryAt(s, run.id));
    },
  );

  app.post<{ Params: { id: string; run_id: string }; Body: Body }>(
    '/destinations/:id/runs/:run_id/retry/apply',
    async (request, reply) => {
      const { s, run } = await runOf(request.params.id, request.params.run_id);
      return applyAndGo(request, reply, await retryOf(s, run), retryAt(s, run.id));
    },
  );

  async function runOf(sinkRef: string, runId: string) {
    const s = await store().sinks.findByNameOrId(sinkRef);
    const run = await store().sinks.getRun(runId);
    if (!run || run.sink_id !== s.id)
      throw new SnagError('missing', `No write-back run "${runId}" of "${s.name}".`, {
        hint: 'Its page lists its runs.',
      });
    return { s, run };
  }

  /** The destination narrowed to the run's failed rows (none left: a 400 page saying so). */
  async function retryOf(s: SinkRecord, run: Parameters<typeof retrySinkOf>[2]): Promise<SinkRecord> {
    return retrySinkOf(deps().runtime, s, run);
  }

  async function applyAndGo(
    request: FastifyRequest,
    reply: FastifyReply,
    s: SinkRecord,
    at: PlanAt,
  ): Promise<FastifyReply> {
    const body = (request.body ?? {}) as Body;
    try {
      const live = await deps().sinkRuns.start(s, { confirm: body.confirm === '1' || body.confirm === 'on' });
      const to = `/destinations/${s.id}/runs/${live.run.id}`;
      if (isFetch(request)) return redirectByFetch(request, reply, 202, to, `Applying "${s.name}".`);
      return redirectWithFlash(request, reply, to, `Applying "${s.name}".`);
    } catch (err) {
      if (!isSnagError(err) || err.code === 'internal') throw err;
      // A discard without its tick: the plan again, the problem on the tick box (not a page with nowhere to go).
      if (err.details.field === 'confirm')
        return planPage(
          request,
          reply,
          s,
          {
            message: 'Tick the box to confirm the discard.',
            hint: 'Discarded errors drop their new events; nothing was sent.',
          },
          at,
        );
      return sendPage(request, reply, {
        status: httpStatusOf(err),
        title: `Plan · ${s.name}`,
        active: 'destinations',
        body: () =>
          html`<section aria-labelledby="page-title">${pageHeading(`Not applied: ${s.name}`)}${planError(err, s.id)}</section>`,
      });
    }
  }

  app.get<{ Params: { id: string; run_id: string } }>('/destinations/:id/runs/:run_id', async (request, reply) => {
    const s = await store().sinks.findByNameOrId(request.params.id);
    if (!deps().sinkRuns.liveFor(s.id)) await store().sinks.failStale(s.id);
    const run = await store().sinks.getRun(request.params.run_id);
    if (!run || run.sink_id !== s.id)
      throw new SnagError('missing', `No write-back run "${request.params.run_id}" of "${s.name}".`, {
        hint: 'Its page lists its runs.',
      });
    const view = sinkRunView(deps(), run, s.name, true);
    return sendPage(request, reply, {
      title: `Run ${run.id} · ${s.name}`,
      active: 'destinations',
      body: (ctx) => html`<section aria-labelledby="page-title" class="sink-run-page">
${pageHeading(`Write-back to ${s.name}`)}
<p><a href="/destinations/${s.id}">${s.name}</a> · run <code>${run.id}</code></p>
${runSummary(view, ctx.now)}
${view.status === 'running' ? liveApply(view) : html`<h2>Report</h2>${view.rows?.length ? html`<div class="form-actions"><a class="button" href="/destinations/${s.id}/runs/${run.id}/report.csv" download data-report-csv>Download CSV</a>${retryForm(ctx, s.id, run)}</div>` : ''}${reportTable(view.rows ?? [])}`}
</section>`,
    });
  });

  // Every row of the report as a CSV file (a spreadsheet-safe download; see sinks/report-csv.ts).
  app.get<{ Params: { id: string; run_id: string } }>(
    '/destinations/:id/runs/:run_id/report.csv',
    async (request, reply) => {
      const s = await store().sinks.findByNameOrId(request.params.id);
      const run = await store().sinks.getRun(request.params.run_id);
      if (!run || run.sink_id !== s.id)
        throw new SnagError('missing', `No write-back run "${request.params.run_id}" of "${s.name}".`, {
          hint: 'Its page lists its runs.',
        });
      const view = sinkRunView(deps(), run, s.name, true);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${reportCsvFilename(run.id)}"`)
        .send(reportCsv(view.rows ?? []));
    },
  );
}

type SinkRecord = Parameters<typeof retrySinkOf>[1];

/** Where a plan page sends its Apply, and how it is titled: the destination's own plan, or a retry of failed rows. */
interface PlanAt {
  apply: string;
  heading: string;
  note?: string;
}

function planOf(s: SinkRecord): PlanAt {
  return { apply: `/destinations/${s.id}/apply`, heading: `Plan: ${s.name}` };
}

function retryAt(s: SinkRecord, runId: string): PlanAt {
  return {
    apply: `/destinations/${s.id}/runs/${runId}/retry/apply`,
    heading: `Retry failed rows: ${s.name}`,
    note: `Only the rows run ${runId} reported failed, read again from the destination's input (numbered from 1 here). What is already so is skipped.`,
  };
}

/** Retry failed rows, for whom may apply them: an editor, or an admin when a failed row discards. */
function retryForm(
  ctx: { can: (p: Parameters<typeof can>[1]) => boolean; csrf?: string | null },
  sinkId: string,
  run: Parameters<typeof failedRowsOf>[0],
): SafeHtml | string {
  const failed = failedRowsOf(run).length;
  if (!failed || !ctx.can('writeback:apply')) return '';
  if (failedRowsDiscard(run) && !ctx.can('writeback:destructive')) return '';
  return html`<form method="post" action="/destinations/${sinkId}/runs/${run.id}/retry" class="inline-form" data-form="retry">${csrfInput(ctx.csrf ?? '')}${submitButton(`Retry failed rows (${failed})`, { busyLabel: 'Planning…', className: 'button primary' })}</form>`;
}

function destinationTile(s: DataSink, now: number): SafeHtml {
  const input = s.data_sink_config.input as Record<string, unknown> | undefined;
  const op = s.data_sink_config.operation as { name?: string } | null | undefined;
  return html`<li class="tile" id="dest-${s.id}" data-tile-id="${s.id}"><article>
<h2 class="tile-title"><a href="/destinations/${s.id}">${s.name}</a></h2>
${s.description ? html`<p class="tile-description">${s.description}</p>` : html`<p class="tile-description muted">No description</p>`}
<dl class="tile-facts">
<div><dt>Connector</dt><dd>Bugsnag</dd></div>
<div><dt>Credential</dt><dd>${s.data_credentials?.name ?? 'none'}</dd></div>
<div><dt>Input</dt><dd>${inputText(input)}</dd></div>
<div><dt>Operation</dt><dd>${op?.name ?? 'per row'}</dd></div>
<div><dt>Last run</dt><dd>${s.last_run ? html`<a href="${s.last_run.links.page}">${runStatusBadge(s.last_run.status)}</a> ${timeElement(s.last_run.started_at, now)}` : 'never applied'}</dd></div>
</dl>
<div class="tile-actions"><a class="button primary" href="/destinations/${s.id}/plan">Plan<span class="visually-hidden"> ${s.name}</span></a></div>
</article></li>`;
}

function inputText(input: Record<string, unknown> | undefined): string {
  if (!input) return '–';
  if (input.type === 'file')
    return `file ${String(input.filename ?? '')} (${String(input.lines ?? '?')} lines, ${String(input.format)})`;
  if (input.type === 'table')
    return `errors of ${String(input.data_source_id)}${input.filter ? ` where ${String(input.filter)}` : ''}`;
  return `query on ${String(input.data_source_id)}`;
}

function settings(s: DataSink): SafeHtml {
  const op = s.data_sink_config.operation as { name?: string; params?: Record<string, unknown> } | null;
  return html`<dl class="facts">
<div><dt>Credential</dt><dd>${s.data_credentials?.name ?? 'none'}</dd></div>
<div><dt>Input</dt><dd>${inputText(s.data_sink_config.input as Record<string, unknown>)}</dd></div>
<div><dt>Operation</dt><dd>${op?.name ?? 'per row'}${op?.params && Object.keys(op.params).length ? html` <code>${JSON.stringify(op.params)}</code>` : ''}</dd></div>
</dl>`;
}

/** The tick a discard needs before Apply; with the problem on it when Apply came without it. */
function confirmBox(discards: number, problem: FieldProblem | null): SafeHtml {
  return html`<div class="field field-check${problem ? ' has-error' : ''}" data-field="confirm"><div class="check"><input type="checkbox" id="apply-confirm" name="confirm" value="1"${problem ? html` aria-invalid="true" aria-describedby="apply-confirm-error" autofocus` : ''}><label for="apply-confirm">Yes, discard ${String(discards)} error${discards === 1 ? '' : 's'}: their new events will be dropped.</label></div>
${problem ? html`<p class="field-error" id="apply-confirm-error" role="alert" data-error-for="confirm"><span class="error-message">${problem.message}</span>${problem.hint ? html` <span class="error-hint">${problem.hint}</span>` : ''}</p>` : ''}</div>`;
}

/** Why a plan or an apply could not go on, with the web UI's advice and every row problem. */
function planError(err: SnagError, sinkId: string): SafeHtml {
  const problems = Array.isArray(err.details.problems)
    ? (err.details.problems as Array<{ row: number; field: string; message: string }>)
    : [];
  // The API's advice names its body field; on this page the same choice is the tick box of the plan.
  const hint =
    err.details.field === 'confirm'
      ? 'Go back to the plan, tick the box that confirms the discard, then apply.'
      : serverHintOf(err);
  return html`<div class="error-panel" role="alert" data-plan-error>
<p><strong>${err.message.split('\n')[0]}</strong>${hint ? html` ${hint}` : ''}</p>
${problems.length ? html`<ul>${problems.slice(0, 100).map((p) => html`<li>Row ${String(p.row)}, ${p.field}: ${p.message}</li>`)}</ul>` : ''}
<p><a class="button" href="/destinations/${sinkId}/plan">Plan again</a> <a class="button" href="/destinations/${sinkId}/edit">Edit the destination</a> <a class="button" href="/destinations/${sinkId}">Back</a></p>
</div>`;
}

/** The Plan button: a POST (planning reads from Bugsnag), with the session's CSRF token like every form. */
function planForm(sinkId: string, csrf: string, label: string): SafeHtml {
  return html`<form method="post" action="/destinations/${sinkId}/plan" class="inline-form" data-form="plan">${csrfInput(csrf)}${submitButton(label, { busyLabel: 'Planning…', className: 'button primary' })}</form>`;
}

async function save(request: FastifyRequest, reply: FastifyReply, sinkId: string | null): Promise<FastifyReply> {
  const deps = request.server.snag;
  const store = deps.runtime.store;
  const values = sinkValuesFromBody((request.body ?? {}) as Body);
  try {
    const problems: Record<string, FieldProblem> = {};
    if (!values.credential_id) problems.credential_id = { message: 'Pick a credential: its token makes the changes.' };
    if (!values.name.trim()) problems.name = { message: 'A destination needs a name.' };
    let config: ReturnType<typeof sinkConfigFromValues> | null = null;
    try {
      config = sinkConfigFromValues(values);
    } catch (err) {
      if (!isSnagError(err)) throw err;
      Object.assign(problems, placeable(err));
    }
    if (Object.keys(problems).length) throw problemsOf(problems);
    await checkSinkConfig(deps.runtime, config!);
    const credential = await store.credentials.findByNameOrId(values.credential_id).catch((err: unknown) => {
      if (isSnagError(err, 'missing'))
        throw problemsOf({ credential_id: { message: 'That credential no longer exists: pick another.' } });
      throw err;
    });
    const s = sinkId
      ? await store.sinks.update(sinkId, {
          name: values.name,
          description: values.description || null,
          credential_id: credential.id,
          config: config!,
        })
      : await store.sinks.create({
          name: values.name,
          description: values.description || null,
          credential_id: credential.id,
          config: config!,
        });
    const to = `/destinations/${s.id}/plan`;
    const message = `${sinkId ? 'Updated' : 'Saved'} "${s.name}". Plan it to see what would change: nothing is sent until you apply.`;
    if (isFetch(request)) return redirectByFetch(request, reply, sinkId ? 200 : 201, to, message);
    return redirectWithFlash(request, reply, to, message);
  } catch (err) {
    if (!isSnagError(err) || !['config', 'conflict'].includes(err.code)) throw err;
    const problems = placeable(err);
    if (err.code === 'conflict' && problems.name)
      problems.name = {
        message: problems.name.message,
        hint: 'Choose another name, or rename the existing destination first.',
      };
    const hint = serverHintOf(err);
    const formError: FieldProblem | null = Object.keys(problems).length
      ? null
      : hint
        ? { message: err.message, hint }
        : { message: err.message };
    const status = httpStatusOf(err);
    if (isFetch(request))
      return sendFormResult(reply, status, { ok: false, error: err.code, fields: problems, formError, clear: [] });
    return renderWizard(request, reply, sinkId, values, { errors: problems, formError, status });
  }
}

function problemsOf(problems: Record<string, FieldProblem>): SnagError {
  const first = Object.keys(problems)[0]!;
  return new SnagError('config', problems[first]!.message, { details: { field: first, fields: problems } });
}

/** The error's field problems, on the wizard's own inputs (API field names mapped to them). */
function placeable(e: SnagError): Record<string, FieldProblem> {
  const out: Record<string, FieldProblem> = {};
  for (const [k, v] of Object.entries(fieldProblems(e))) {
    const field = formFieldOf(k);
    if (FORM_FIELDS.includes(field)) out[field] ??= v;
  }
  return out;
}

interface RenderExtras {
  errors?: FormState['errors'];
  formError?: FieldProblem | null;
  initialStep?: number;
  status?: number;
}

async function renderWizard(
  request: FastifyRequest,
  reply: FastifyReply,
  sinkId: string | null,
  values: SinkFormValues,
  extras: RenderExtras = {},
): Promise<FastifyReply> {
  const deps = request.server.snag;
  const credentials = await deps.credentials.listCredentials();
  const sources = (await deps.runtime.store.sources.list()).filter((s) => {
    try {
      return parseDestinationUrl(s.destination, { cwd: deps.runtime.home }).kind !== 'jsonl';
    } catch {
      return false;
    }
  });
  const errors = extras.errors ?? {};
  const firstError = DESTINATION_STEPS.findIndex((_, i) => stepFields(i).some((f) => errors[f]));
  const title = sinkId ? `Edit ${values.name}` : 'New destination';
  const returnTo = sinkId ? `/destinations/${sinkId}/edit` : '/destinations/new';
  return sendPage(request, reply, {
    status: extras.status ?? 200,
    title,
    active: 'destinations',
    body: (page) => html`<section class="wizard-page" aria-labelledby="page-title">
${pageHeading(title)}
<p class="lede">A destination of type Bugsnag changes errors in Bugsnag — the ones a synced table's filter selects, or the rows of a file — with a credential's token. It is planned first; nothing is sent until you apply.</p>
${destinationWizard({
  mode: sinkId ? 'edit' : 'create',
  action: sinkId ? `/destinations/${sinkId}/edit` : '/destinations',
  csrf: page.csrf ?? '',
  values,
  errors,
  formError: extras.formError ?? null,
  credentials,
  sources,
  now: page.now,
  returnTo,
  initialStep: firstError >= 0 ? firstError : (extras.initialStep ?? 0),
  canAddCredential: page.can('credentials:write'),
})}
</section>`,
  });
}

function stepFields(i: number): string[] {
  const input = FORM_FIELDS.filter((f) => !['name', 'description', 'credential_id', 'confirm'].includes(f));
  return [[], ['credential_id'], input, ['name', 'description']][i] ?? [];
}
