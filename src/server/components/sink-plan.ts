import type { SinkRunView } from '../api/data-sink-resource.js';
import { attrs, html, type SafeHtml } from '../html.js';
import { count, runStatusBadge } from './status.js';
import { timeElement } from './time.js';

/**
 * A write-back plan as a table (per operation and project: to change, already so, not found, write requests) and a
 * finished run's per-row report (applied / skipped / failed with Bugsnag's message).
 */

export interface PlanGroupView {
  project_id: string;
  operation: string;
  params: Record<string, unknown>;
  change: number;
  skip: number;
  missing: number;
  requests: number;
}

export function planTable(groups: readonly PlanGroupView[], caption: string): SafeHtml {
  if (!groups.length) return html`<p class="empty">The input has no rows.</p>`;
  return html`<table class="data-table responsive plan-table" data-plan>
<caption>${caption}</caption>
<thead><tr><th scope="col">Operation</th><th scope="col">Project</th><th scope="col">To change</th><th scope="col">Already so (skipped)</th><th scope="col">Not found</th><th scope="col">Write requests</th></tr></thead>
<tbody>${groups.map(
    (g) => html`<tr data-plan-group="${g.operation}">
<th scope="row" data-label="Operation">${g.operation}${Object.keys(g.params).length ? html` <code>${JSON.stringify(g.params)}</code>` : ''}</th>
<td data-label="Project"><code>${g.project_id}</code></td>
<td data-label="To change" data-plan-change>${count(g.change)}</td>
<td data-label="Already so" data-plan-skip>${count(g.skip)}</td>
<td data-label="Not found">${count(g.missing)}</td>
<td data-label="Write requests" data-plan-requests>${count(g.requests)}</td>
</tr>`,
  )}</tbody>
</table>`;
}

export function runSummary(r: SinkRunView, now: number): SafeHtml {
  return html`<dl class="facts" data-sink-run-summary>
<div><dt>Status</dt><dd>${runStatusBadge(r.status)}</dd></div>
<div><dt>Started</dt><dd>${timeElement(r.started_at, now)}</dd></div>
${
  r.totals
    ? html`<div><dt>Applied</dt><dd data-total="applied">${count(r.totals.applied)}</dd></div>
<div><dt>Skipped</dt><dd data-total="skipped">${count(r.totals.skipped)}</dd></div>
<div><dt>Failed</dt><dd data-total="failed">${count(r.totals.failed)}</dd></div>
<div><dt>Write requests</dt><dd>${count(r.writes)}</dd></div>`
    : ''
}
${r.error ? html`<div><dt>Error</dt><dd class="tile-error">${String(r.error.message ?? '')}</dd></div>` : ''}
</dl>`;
}

/** The live part of a running apply: app.js follows its events and reloads the page (with the report) at the end. */
export function liveApply(r: SinkRunView): SafeHtml {
  const total = r.progress?.total ?? Number((r.plan as { rows?: number }).rows ?? 0);
  const done = r.progress?.done ?? 0;
  return html`<div class="live-apply" data-live-sink-run${attrs({ 'data-events-url': r.links.events })}>
<p role="status" data-live-status>Applying… <span data-live-done>${count(done)}</span> of <span data-live-total>${count(total)}</span> rows.</p>
<progress max="${String(Math.max(total, 1))}" value="${String(done)}" data-live-progress aria-label="Rows done"></progress>
<p class="muted" data-js-hidden>Reload the page to see how far it got.</p>
</div>`;
}

const OUTCOME: Record<string, string> = { applied: '✓ applied', skipped: '= skipped', failed: '✕ failed' };

export function reportTable(rows: NonNullable<SinkRunView['rows']>): SafeHtml {
  if (!rows.length) return html`<p class="empty">No rows.</p>`;
  return html`<table class="data-table responsive report-table" data-report>
<caption>Every row: applied, skipped (already so), or failed with Bugsnag's message</caption>
<thead><tr><th scope="col">Row</th><th scope="col">Operation</th><th scope="col">Project</th><th scope="col">Error</th><th scope="col">Outcome</th><th scope="col">Message</th></tr></thead>
<tbody>${rows.map(
    (r) => html`<tr data-row="${String(r.row)}" data-outcome="${r.outcome}">
<th scope="row" data-label="Row">${String(r.row)}</th>
<td data-label="Operation">${r.operation}</td>
<td data-label="Project"><code>${r.project_id}</code></td>
<td data-label="Error"><code>${r.error_id}</code></td>
<td data-label="Outcome" class="outcome-${r.outcome}">${OUTCOME[r.outcome] ?? r.outcome}</td>
<td data-label="Message">${r.message ?? ''}</td>
</tr>`,
  )}</tbody>
</table>`;
}
