import { isoZ } from '../format.js';
import type { CompiledFilters } from '../query/filters.js';
import { countMatching, residueMask } from './counting.js';
import type { ProjectData } from './project.js';

/**
 * The errors list's `histogram` option ([OAS26]: "adds trend data to each error"): a `trend` of `[bucket start,
 * matching events]` pairs per row. The spec names the kinds but not their buckets, so the simulator decides:
 *   - `two_week`: the 14 UTC days up to `base` (or `event.before`);
 *   - `dynamic`: the filter's time window (the last 30 days without `event.since`) in the finest of a few widths
 *     (1 h … 30 d) that needs at most 60 buckets.
 * Bucket starts are written like trend buckets (`2017-12-12T10:00:00Z`). Counts use the row's filters, so with
 * `event.since` a `dynamic` trend adds up to the row's `events`.
 */
export const HISTOGRAMS = ['dynamic', 'two_week'] as const;
export type Histogram = (typeof HISTOGRAMS)[number];

const HOUR = 3600;
const DAY = 86_400;
const WIDTHS = [HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 7 * DAY, 30 * DAY];
const MAX_BUCKETS = 60;

/** Bucket bounds in seconds (n buckets → n + 1 bounds), the same for every row of one list. */
export function histogramBounds(kind: Histogram, f: CompiledFilters, baseSec: number): number[] {
  const upper = Math.min(f.before ?? baseSec, baseSec);
  if (kind === 'two_week') {
    const lastDay = Math.floor((upper - 1) / DAY) * DAY;
    return Array.from({ length: 15 }, (_, j) => lastDay + (j - 13) * DAY);
  }
  const from = f.since ?? upper - 30 * DAY;
  if (from >= upper) return [];
  const fits = (w: number) => Math.floor((upper - 1) / w) - Math.floor(from / w) + 1 <= MAX_BUCKETS;
  const width = WIDTHS.find(fits) ?? WIDTHS[WIDTHS.length - 1]!;
  const bounds: number[] = [];
  for (let t = Math.floor(from / width) * width; t < upper; t += width) bounds.push(t);
  bounds.push(bounds[bounds.length - 1]! + width);
  return bounds;
}

/** Per bucket, the error's events that pass the filters inside the list's index range [lo, hi). */
export function errorHistogram(
  pd: ProjectData,
  e: number,
  f: CompiledFilters,
  lo: number,
  hi: number,
  bounds: number[],
): Array<[string, number]> {
  const period = pd.errorSeed(e).period;
  const mask = residueMask(pd, e, f);
  const out: Array<[string, number]> = [];
  for (let j = 0; j + 1 < bounds.length; j++) {
    const a = Math.max(lo, pd.indexAt(bounds[j]!));
    const b = Math.min(hi, pd.indexAt(bounds[j + 1]!));
    const n = b > a ? countMatching(pd.occurrencesBelow(e, a), pd.occurrencesBelow(e, b), period, mask) : 0;
    out.push([isoZ(bounds[j]!), n]);
  }
  return out;
}
