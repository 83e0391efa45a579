import type { PreviewResult } from '../../engine/index.js';
import { findStream } from '../../engine/index.js';
import type { FieldProblem } from '../errors.js';
import { html, type SafeHtml } from '../html.js';
import { partitionLabel } from './status.js';

/**
 * The wizard's Test result panel (Nexla's "Endpoint Test Result"): a few records of the chosen stream as a table of
 * their documented columns, and the raw JSON under it. Or why nothing could be read.
 */

const MAX_COLUMNS = 7;
const MAX_CELL = 80;

export function previewPanel(p: PreviewResult): SafeHtml {
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
<p>${p.records.length} ${p.records.length === 1 ? 'record' : 'records'} read from ${where} with ${p.requests} ${p.requests === 1 ? 'request' : 'requests'}. Nothing was saved.</p>
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

export function previewErrorPanel(problem: FieldProblem): SafeHtml {
  return html`<h3 class="result-title">Test result</h3><div class="form-error" role="alert" data-preview-error><p><strong>${problem.message}</strong>${problem.hint ? html` ${problem.hint}` : ''}</p></div>`;
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
