import type { Run } from '../../store/models.js';
import { html, type SafeHtml } from '../html.js';
import { count, duration, runStatusBadge } from './status.js';
import { exactTime } from './time.js';

/**
 * Records and duration across a source's finished runs, oldest to newest, each as a bar (`<meter>`: no inline style
 * under the CSP, and read out by screen readers) against the largest of the runs shown, with the medians above: a
 * run that took ten times as long or read nothing stands out.
 */

const SHOWN = 20;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : Math.round((s[mid - 1]! + s[mid]!) / 2);
}

export function runTrends(runs: readonly Run[]): SafeHtml | '' {
  const finished = runs
    .filter((r) => r.finished_at !== null && r.status !== 'running')
    .slice(0, SHOWN)
    .reverse();
  if (finished.length < 2) return '';
  const ms = (r: Run) => Math.max(0, Date.parse(r.finished_at!) - Date.parse(r.started_at));
  const maxRecords = Math.max(1, ...finished.map((r) => r.totals.records_read));
  const maxMs = Math.max(1, ...finished.map(ms));
  return html`<section class="run-trends" aria-labelledby="run-trends-title" data-run-trends>
<h2 id="run-trends-title">Records and duration across runs</h2>
<p class="muted">The last ${finished.length} finished runs, oldest first: median <span data-median-records>${count(median(finished.map((r) => r.totals.records_read)))}</span> records read in <span data-median-duration>${duration(median(finished.map(ms)))}</span>.</p>
<div class="table-scroll"><table class="data-table run-trends-table">
<caption class="visually-hidden">Records read and duration of each run, oldest first</caption>
<thead><tr><th scope="col">Run</th><th scope="col">Status</th><th scope="col">Records read</th><th scope="col">Duration</th></tr></thead>
<tbody>${finished.map(
    (r) => html`<tr data-trend-run="${r.id}">
<th scope="row"><a href="/runs/${r.id}">${exactTime(r.started_at)}</a></th>
<td>${runStatusBadge(r.status)}</td>
<td><meter min="0" max="${String(maxRecords)}" value="${String(r.totals.records_read)}" aria-hidden="true"></meter> <span class="num" data-records>${count(r.totals.records_read)}</span></td>
<td><meter min="0" max="${String(maxMs)}" value="${String(ms(r))}" aria-hidden="true"></meter> <span data-duration>${duration(ms(r))}</span></td>
</tr>`,
  )}</tbody>
</table></div>
</section>`;
}
