import type { DataSource } from '../api/data-source-resource.js';
import type { Can } from '../can.js';
import { attrs, classes, html, type SafeHtml } from '../html.js';
import { csrfInput } from './form.js';
import { count, runStatusBadge, sourceStatusBadge } from './status.js';
import { timeElement } from './time.js';
import { displayDestinationUrl } from '../../destinations/url.js';

/**
 * One source in the Sources list: status, credential, destination, last run (status, when, records), next run, and
 * its actions — run now (or the live run), pause or resume, edit, delete. Every action is a link or a plain form;
 * app.js sends the forms by fetch and swaps the row in place.
 */

export const sourceRowId = (id: string) => `source-${id}`;

export interface SourceRowOptions {
  now: number;
  csrf: string;
  selected?: boolean;
  schedulerOn: boolean;
  /** Where the row is shown: after a delete from the list the row goes away; from the source's page, back to the list. */
  context?: 'list' | 'page';
  /** What the viewer may do: actions they may not use are left out. Default: everything. */
  can?: Can;
}

export function sourceRow(s: DataSource, o: SourceRowOptions): SafeHtml {
  const id = sourceRowId(s.id);
  const name = html`<span class="visually-hidden"> ${s.name}</span>`;
  const status = s.status === 'ACTIVE' ? 'active' : s.status === 'PAUSED' ? 'paused' : 'disabled';
  return html`<tr id="${id}" tabindex="-1" data-source-id="${s.id}"${attrs({ class: classes(o.selected && 'is-selected') || null, 'data-selected': o.selected ? 'true' : null })}>
<th scope="row" data-label="Source"><a href="/sources/${s.id}" class="source-name">${s.name}</a>${s.description ? html`<span class="muted source-description">${s.description}</span>` : ''}</th>
<td data-label="Status">${sourceStatusBadge(status)}${s.status_reason ? html`<span class="muted reason">${s.status_reason}</span>` : ''}</td>
<td data-label="Credential">${s.data_credentials ? html`<a href="/credentials?selected=${s.data_credentials.id}#cred-${s.data_credentials.id}">${s.data_credentials.name}</a>` : html`<span class="muted">none</span>`}</td>
<td data-label="Destination"><code class="destination">${displayDestinationUrl(s.destination)}</code></td>
<td data-label="Last run">${lastRun(s, o.now)}</td>
<td data-label="Next run">${nextRun(s, o)}</td>
<td data-label="Actions"><div class="row-actions">${actions(s, o, name)}</div></td>
</tr>`;
}

function lastRun(s: DataSource, now: number): SafeHtml {
  const r = s.last_run;
  if (!r) return html`<span class="muted">never run</span>`;
  return html`<a href="/runs/${r.id}" class="last-run">${runStatusBadge(r.status)}</a> ${timeElement(r.started_at, now)}<span class="muted last-run-records">${count(r.records_read)} records</span>${lastError(r)}`;
}

/** The last run's error, inline (what happened; the run's page says what to do), when it failed. */
function lastError(r: NonNullable<DataSource['last_run']>): SafeHtml | '' {
  if (!r.error || (r.status !== 'failed' && r.status !== 'partial')) return '';
  const text = r.error.message.length > 200 ? `${r.error.message.slice(0, 199)}…` : r.error.message;
  return html`<span class="row-error" data-last-error>${text}</span>`;
}

function nextRun(s: DataSource, o: SourceRowOptions): SafeHtml | string {
  if (!s.poll_schedule) return html`<span class="muted">on demand</span>`;
  if (s.status !== 'ACTIVE')
    return html`<span class="muted">${s.poll_schedule} — ${s.status === 'PAUSED' ? 'paused' : 'disabled'}</span>`;
  if (!o.schedulerOn) return html`<span class="muted">${s.poll_schedule} — the scheduler is off</span>`;
  return html`${s.poll_schedule}${s.next_run_at ? html`<span class="next-run">${Date.parse(s.next_run_at) <= o.now ? 'due now' : html`next ${futureTime(s.next_run_at, o.now)}`}</span>` : ''}`;
}

function futureTime(iso: string, now: number): SafeHtml {
  const s = Math.round((Date.parse(iso) - now) / 1000);
  const text =
    s < 90
      ? 'in a minute'
      : s < 5400
        ? `in ${Math.round(s / 60)} minutes`
        : s < 86400 * 2
          ? `in ${Math.round(s / 3600)} hours`
          : `in ${Math.round(s / 86400)} days`;
  return html`<time datetime="${iso}">${text}</time>`;
}

function actions(s: DataSource, o: SourceRowOptions, name: SafeHtml): SafeHtml {
  const id = sourceRowId(s.id);
  const may = o.can ?? (() => true);
  const post = (path: string, label: SafeHtml, busy: string, cls = 'button') =>
    html`<form method="post" action="/sources/${s.id}/${path}" class="inline-form" data-enhance>${csrfInput(o.csrf)}${o.context === 'page' ? html`<input type="hidden" name="return_to" value="/sources/${s.id}">` : ''}<button type="submit" id="${id}-${path}" class="${cls}" data-busy-label="${busy}">${label}</button></form>`;
  return html`${
    s.live_run_id
      ? html`<a class="button primary" href="/runs/${s.live_run_id}">Watch the run${name}</a>`
      : s.status === 'DISABLED' || !may('runs:start')
        ? ''
        : post('run', html`Run now${name}`, 'Starting…', 'button primary')
  }
${
  may('sources:write')
    ? html`${s.status === 'ACTIVE' ? post('pause', html`Pause${name}`, 'Pausing…') : s.status === 'PAUSED' ? post('resume', html`Resume${name}`, 'Resuming…') : ''}
<a class="button" href="/sources/${s.id}/edit">Edit${name}</a>
<a class="button danger" href="/sources/${s.id}/delete${o.context === 'page' ? '' : '?from=list'}" data-dialog>Delete${name}</a>`
    : ''
}`;
}
