import type { FastifyInstance } from 'fastify';
import { toSnagError } from '../../core/errors.js';
import type { Source } from '../../store/models.js';
import { lineChart } from '../components/charts.js';
import { csrfInput } from '../components/form.js';
import { count } from '../components/status.js';
import { timeElement } from '../components/time.js';
import { html, type SafeHtml } from '../html.js';
import { destinationFigures, type DestinationFigures } from '../overview/aggregate.js';
import { countSeries, rateSeries, type ChartData } from '../overview/series.js';
import { timeFigures, type TimeFigures } from '../overview/time-to-fix.js';
import { REOPENED_DAYS, timeToFixCard } from '../components/time-to-fix.js';
import { pageHeading, type PageContext } from './layout.js';
import { sendPage } from './respond.js';
import { displayDestinationUrl } from '../../destinations/url.js';

/**
 * The Overview: charts of the synced data, per destination (sources that share one are charted together) — events
 * per day per project, and the stability trend (crash-free sessions). Without sources, or before the first sync,
 * it says what to do next instead.
 */

interface DestinationView {
  destination: string;
  sources: Source[];
  figures: DestinationFigures | null;
  error: string | null;
  /** Time to fix and reopened errors (the analytics views); null when the destination could not be read. */
  time: TimeFigures | null;
}

export function registerOverviewPage(app: FastifyInstance): void {
  app.get('/', async (request, reply) => {
    const { store } = app.snag.runtime;
    const sources = await store.sources.list();
    const credentials = await store.credentials.list();
    const byDestination = new Map<string, Source[]>();
    for (const s of sources) byDestination.set(s.destination, [...(byDestination.get(s.destination) ?? []), s]);
    const views: DestinationView[] = [];
    const since = new Date(app.snag.now() - REOPENED_DAYS * 86_400_000).toISOString();
    for (const [destination, list] of byDestination) {
      try {
        const figures = await destinationFigures(destination);
        // The card about time is extra: a view that cannot be read leaves the charts shown.
        const time = await timeFigures(destination, since).catch(() => null);
        views.push({ destination, sources: list, figures, error: null, time });
      } catch (err) {
        views.push({ destination, sources: list, figures: null, error: toSnagError(err).message, time: null });
      }
    }
    const lastRun = (await store.runs.list({ limit: 1 }))[0] ?? null;
    return sendPage(request, reply, {
      title: 'Overview',
      active: 'overview',
      body: (ctx) => html`<section aria-labelledby="page-title" class="overview">
<div class="page-head">${pageHeading('Overview')}${sources.length && ctx.can('sources:write') ? html`<a class="button" href="/sources/new">New source</a>` : ''}</div>
${
  sources.length === 0
    ? emptyState(credentials.length)
    : html`<p class="lede">From the data your sources have synced: ${count(sources.length)} ${sources.length === 1 ? 'source' : 'sources'}${lastRun ? html`, last sync ${timeElement(lastRun.started_at, ctx.now)} (<a href="/runs/${lastRun.id}">${lastRun.status}</a>)` : ', none synced yet'}.</p>
${views.map((v, i) => destinationSection(ctx, v, i))}`
}
</section>`,
    });
  });
}

function emptyState(credentialCount: number): SafeHtml {
  return html`<div class="empty-state" data-empty="overview">
<h2>Nothing to chart yet</h2>
<p>The charts show events per day per project and the crash-free sessions trend, from the data snagsync syncs out of Bugsnag into your own database.</p>
<ol class="next-steps">
<li${credentialCount ? html` class="done"` : ''}>${credentialCount ? 'A credential is there.' : html`<a href="/credentials">Add a credential</a>: a Bugsnag Personal Auth Token.`}</li>
<li><a href="/sources/new">Create a source</a>: pick the credential, the projects and the streams.</li>
<li>Run it, and come back here.</li>
</ol>
<p><a class="button primary" href="/sources/new">Create a source</a></p>
</div>`;
}

function destinationSection(ctx: PageContext, v: DestinationView, index: number): SafeHtml {
  const f = v.figures;
  const neverRun = v.sources.every((s) => s.last_run_id === null);
  const names = f?.projectNames ?? new Map<string, string>();
  const events = f?.events?.length ? countSeries(f.events, names) : null;
  const stability = f?.stability?.length ? rateSeries(f.stability, names) : null;
  return html`<section class="destination-charts" aria-labelledby="dest-${index}-title" data-destination="${displayDestinationUrl(v.destination)}">
<h2 id="dest-${index}-title">Synced into <code>${displayDestinationUrl(v.destination)}</code></h2>
<p class="muted">By ${v.sources.map((s, i) => html`${i ? ', ' : ''}<a href="/sources/${s.id}">${s.name}</a>`)}.</p>
${v.error ? html`<div class="warning" role="note"><p><strong>This destination could not be read:</strong> ${v.error}</p></div>` : ''}
${(f?.notes ?? []).map((n) => html`<p class="warning" role="note">${n}</p>`)}
${!v.error && !events && !stability ? noData(ctx, v.sources, neverRun) : ''}
<div class="charts">
${
  events
    ? html`<div class="chart-card"><h3>Events per day</h3>${lineChart({
        id: `events-${index}`,
        title: 'Events per day per project',
        description: describeCounts(events),
        data: events,
        format: (n) => `${count(n)} ${n === 1 ? 'event' : 'events'}`,
        axisFormat: (n) => count(Math.round(n)),
        tableCaption: 'Events per day per project',
      })}</div>`
    : f && !v.error && stability
      ? html`<div class="chart-card"><h3>Events per day</h3><p class="empty">No events synced into this destination: the events stream is not among the sources' streams, or has not run.</p></div>`
      : ''
}
${
  stability
    ? html`<div class="chart-card"><h3>Stability trend</h3>${lineChart({
        id: `stability-${index}`,
        title: 'Crash-free sessions per day per project',
        description: describeRates(stability),
        data: stability,
        format: (r) => percent(r, 2),
        axisFormat: (r) => percent(r, 1),
        yMin: rateFloor(stability),
        yMax: 1,
        tableCaption: 'Crash-free sessions per day per project (1 − unhandled rate)',
      })}</div>`
    : events && !v.error
      ? html`<div class="chart-card"><h3>Stability trend</h3><p class="empty">No stability figures synced: add the stability_trend stream to the source (Bugsnag keeps them for 30 days, for projects that send sessions).</p></div>`
      : ''
}
${neverRun ? '' : timeToFixCard(v.time, { sources: v.sources, csrf: ctx.csrf ?? '', names, canCreate: ctx.can('sources:write') })}
</div>
</section>`;
}

function noData(ctx: PageContext, sources: readonly Source[], neverRun: boolean): SafeHtml {
  return html`<div class="empty-state" data-empty="no-data"><p><strong>${neverRun ? 'Not synced yet.' : 'No events or stability figures here yet.'}</strong> ${neverRun ? 'Run the source to get its data, then come back.' : 'Check that the source syncs the events and stability_trend streams.'}</p>
<div class="row-actions">${(ctx.can('runs:start') ? sources : []).map(
    (s) =>
      html`<form method="post" action="/sources/${s.id}/run" class="inline-form" data-enhance>${csrfInput(ctx.csrf ?? '')}<button type="submit" class="button primary" data-busy-label="Starting…">Run ${s.name} now</button></form>`,
  )}</div></div>`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function percent(r: number, digits: number): string {
  return `${(r * 100).toFixed(digits)} %`;
}

/** Crash-free rates live near 100 %: start the axis a little below the lowest one so differences show. */
function rateFloor(data: ChartData): number {
  const values = data.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const lowest = Math.min(1, ...values);
  return Math.max(0, Math.floor((lowest - 0.005) * 100) / 100);
}

function describeCounts(d: ChartData): string {
  let total = 0;
  let best = { v: -1, day: '', label: '' };
  for (const s of d.series) {
    s.values.forEach((v, i) => {
      total += v ?? 0;
      if ((v ?? 0) > best.v) best = { v: v ?? 0, day: d.days[i]!, label: s.label };
    });
  }
  return `Events per day from ${d.days[0]} to ${d.days[d.days.length - 1]} for ${plural(d.series.length, 'project')} (${d.series.map((s) => s.label).join(', ')}): ${count(total)} events in all. The busiest day was ${best.day}, with ${count(best.v)} events in ${best.label}.`;
}

function describeRates(d: ChartData): string {
  let worst = { v: 2, day: '', label: '' };
  for (const s of d.series) {
    s.values.forEach((v, i) => {
      if (v !== null && v < worst.v) worst = { v, day: d.days[i]!, label: s.label };
    });
  }
  const latest = d.series
    .map((s) => {
      const last = [...s.values].reverse().find((v) => v !== null);
      return last === undefined || last === null ? null : `${s.label} ${percent(last, 2)}`;
    })
    .filter(Boolean)
    .join(', ');
  return `Crash-free sessions per day from ${d.days[0]} to ${d.days[d.days.length - 1]} for ${plural(d.series.length, 'project')}. Lowest: ${worst.label} on ${worst.day} at ${percent(worst.v, 2)}. Latest: ${latest}.`;
}
