import type { FastifyInstance } from 'fastify';
import { csrfInput, formError, submitButton } from '../components/form.js';
import { liveRun } from '../components/run-live.js';
import { runsTable } from '../components/runs-table.js';
import {
  RUN_KINDS,
  RUN_STATUSES,
  runsFilter,
  runsPager,
  writebackRunsTable,
  type RunKind,
  type RunsQuery,
  type RunStatusFilter,
} from '../components/runs-filter.js';
import { count, duration, partitionLabel, runStatusBadge, TRIGGER_TEXT } from '../components/status.js';
import { timeElement } from '../components/time.js';
import { cancelledError } from '../../engine/index.js';
import { attrs, html, type SafeHtml } from '../html.js';
import { reduceRunEvents } from '../runs/live-state.js';
import { runView, type RunView } from '../runs/view.js';
import { logJsonl, logText, runLog } from '../runs/log.js';
import { pageHeading, type PageContext } from './layout.js';
import { isFetch, redirectWithFlash, sendFormResult, sendPage } from './respond.js';
import { webAdvice } from '../runs/advice.js';

/**
 * The Runs area: the history of every source's runs, and one run's page — live while this server runs it (progress
 * per stream over SSE, a Cancel button), the summary once it has ended (per stream and partition: records, requests,
 * waits, duration, outcome; warnings; the error).
 */

type IdParams = { Params: { id: string } };

/** Runs per page of the Runs list; pages go back at most MAX_PAGE × PAGE runs. */
const PAGE = 50;
const MAX_PAGE = 40;

export function registerRunPages(app: FastifyInstance): void {
  const deps = () => app.snag;
  const store = () => app.snag.runtime.store;

  app.get<{ Querystring: { source?: string; kind?: string; status?: string; page?: string } }>(
    '/runs',
    async (request, reply) => {
      const q = request.query;
      const source = q.source ? await store().sources.findByNameOrId(q.source) : null;
      const kind: RunKind = (RUN_KINDS as readonly string[]).includes(q.kind ?? '') ? (q.kind as RunKind) : '';
      const status: RunStatusFilter = (RUN_STATUSES as readonly string[]).includes(q.status ?? '')
        ? (q.status as RunStatusFilter)
        : '';
      const page = Math.min(MAX_PAGE, Math.max(1, Number.parseInt(q.page ?? '1', 10) || 1));
      const query: RunsQuery = { source, kind, status, page };
      await store().runs.failStale();
      const syncs =
        kind === 'write-back'
          ? []
          : await store().runs.list({
              limit: page * PAGE + 1,
              ...(source ? { sourceId: source.id } : {}),
              ...(status ? { status } : {}),
            });
      const shown = syncs.slice((page - 1) * PAGE, page * PAGE);
      const more = syncs.length > page * PAGE;
      const writebacks = kind === 'sync' || source || page > 1 ? null : await writebackRuns(status);
      const sources = await store().sources.list();
      const names = new Map(sources.map((s) => [s.id, s.name]));
      const filtered = Boolean(source || kind || status);
      return sendPage(request, reply, {
        title: 'Runs',
        active: 'runs',
        body: (ctx) => html`<section aria-labelledby="page-title">
${pageHeading(source ? `Runs of ${source.name}` : 'Runs')}
<p class="lede">Every sync, newest first: how it ended, what it read and wrote, what it cost in requests and rate-limit waits; and the write-backs applied to Bugsnag.${source ? html` <a href="/runs">All sources</a>` : ''}</p>
${runsFilter(query, sources)}
${
  kind === 'write-back'
    ? ''
    : shown.length === 0 && !filtered && page === 1
      ? html`<div class="empty-state" data-empty="runs"><p><strong>No runs yet.</strong> Run a source from the Sources page, or wait for its schedule.</p><p><a class="button primary" href="/sources">Sources</a></p></div>`
      : html`${kind === '' && writebacks ? html`<h2>Syncs</h2>` : ''}${shown.length === 0 ? html`<p class="empty" data-empty="runs">No syncs match.</p>` : runsTable({ runs: shown, sourceNames: names, now: ctx.now, caption: 'Runs, newest first' })}
${runsPager(query, more)}`
}
${writebacks && (kind === 'write-back' || writebacks.length > 0) ? html`<h2>Write-backs</h2>${writebackRunsTable(writebacks, ctx.now)}` : ''}
</section>`,
      });
    },
  );

  /** The newest write-back runs of every destination (status-filtered), newest first. */
  async function writebackRuns(status: RunStatusFilter) {
    const sinks = await store().sinks.list();
    const all = (
      await Promise.all(
        sinks.map(async (sink) => (await store().sinks.listRuns(sink.id, PAGE)).map((run) => ({ run, sink }))),
      )
    ).flat();
    return all
      .filter((r) => !status || r.run.status === status)
      .sort((a, b) => b.run.started_at.localeCompare(a.run.started_at))
      .slice(0, PAGE);
  }

  app.get<IdParams>('/runs/:id', async (request, reply) => {
    const run = await store().runs.findById(request.params.id);
    const view = await runView(deps(), run);
    const tracked = deps().runs.get(run.id);
    const live = view.live && tracked ? reduceRunEvents(tracked.handle.events.history()) : null;
    return sendPage(request, reply, {
      title: `Run of ${view.source_name ?? run.source_id}`,
      active: 'runs',
      body: (ctx) => runBody(ctx, view, live),
    });
  });

  app.get<IdParams & { Querystring: { format?: string } }>('/runs/:id/log', async (request, reply) => {
    const run = await store().runs.findById(request.params.id);
    const lines = runLog(await runView(deps(), run));
    const jsonl = request.query.format === 'jsonl';
    return reply
      .type(jsonl ? 'application/x-ndjson; charset=utf-8' : 'text/plain; charset=utf-8')
      .header('content-disposition', `attachment; filename="${run.id}.${jsonl ? 'jsonl' : 'log'}"`)
      .header('cache-control', 'no-store')
      .send(jsonl ? logJsonl(lines) : logText(lines));
  });

  app.post<IdParams>('/runs/:id/cancel', async (request, reply) => {
    const run = await store().runs.findById(request.params.id);
    const ok = run.status === 'running' && deps().runs.cancel(run.id);
    const message = ok
      ? 'Cancelling: the page being read is abandoned, everything committed stays.'
      : run.status === 'running'
        ? 'This run belongs to another process (the command line or a cron job): stop it there.'
        : `The run has already ended (${run.status}).`;
    if (isFetch(request)) {
      return ok
        ? sendFormResult(reply, 202, { ok: true, message, messageKind: 'info' })
        : sendFormResult(reply, 409, { ok: false, error: 'conflict', fields: {}, formError: { message }, clear: [] });
    }
    return redirectWithFlash(request, reply, `/runs/${run.id}`, message);
  });
}

function runBody(ctx: PageContext, v: RunView, live: ReturnType<typeof reduceRunEvents> | null): SafeHtml {
  const title = `Run of ${v.source_name ?? v.source_id}`;
  return html`<section aria-labelledby="page-title" class="run-page" data-run-page data-run-id="${v.id}" data-run-status="${v.status}">
<div class="page-head">${pageHeading(title)} ${runStatusBadge(v.status)}</div>
<dl class="facts">
<div><dt>Source</dt><dd><a href="/sources/${v.source_id}">${v.source_name ?? v.source_id}</a></dd></div>
<div><dt>Started</dt><dd>${timeElement(v.started_at, ctx.now)} by ${TRIGGER_TEXT[v.trigger] ?? v.trigger}</dd></div>
${v.finished_at ? html`<div><dt>Duration</dt><dd>${duration(v.duration_ms)}</dd></div>` : ''}
${v.full_refresh ? html`<div><dt>Full refresh</dt><dd>yes: checkpoints were reset</dd></div>` : ''}
${v.streams_requested ? html`<div><dt>Streams asked for</dt><dd>${v.streams_requested.join(', ')}</dd></div>` : ''}
</dl>
${
  live
    ? html`${liveRun(v.id, live)}
${ctx.can('runs:start') ? html`<form method="post" action="/runs/${v.id}/cancel" data-enhance class="cancel-form">${csrfInput(ctx.csrf ?? '')}${formError(null)}${submitButton('Cancel the run', { className: 'button danger', busyLabel: 'Cancelling…' })}</form>` : ''}
<p data-js-hidden class="muted"><a href="/runs/${v.id}">Refresh</a> to see the latest progress (with JavaScript it updates by itself).</p>`
    : v.status === 'running'
      ? html`<p class="warning" role="note" data-external-run>This run is being made by another process (the command line, or <code>snagsync schedule daemon</code>): its progress below is saved about once a second. <a href="/runs/${v.id}">Refresh</a></p>
<section class="live-run" data-live-run data-external data-run-id="${v.id}" data-events-url="/api/runs/${v.id}/events" data-last-seq="0" data-status="running" data-applied="0" aria-label="Progress"></section>
${summary(v)}`
      : summary(v)
}
</section>`;
}

function summary(v: RunView): SafeHtml {
  const t = v.totals;
  return html`${v.error ? html`<div class="form-error" role="alert" data-run-error><p><strong>${v.error.message}</strong>${webAdvice(v.error.hint) ? html` ${webAdvice(v.error.hint)}` : ''}</p></div>` : ''}
<h2>Totals</h2>
<dl class="live-totals totals" data-run-totals>
<div><dt>Records read</dt><dd data-total="records">${count(t.records_read)}</dd></div>
<div><dt>Records written</dt><dd data-total="written">${count(t.records_written)}</dd></div>
<div><dt>Requests</dt><dd data-total="requests">${count(t.requests)}</dd></div>
<div><dt>Pages</dt><dd data-total="pages">${count(t.pages)}</dd></div>
<div><dt>Retries</dt><dd data-total="retries">${count(t.retries)}</dd></div>
<div><dt>Rate-limit waits</dt><dd data-total="waits">${t.rate_limit_waits === null ? '' : `${count(t.rate_limit_waits)} · `}${duration(t.rate_limit_wait_ms)}</dd></div>
</dl>
${v.warnings.length ? html`<h2>Warnings</h2><ul class="event-list" data-run-warnings>${v.warnings.map((w) => html`<li class="warning-item"><strong>${w.stream}</strong>${w.partition ? html` <span class="muted">${partitionLabel(w.partition, w.partition_label)}</span>` : ''}: ${w.message}</li>`)}</ul>` : ''}
${runLogSection(v)}
<h2>Streams and partitions</h2>
${
  v.streams.length === 0
    ? html`<p class="empty">No stream was read.</p>`
    : html`<div class="table-scroll"><table class="data-table responsive run-streams" data-run-streams>
<caption class="visually-hidden">Per stream and partition</caption>
<thead><tr><th scope="col">Stream</th><th scope="col">Partition</th><th scope="col" class="num">Read</th><th scope="col" class="num">Written</th><th scope="col" class="num">Pages</th><th scope="col" class="num">Requests</th><th scope="col" class="num">Waits</th><th scope="col">Duration</th><th scope="col">Outcome</th></tr></thead>
<tbody>${v.streams.map(
        (
          s,
        ) => html`<tr data-stream="${s.stream}" data-partition="${s.partition}" data-outcome="${s.outcome ?? 'running'}">
<th scope="row" data-label="Stream">${s.stream}</th>
<td data-label="Partition"${attrs({ title: s.partition_label ? s.partition : null })}>${partitionLabel(s.partition, s.partition_label)}</td>
<td data-label="Read" class="num">${count(s.records_read)}</td>
<td data-label="Written" class="num">${count(s.records_written)}</td>
<td data-label="Pages" class="num">${count(s.pages)}</td>
<td data-label="Requests" class="num">${count(s.requests)}</td>
<td data-label="Waits" class="num">${s.wait_ms ? duration(s.wait_ms) : '–'}</td>
<td data-label="Duration">${duration(s.duration_ms)}</td>
<td data-label="Outcome">${outcomeText(s.outcome, s.message)}${s.message ? html`<span class="muted outcome-message">${s.message}</span>` : ''}</td>
</tr>`,
      )}</tbody>
</table></div>`
}`;
}

/** The run's log (what the store keeps of it, in time order), folded, with its downloads. */
function runLogSection(v: RunView): SafeHtml {
  return html`<details class="run-log" data-run-log>
<summary>Log <span class="muted">(${String(runLog(v).length)} lines)</span></summary>
<p class="run-log-downloads">Download: <a href="/runs/${v.id}/log" download>as text</a> · <a href="/runs/${v.id}/log?format=jsonl" download>as JSONL</a></p>
<pre class="run-log-lines">${logText(runLog(v))}</pre>
</details>`;
}

/** The partition a cancel stopped "failed" with the cancel's own error: it was cancelled, nothing went wrong. */
const CANCELLED_MESSAGE = cancelledError().message;

function outcomeText(o: RunView['streams'][number]['outcome'], message: string | null | undefined): string {
  if (o === 'failed' && message === CANCELLED_MESSAGE) return '■ cancelled';
  return o === 'ok' ? '✓ ok' : o === 'skipped' ? '– skipped' : o === 'failed' ? '✕ failed' : '… running';
}
