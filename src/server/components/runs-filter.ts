import type { Source } from '../../store/models.js';
import type { DataSinkRecord, SinkRunRecord } from '../../store/sinks.js';
import { attrs, html, type SafeHtml } from '../html.js';
import { duration } from './status.js';
import { timeElement } from './time.js';

/**
 * The Runs list's filter (a plain GET form: source, kind, status) and pager, and the table of write-back runs (a
 * destination's applies to Bugsnag) shown beside the syncs.
 */

export const RUN_KINDS = ['', 'sync', 'write-back'] as const;
export type RunKind = (typeof RUN_KINDS)[number];
export const RUN_STATUSES = ['', 'running', 'succeeded', 'partial', 'failed', 'cancelled'] as const;
export type RunStatusFilter = (typeof RUN_STATUSES)[number];

export interface RunsQuery {
  source: Source | null;
  kind: RunKind;
  status: RunStatusFilter;
  /** 1-based. */
  page: number;
}

export function runsQueryString(q: RunsQuery, page = q.page): string {
  const p = new URLSearchParams();
  if (q.source) p.set('source', q.source.id);
  if (q.kind) p.set('kind', q.kind);
  if (q.status) p.set('status', q.status);
  if (page > 1) p.set('page', String(page));
  const text = p.toString();
  return text ? `?${text}` : '';
}

export function runsFilter(q: RunsQuery, sources: readonly Source[]): SafeHtml {
  const option = (value: string, label: string, current: string) =>
    html`<option${attrs({ value, selected: value === current })}>${label}</option>`;
  return html`<form method="get" action="/runs" class="runs-filter" data-runs-filter aria-label="Filter the runs">
<div class="field"><label for="runs-source">Source</label><select id="runs-source" name="source">${option('', 'Every source', '')}${sources.map((s) => option(s.id, s.name, q.source?.id ?? ''))}</select></div>
<div class="field"><label for="runs-kind">Kind</label><select id="runs-kind" name="kind">${option('', 'Syncs and write-backs', q.kind)}${option('sync', 'Syncs', q.kind)}${option('write-back', 'Write-backs', q.kind)}</select></div>
<div class="field"><label for="runs-status">Status</label><select id="runs-status" name="status">${RUN_STATUSES.map((st) => option(st, st === '' ? 'Any status' : st, q.status))}</select></div>
<div class="form-actions"><button type="submit" class="button">Filter</button>${q.source || q.kind || q.status ? html` <a href="/runs">Clear</a>` : ''}</div>
</form>`;
}

export function runsPager(q: RunsQuery, more: boolean): SafeHtml | '' {
  if (q.page <= 1 && !more) return '';
  return html`<nav class="pager" aria-label="Pages of runs" data-runs-pager>
${q.page > 1 ? html`<a class="button" rel="prev" href="/runs${runsQueryString(q, q.page - 1)}">Newer runs</a>` : ''}
<span class="muted">Page ${String(q.page)}</span>
${more ? html`<a class="button" rel="next" href="/runs${runsQueryString(q, q.page + 1)}">Older runs</a>` : ''}
</nav>`;
}

export function writebackRunsTable(
  runs: ReadonlyArray<{ run: SinkRunRecord; sink: DataSinkRecord }>,
  now: number,
): SafeHtml {
  if (runs.length === 0) return html`<p class="empty" data-empty="write-back-runs">No write-back runs match.</p>`;
  return html`<div class="table-scroll"><table class="data-table responsive runs-table" data-writeback-runs-table>
<caption class="visually-hidden">Write-back runs, newest first</caption>
<thead><tr><th scope="col">Run</th><th scope="col">Destination</th><th scope="col">Status</th><th scope="col">Duration</th><th scope="col">Error</th></tr></thead>
<tbody>${runs.map(({ run, sink }) => {
    const ms = run.finished_at ? Date.parse(run.finished_at) - Date.parse(run.started_at) : null;
    const message = run.error && typeof run.error.message === 'string' ? run.error.message : null;
    return html`<tr data-writeback-run-id="${run.id}">
<th scope="row" data-label="Run"><a href="/destinations/${sink.id}/runs/${run.id}">${timeElement(run.started_at, now)}</a></th>
<td data-label="Destination"><a href="/destinations/${sink.id}">${sink.name}</a></td>
<td data-label="Status"><span class="badge" data-run-status="${run.status}">${run.status}</span></td>
<td data-label="Duration">${run.status === 'running' ? 'running' : duration(ms)}</td>
<td data-label="Error">${message ? html`<span class="error-text">${message}</span>` : '–'}</td>
</tr>`;
  })}</tbody>
</table></div>`;
}
