import type { Run } from '../../store/models.js';
import { html, type SafeHtml } from '../html.js';
import { count, duration, runStatusBadge, TRIGGER_TEXT } from './status.js';
import { timeElement } from './time.js';

/**
 * A run history table (every source on /runs, one source on its page): status, trigger, when, how long, records
 * read and written, requests, time waited for the rate limit, and the error. Cells carry `data-label` so the narrow
 * layout can show each row as a small card.
 */

export interface RunsTableOptions {
  runs: readonly Run[];
  /** source id → name; absent: the column is left out (one source's page). */
  sourceNames?: ReadonlyMap<string, string>;
  now: number;
  caption: string;
}

export function runsTable(o: RunsTableOptions): SafeHtml {
  if (o.runs.length === 0) return html`<p class="empty" data-empty="runs">No runs yet.</p>`;
  const withSource = o.sourceNames !== undefined;
  return html`<div class="table-scroll"><table class="data-table responsive runs-table" data-runs-table>
<caption class="visually-hidden">${o.caption}</caption>
<thead><tr><th scope="col">Run</th>${withSource ? html`<th scope="col">Source</th>` : ''}<th scope="col">Status</th><th scope="col">Trigger</th><th scope="col">Duration</th><th scope="col" class="num">Records read</th><th scope="col" class="num">Written</th><th scope="col" class="num">Requests</th><th scope="col" class="num">Rate-limit waits</th><th scope="col">Error</th></tr></thead>
<tbody>${o.runs.map((r) => {
    const ms = r.finished_at ? Date.parse(r.finished_at) - Date.parse(r.started_at) : o.now - Date.parse(r.started_at);
    return html`<tr data-run-id="${r.id}">
<th scope="row" data-label="Run"><a href="/runs/${r.id}">${timeElement(r.started_at, o.now)}</a></th>
${withSource ? html`<td data-label="Source"><a href="/sources/${r.source_id}">${o.sourceNames!.get(r.source_id) ?? r.source_id}</a></td>` : ''}
<td data-label="Status">${runStatusBadge(r.status)}</td>
<td data-label="Trigger">${TRIGGER_TEXT[r.trigger] ?? r.trigger}</td>
<td data-label="Duration">${r.status === 'running' ? html`${duration(ms)} so far` : duration(ms)}</td>
<td data-label="Records read" class="num">${count(r.totals.records_read)}</td>
<td data-label="Written" class="num">${count(r.totals.records_written)}</td>
<td data-label="Requests" class="num">${count(r.totals.requests)}</td>
<td data-label="Rate-limit waits" class="num">${r.totals.rate_limit_wait_ms ? duration(r.totals.rate_limit_wait_ms) : '–'}</td>
<td data-label="Error">${r.error ? html`<span class="error-text">${r.error.message}</span>` : '–'}</td>
</tr>`;
  })}</tbody>
</table></div>`;
}
