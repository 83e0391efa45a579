import type { FirstSyncEstimate } from '../../engine/index.js';
import type { FirstSyncError, ServerPreview } from '../sources/preview.js';
import { findStream } from '../../engine/index.js';
import type { FieldProblem } from '../errors.js';
import { attrs, html, type SafeHtml } from '../html.js';
import { count, duration, partitionLabel } from './status.js';
import { webAdvice } from '../runs/advice.js';

/**
 * The wizard's Test result panel (Nexla's "Endpoint Test Result"): a few records of the chosen stream as a table of
 * their documented columns, and the raw JSON under it. Or why nothing could be read.
 */

const MAX_COLUMNS = 7;
const MAX_CELL = 80;

export function previewPanel(p: ServerPreview): SafeHtml {
  const stream = findStream(p.stream);
  // The partition's own id is the same on every row (and said above the table): its column is left out.
  const columns = (stream?.columns ?? [])
    .filter(
      (c) =>
        !(c.name === 'project_id' && p.partition.kind === 'project') &&
        !(c.name === 'organization_id' && p.partition.kind === 'organization'),
    )
    .slice(0, MAX_COLUMNS);
  const where =
    p.partition.kind === 'global'
      ? 'the account'
      : html`${p.partition.kind} <strong>${p.partition.name ?? p.partition.key}</strong> <span class="muted">(${partitionLabel(p.partition.key)})</span>`;
  return html`<h3 class="result-title" data-preview-stream="${p.stream}" data-preview-count="${p.records.length}">Test result: ${p.stream}</h3>
<p>${p.records.length} ${p.records.length === 1 ? 'record' : 'records'} read from ${where} with ${p.requests} ${p.requests === 1 ? 'request' : 'requests'}${p.first_sync ? ', the first sync estimate included' : ''}. Nothing was saved.</p>
${p.first_sync ? firstSyncLine(p.first_sync) : p.first_sync_error ? firstSyncErrorLine(p.first_sync_error) : ''}
${
  p.records.length === 0
    ? html`<p class="empty">No records there. Try another stream, or check the options (start date, filters).</p>`
    : html`<div class="table-scroll" tabindex="0" role="region" aria-label="Sample records of ${p.stream}"><table class="data-table preview-table">
<thead><tr>${columns.map((c) => html`<th scope="col">${c.name}</th>`)}</tr></thead>
<tbody>${p.records.map((r) => html`<tr>${columns.map((c) => html`<td>${cell(valueAt(r, c.path ?? [c.name]))}</td>`)}</tr>`)}</tbody>
</table></div>
<details class="raw-json"><summary>Raw JSON (${p.records.length} ${p.records.length === 1 ? 'record' : 'records'})</summary><pre><code>${JSON.stringify(p.records, null, 2)}</code></pre></details>`
}`;
}

/**
 * How long the first sync of the events would take by each path at the credential's rate limit (the engine's
 * estimate, engine/preview.ts), and which path this source's settings pick per project. Request time only.
 */
export function firstSyncLine(f: FirstSyncEstimate): SafeHtml {
  const per = f.window_ms === 60_000 ? 'minute' : roughDuration(f.window_ms);
  const limit = f.limit_observed
    ? 'the limit Bugsnag announced to this credential'
    : 'assumed: Bugsnag has not announced a limit to this credential yet';
  const more = f.projects_not_counted
    ? html` <span class="muted">(${count(f.projects_not_counted)} more ${plural(f.projects_not_counted, 'project')} not counted)</span>`
    : '';
  return html`<div class="first-sync"${attrs({
    'data-first-sync': true,
    'data-events': f.events,
    'data-list-requests': f.list.requests,
    'data-bulk-requests': f.bulk.requests,
  })}>
<p><strong>First sync of ~${count(f.events)} ${plural(f.events, 'event')} over ${count(f.projects)} ${plural(f.projects, 'project')}</strong>${more}: list API ~${count(f.list.requests)} ${plural(f.list.requests, 'request')} ≈ ${roughDuration(f.list.ms)}; bulk export ~${count(f.bulk.requests)} ${plural(f.bulk.requests, 'request')} (${count(f.bulk.exports)} ${plural(f.bulk.exports, 'export')}) ≈ ${roughDuration(f.bulk.ms)} (at ${count(f.limit)} ${plural(f.limit, 'request')} per ${per}, ${limit}). This source would use: bulk for ${count(f.chosen.bulk)} ${plural(f.chosen.bulk, 'project')}, list for ${count(f.chosen.list)}.</p>
<p class="muted">Request time only: each bulk export also waits for Bugsnag to prepare it, and for its download.</p>
</div>`;
}

/** The records were read, but the estimate could not be made (the rate limit used up for now…). */
function firstSyncErrorLine(e: FirstSyncError): SafeHtml {
  return html`<div class="first-sync" data-first-sync-error><p>No first sync estimate this time: ${e.message}${webAdvice(e.hint) ? html` ${webAdvice(e.hint)}` : ''}</p></div>`;
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}

/** "2 min" rather than "2 min 0 s": the estimate counts whole rate-limit windows. */
function roughDuration(ms: number): string {
  return duration(ms).replace(/ 0 (s|min)$/, '');
}

export function previewErrorPanel(problem: FieldProblem): SafeHtml {
  return html`<h3 class="result-title">Test result</h3><div class="form-error" role="alert" data-preview-error><p><strong>${problem.message}</strong>${webAdvice(problem.hint) ? html` ${webAdvice(problem.hint)}` : ''}</p></div>`;
}

function valueAt(record: Record<string, unknown>, path: readonly string[]): unknown {
  let v: unknown = record;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

function cell(v: unknown): string {
  if (v === undefined || v === null) return '–';
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text;
}
