import type { Source } from '../../store/models.js';
import { html, type SafeHtml } from '../html.js';
import { humanSeconds, type TimeFigures } from '../overview/time-to-fix.js';
import { csrfInput } from './form.js';
import { count } from './status.js';

/**
 * The Overview's card about time, per destination: time to fix (median and p90, from the `mttr` view, by project,
 * severity and team) and the errors reopened in the last 30 days (from `error_lifecycle`). Without the views it says
 * so and offers "Create analytics views", which applies them (as the API's `models` does); a JSONL destination holds
 * files, not views, and says that instead.
 */

export const REOPENED_DAYS = 30;

export function timeToFixCard(
  f: TimeFigures | null,
  o: { sources: readonly Source[]; csrf: string; names: ReadonlyMap<string, string>; canCreate?: boolean },
): SafeHtml | '' {
  if (!f) return '';
  if (!f.sql)
    return html`<div class="chart-card time-card" data-time-card="jsonl"><h3>Time to fix</h3><p class="empty">Time to fix and reopened errors come from SQL views over the error history; a JSONL destination holds files, so they are not computed here.</p></div>`;
  const missing = !f.views.mttr || !f.views.error_lifecycle;
  const source = o.sources[0];
  const create =
    source && o.canCreate !== false
      ? html`<form method="post" action="/sources/${source.id}/models" class="inline-form" data-enhance>${csrfInput(o.csrf)}<input type="hidden" name="return_to" value="/"><button type="submit" class="button primary" data-busy-label="Creating…">Create analytics views</button></form>`
      : '';
  if (missing)
    return html`<div class="chart-card time-card" data-time-card="no-views"><h3>Time to fix</h3>
<p class="empty">${
      f.history
        ? 'Time to fix and reopened errors are read from the analytics views (mttr, error_lifecycle), which this destination does not have yet. Creating them adds views only: no synced table is changed.'
        : 'Time to fix and reopened errors are read from the error history, which this destination does not keep yet: sync the errors stream first, then create the analytics views.'
    }</p>
${f.history ? create : ''}</div>`;
  const rows = f.mttr ?? [];
  return html`<div class="chart-card time-card" data-time-card="views"><h3>Time to fix</h3>
<p data-reopened="${String(f.reopened ?? 0)}"><strong>${count(f.reopened ?? 0)}</strong> ${f.reopened === 1 ? 'error' : 'errors'} reopened in the last ${REOPENED_DAYS} days.</p>
${
  rows.length === 0
    ? html`<p class="empty" data-empty="fixes">No fix observed yet: time to fix counts errors that went from open to fixed.</p>`
    : html`<div class="table-scroll"><table class="data-table mttr-table" data-mttr-table>
<caption>Time from open to fixed, by project, severity and team (the groups with the most fixes)</caption>
<thead><tr><th scope="col">Project</th><th scope="col">Severity</th><th scope="col">Team</th><th scope="col" class="num">Fixes</th><th scope="col" class="num">Median</th><th scope="col" class="num">p90</th></tr></thead>
<tbody>${rows.map(
        (
          r,
        ) => html`<tr data-mttr-row><th scope="row">${o.names.get(r.project_id) ?? r.project_id}</th><td>${r.severity ?? '—'}</td><td>${r.assigned_team_id ?? html`<span class="muted">none</span>`}</td>
<td class="num">${count(r.fixes)}</td><td class="num" data-seconds="${String(r.median_seconds_to_fix ?? '')}">${humanSeconds(r.median_seconds_to_fix)}</td><td class="num" data-seconds="${String(r.p90_seconds_to_fix ?? '')}">${humanSeconds(r.p90_seconds_to_fix)}</td></tr>`,
      )}</tbody></table></div>`
}
</div>`;
}
