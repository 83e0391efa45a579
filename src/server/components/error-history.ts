import { html, type SafeHtml } from '../html.js';
import type { HistoryInterval, RecentChange } from '../overview/history.js';
import { humanSeconds } from '../overview/time-to-fix.js';
import { exactTime, timeElement } from './time.js';

/**
 * An error's history as a table of intervals (status, severity, assignee, from → to, how long, observed by), and the
 * source page's list of the errors that changed last, each linked to its history page.
 */

const OBSERVED_BY: Record<string, string> = {
  incremental: 'a sync (new events)',
  full_pass: 'a full pass',
  status_pass: 'a status pass',
  webhook: 'a webhook message',
  writeback: 'a write-back',
};

export function historyPath(sourceId: string, projectId: string, errorId: string): string {
  return `/sources/${encodeURIComponent(sourceId)}/errors/${encodeURIComponent(projectId)}/${encodeURIComponent(errorId)}/history`;
}

function assignee(i: HistoryInterval): SafeHtml | string {
  if (i.assigned_collaborator_id) return html`collaborator <code>${i.assigned_collaborator_id}</code>`;
  if (i.assigned_team_id) return html`team <code>${i.assigned_team_id}</code>`;
  return html`<span class="muted">nobody</span>`;
}

export function intervalsTable(intervals: readonly HistoryInterval[], now: number): SafeHtml {
  return html`<div class="table-scroll"><table class="data-table history-table" data-history-table>
<caption class="visually-hidden">The error's states, oldest first</caption>
<thead><tr><th scope="col">Status</th><th scope="col">Severity</th><th scope="col">Assigned to</th><th scope="col">From</th><th scope="col">To</th><th scope="col">For</th><th scope="col">Observed by</th></tr></thead>
<tbody>${intervals.map((i) => {
    const end = i.valid_to ? Date.parse(i.valid_to) : now;
    const seconds = (end - Date.parse(i.valid_from)) / 1000;
    return html`<tr data-interval data-status="${i.status ?? ''}" data-valid-from="${i.valid_from}"${i.valid_to ? '' : html` data-current`}>
<td>${i.status ?? '—'}</td><td>${i.severity ?? '—'}</td><td>${assignee(i)}</td>
<td><time datetime="${i.valid_from}">${exactTime(i.valid_from)}</time></td>
<td>${i.valid_to ? html`<time datetime="${i.valid_to}">${exactTime(i.valid_to)}</time>` : html`<strong>now</strong> (current)`}</td>
<td>${humanSeconds(seconds)}</td>
<td>${OBSERVED_BY[i.observed_by ?? ''] ?? i.observed_by ?? '—'}${i.run_id ? html` · <a href="/runs/${i.run_id}">run</a>` : ''}</td></tr>`;
  })}</tbody></table></div>`;
}

export function recentChangesSection(sourceId: string, changes: readonly RecentChange[] | null, now: number): SafeHtml {
  return html`<section class="recent-changes" id="error-history" aria-labelledby="recent-changes-title">
<h2 id="recent-changes-title">Error history</h2>
${
  changes === null
    ? html`<p class="empty" data-empty="history">No error history in the destination yet: it is kept once the source syncs the errors stream.</p>`
    : changes.length === 0
      ? html`<p class="empty" data-empty="history">No state of an error recorded yet.</p>`
      : html`<p class="muted">The errors whose status, severity or assignment changed last; each links to its whole history.</p>
<ul class="recent-changes-list">${changes.map(
          (c) =>
            html`<li data-change><a href="${historyPath(sourceId, c.project_id, c.error_id)}">${c.error_class ?? c.error_id}</a>${c.message ? html` <span class="muted">${truncate(c.message, 90)}</span>` : ''} — <strong>${c.status ?? '—'}</strong>${c.severity ? `, ${c.severity}` : ''} ${timeElement(c.valid_from, now)}</li>`,
        )}</ul>`
}
</section>`;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
