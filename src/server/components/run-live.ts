import { formatDuration } from '../../core/time.js';
import { attrs, html, type SafeHtml } from '../html.js';
import type { LiveState, LiveStream } from '../runs/live-state.js';
import { count, partitionLabel } from './status.js';
import { webAdvice } from '../runs/advice.js';

/**
 * The live view of a running sync: a status line ("waiting 12 s for the rate limit"), running totals, a row per
 * stream and partition with a `<progress>` (the estimate from X-Total-Count, indeterminate without one), and the
 * warnings and errors as they come. Rendered from the events so far; app.js keeps it current from the SSE stream
 * (`data-events-url`, resuming after `data-last-seq`) and, at `run-done`, swaps in the finished run's page. The
 * markup of a row is repeated in app.js (`streamRow`): change both together.
 */

export function liveRun(runId: string, state: LiveState, now = Date.now()): SafeHtml {
  const waits = runningWaits(state, now);
  return html`<section class="live-run" aria-labelledby="live-title" data-live-run data-run-id="${runId}" data-events-url="/api/runs/${runId}/events" data-last-seq="${state.lastSeq}" data-status="${state.status}" data-applied="0"${attrs({ 'data-waits': waits.size ? JSON.stringify(Object.fromEntries(waits)) : null })}>
<h2 id="live-title">Progress</h2>
<p class="live-status" data-live-status aria-live="polite">${statusLine(state, waits)}</p>
<dl class="live-totals">
<div><dt>Records read</dt><dd data-total="records">${count(state.recordsRead)}</dd></div>
<div><dt>Pages</dt><dd data-total="pages">${count(state.pages)}</dd></div>
<div><dt>Rate-limit waits</dt><dd data-total="waits">${count(state.waits)}${state.waitMs ? ` (${formatDuration(state.waitMs)})` : ''}</dd></div>
<div><dt>Retries</dt><dd data-total="retries">${count(state.retries)}</dd></div>
</dl>
<div class="table-scroll"><table class="data-table responsive live-streams">
<caption class="visually-hidden">Progress per stream and partition</caption>
<thead><tr><th scope="col">Stream</th><th scope="col">Partition</th><th scope="col" class="num">Records</th><th scope="col">Progress</th><th scope="col" class="num">Pages</th><th scope="col">State</th></tr></thead>
<tbody data-live-streams>${state.streams.map((r) => streamRow(r, waits.get(r.key)))}</tbody>
</table></div>
<div class="live-log">
<h3>Warnings and errors</h3>
<ul class="event-list" data-live-problems>${state.warnings.map((w) => html`<li class="warning-item" data-kind="warning"><strong>${w.stream}</strong>${w.partition ? html` <span class="muted">${partitionLabel(w.partition, state.labels[w.partition])}</span>` : ''}: ${w.message}</li>`)}${state.errors.map(
    (e) =>
      html`<li class="error-item" data-kind="error"><strong>${e.stream}</strong> <span class="muted">${partitionLabel(e.partition, state.labels[e.partition])}</span>: ${e.message}${webAdvice(e.error?.hint) ? html` <span class="error-hint">${webAdvice(e.error?.hint)}</span>` : ''}</li>`,
  )}</ul>
<p class="muted" data-live-problems-empty${attrs({ hidden: state.warnings.length + state.errors.length > 0 })}>None so far.</p>
</div>
</section>`;
}

/** The rate-limit waits still running (stream and partition → ms left): app.js goes on counting them down. */
function runningWaits(s: LiveState, now: number): Map<string, number> {
  if (s.status !== 'running') return new Map();
  return new Map(
    Object.entries(s.waitingUntil ?? {})
      .filter(([, until]) => until - now >= 1000)
      .map(([key, until]) => [key, until - now]),
  );
}

/** The same words as app.js's `showWaits`. */
function statusLine(s: LiveState, waits: Map<string, number>): string {
  const plan = s.plan
    ? ` ${s.plan.organizations} ${s.plan.organizations === 1 ? 'organization' : 'organizations'}, ${s.plan.projects} ${s.plan.projects === 1 ? 'project' : 'projects'}.`
    : '';
  if (s.status !== 'running') return `Finished: ${s.status}.`;
  if (waits.size) {
    const who = waits.size > 1 ? ` (${waits.size} streams or partitions waiting)` : '';
    return `Waiting ${Math.ceil(Math.max(...waits.values()) / 1000)} s for the rate limit${who}.${plan}`;
  }
  return `Syncing… ${count(s.recordsRead)} records read so far.${plan}`;
}

export function stateText(r: LiveStream): string {
  if (r.outcome === 'ok') return '✓ done';
  if (r.outcome === 'skipped') return `skipped${r.message ? `: ${r.message}` : ''}`;
  if (r.outcome === 'failed') return `✕ failed${r.message ? `: ${r.message}` : ''}`;
  return r.phase ?? (r.resumed ? 'resuming' : 'reading');
}

function streamRow(r: LiveStream, waitMs: number | undefined): SafeHtml {
  const waiting = waitMs !== undefined && r.outcome === null;
  const label = `${r.stream}, ${partitionLabel(r.partition, r.label)}`;
  const done = r.outcome !== null;
  const max = done ? Math.max(1, r.recordsRead) : r.estimate !== null ? Math.max(r.estimate, r.recordsRead, 1) : null;
  const value = done ? Math.max(1, r.recordsRead) : max !== null ? r.recordsRead : null;
  return html`<tr data-key="${r.key}" data-outcome="${r.outcome ?? ''}" data-partition="${r.partition}"${attrs({ 'data-partition-label': r.label, 'data-base-state': waiting ? stateText(r) : null })}>
<th scope="row" data-label="Stream">${r.stream}</th>
<td data-label="Partition">${partitionLabel(r.partition, r.label)}</td>
<td data-label="Records" class="num" data-cell="records">${count(r.recordsRead)}</td>
<td data-label="Progress" data-cell="progress"><progress${attrs({ max, value, 'aria-label': label })}>${max !== null ? `${r.recordsRead} of about ${max}` : 'reading'}</progress>${r.estimate !== null && !done ? html`<span class="muted estimate"> of ~${count(r.estimate)}</span>` : ''}</td>
<td data-label="Pages" class="num" data-cell="pages">${count(r.pages)}</td>
<td data-label="State" data-cell="state">${waiting ? `waiting ${Math.ceil(waitMs / 1000)} s for the rate limit` : stateText(r)}</td>
</tr>`;
}
