import type { DayCount } from './aggregate.js';

/**
 * Chart series from daily figures: a window of consecutive UTC days ending at the newest day in the data (synced
 * data may be old: a window ending today would show nothing), one series per project (the busiest few; the rest
 * summed as "Other projects" for counts). A day a project has no figure is 0 for counts and a gap for rates.
 */

export interface Series {
  key: string;
  label: string;
  /** One value per day of the window; null: no figure that day. */
  values: Array<number | null>;
}

export interface ChartData {
  days: string[];
  series: Series[];
}

export const WINDOW_DAYS = 30;
export const MAX_SERIES = 6;
export const OTHER_KEY = '_other';

export function dayWindow(rows: readonly DayCount[], days = WINDOW_DAYS): string[] {
  let last = '';
  for (const r of rows) if (r.day > last) last = r.day;
  if (!last) return [];
  const end = Date.parse(`${last}T00:00:00Z`);
  if (Number.isNaN(end)) return [];
  const out: string[] = [];
  for (let i = days - 1; i >= 0; i--) out.push(new Date(end - i * 86_400_000).toISOString().slice(0, 10));
  return out;
}

export function countSeries(rows: readonly DayCount[], names: ReadonlyMap<string, string>): ChartData {
  const days = dayWindow(rows);
  const index = new Map(days.map((d, i) => [d, i]));
  const byProject = new Map<string, number[]>();
  for (const r of rows) {
    const i = index.get(r.day);
    if (i === undefined) continue;
    const values = byProject.get(r.project) ?? new Array<number>(days.length).fill(0);
    values[i] = (values[i] ?? 0) + r.value;
    byProject.set(r.project, values);
  }
  const ranked = [...byProject.entries()].sort((a, b) => total(b[1]) - total(a[1]) || a[0].localeCompare(b[0]));
  const shown = ranked.length > MAX_SERIES ? ranked.slice(0, MAX_SERIES - 1) : ranked;
  const rest = ranked.slice(shown.length);
  const series: Series[] = shown.map(([p, values]) => ({ key: p, label: names.get(p) ?? p, values }));
  if (rest.length) {
    const values = new Array<number>(days.length).fill(0);
    for (const [, v] of rest) v.forEach((n, i) => (values[i] = (values[i] ?? 0) + n));
    series.push({ key: OTHER_KEY, label: `Other projects (${rest.length})`, values });
  }
  return { days, series };
}

export function rateSeries(rows: readonly DayCount[], names: ReadonlyMap<string, string>): ChartData {
  const days = dayWindow(rows);
  const index = new Map(days.map((d, i) => [d, i]));
  const byProject = new Map<string, Array<number | null>>();
  for (const r of rows) {
    const i = index.get(r.day);
    if (i === undefined) continue;
    const values = byProject.get(r.project) ?? new Array<number | null>(days.length).fill(null);
    values[i] = r.value;
    byProject.set(r.project, values);
  }
  const series = [...byProject.entries()]
    .map(([p, values]) => ({ key: p, label: names.get(p) ?? p, values }))
    .sort((a, b) => a.label.localeCompare(b.label))
    .slice(0, MAX_SERIES);
  return { days, series };
}

function total(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
