import { attrs, html, type SafeHtml } from '../html.js';
import type { ChartData } from '../overview/series.js';

/**
 * A line chart as inline SVG, drawn on the server: no chart library, no script, no inline style (colours and dash
 * patterns come from classes in app.css, so series differ by more than colour). Accessible as an image with a
 * title and a description that says what the chart shows, and with the same figures as a table underneath.
 */

export interface LineChartOptions {
  id: string;
  title: string;
  /** One or two sentences: what a reader without the picture should know. */
  description: string;
  data: ChartData;
  /** For tooltips and the table (`12 events`, `99.1 %`). */
  format: (v: number) => string;
  /** For the y axis ticks. */
  axisFormat: (v: number) => string;
  /** Fixed lower bound (rates); default 0. */
  yMin?: number;
  /** Fixed upper bound; default a round number above the largest value. */
  yMax?: number;
  tableCaption: string;
}

const W = 760;
const H = 280;
const M = { left: 64, right: 16, top: 16, bottom: 40 };
/** About this many steps on the y axis. */
const TICKS = 4;

export function lineChart(o: LineChartOptions): SafeHtml {
  const { days, series } = o.data;
  const values = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const lowest = o.yMin ?? 0;
  const step = niceStep(((o.yMax ?? Math.max(1, ...values)) - lowest) / TICKS, o.yMax === undefined);
  const min = lowest;
  const max = o.yMax ?? Math.max(step, Math.ceil(Math.max(1, ...values) / step) * step);
  const span = max - min || 1;
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const x = (i: number) => M.left + (days.length > 1 ? (i * plotW) / (days.length - 1) : plotW / 2);
  const y = (v: number) => M.top + (1 - (Math.min(max, Math.max(min, v)) - min) / span) * plotH;
  const r2 = (n: number) => Math.round(n * 100) / 100;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step - 1e-9) * step; t <= max + step / 1000; t += step)
    ticks.push(Math.round(t / step) * step || 0); // `|| 0`: no "-0" label
  const labelEvery = Math.max(1, Math.ceil(days.length / 8));
  // Every labelEvery-th day, and the last one — unless it would sit on top of the one before.
  const labelled = (i: number) =>
    i === days.length - 1 || (i % labelEvery === 0 && days.length - 1 - i >= labelEvery / 2);
  // Axis labels go in a second SVG laid over the chart, without a viewBox: placed in percentages of the same box, they
  // keep their CSS size in pixels however narrow the chart is drawn (text in the scaled SVG shrank to ~5 px on a phone).
  const pct = (v: number, of: number) => `${r2((v / of) * 100)}%`;
  return html`<figure class="chart-figure" data-chart="${o.id}" data-series-count="${series.length}" data-days="${days.length}">
<div class="chart-plot">
<svg class="chart" viewBox="0 0 ${W} ${H}" role="img"${attrs({ 'aria-labelledby': `${o.id}-title ${o.id}-desc`, preserveAspectRatio: 'xMidYMid meet' })} focusable="false">
<title id="${o.id}-title">${o.title}</title>
<desc id="${o.id}-desc">${o.description}</desc>
<g class="chart-grid" aria-hidden="true">${ticks.map(
    (t) => html`<line x1="${M.left}" x2="${W - M.right}" y1="${r2(y(t))}" y2="${r2(y(t))}"></line>`,
  )}</g>
${series.map(
  (s, si) => html`<g class="${`chart-series series-${si}`}" data-series="${s.key}">
<path d="${pathOf(s.values, x, y)}"></path>
${s.values.map((v, i) => (v === null ? '' : html`<circle cx="${r2(x(i))}" cy="${r2(y(v))}" r="3" data-day="${days[i]!}" data-value="${v}"><title>${s.label}, ${days[i]!}: ${o.format(v)}</title></circle>`))}
</g>`,
)}
</svg>
<svg class="chart-labels" aria-hidden="true" focusable="false">${ticks.map(
    (t) =>
      html`<text class="chart-tick" x="${pct(M.left - 8, W)}" y="${pct(y(t), H)}" dy="0.35em" text-anchor="end">${o.axisFormat(t)}</text>`,
  )}${days.map((d, i) =>
    labelled(i)
      ? html`<text class="chart-tick" x="${pct(x(i), W)}" y="${pct(H - M.bottom, H)}" dy="1.4em" text-anchor="middle">${d.slice(5)}</text>`
      : '',
  )}</svg>
</div>
<figcaption>
<ul class="legend" aria-label="Legend">${series.map(
    (s, si) =>
      html`<li><svg class="legend-swatch" viewBox="0 0 28 10" aria-hidden="true" focusable="false"><g class="${`chart-series series-${si}`}"><path d="M1 5 H27"></path></g></svg> ${s.label}</li>`,
  )}</ul>
<details class="chart-data"><summary>The figures as a table</summary>
<div class="table-scroll" tabindex="0" role="region" aria-label="${o.tableCaption}"><table class="data-table chart-table" data-chart-table="${o.id}">
<caption>${o.tableCaption}</caption>
<thead><tr><th scope="col">Day</th>${series.map((s) => html`<th scope="col" data-series="${s.key}">${s.label}</th>`)}</tr></thead>
<tbody>${days.map(
    (d, i) =>
      html`<tr data-day="${d}"><th scope="row">${d}</th>${series.map((s) => {
        const v = s.values[i];
        return html`<td class="num"${attrs({ 'data-value': v ?? null })}>${v === null || v === undefined ? '–' : o.format(v)}</td>`;
      })}</tr>`,
  )}</tbody>
</table></div></details>
</figcaption>
</figure>`;
}

function pathOf(values: ReadonlyArray<number | null>, x: (i: number) => number, y: (v: number) => number): string {
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v === null) {
      pen = false;
      return;
    }
    d += `${pen ? 'L' : 'M'}${Math.round(x(i) * 100) / 100} ${Math.round(y(v) * 100) / 100} `;
    pen = true;
  });
  return d.trim();
}

/** A tick step of 1, 2 or 5 × 10^k at or above `raw` (whole numbers for counts): axis labels people can read. */
export function niceStep(raw: number, whole: boolean): number {
  const v = Math.max(raw, whole ? 1 : 1e-6);
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v - 1e-12) return m * p;
  return 10 * p;
}
