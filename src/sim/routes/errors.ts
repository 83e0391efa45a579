import { fail, json } from '../http/reply.js';
import type { Router } from '../http/router.js';
import { scalar } from '../query/params.js';
import { errorWindowStats, eventRange, type ErrorWindowStats } from '../data/counting.js';
import type { ProjectData } from '../data/project.js';
import type { CompiledFilters } from '../query/filters.js';
import { errorView } from '../views/errors.js';
import { errorHistogram, histogramBounds, HISTOGRAMS, type Histogram } from '../data/histogram.js';
import {
  baseOf,
  filtersOf,
  formatBase,
  list,
  nextLink,
  perPage,
  requireError,
  requireProject,
  sortOf,
  type Ctx,
} from './context.js';

/** How deep a sorted errors list may be paged before the API gives up with 422 / code 60000 (docs/bugsnag-api.md §11). */
export const SORTED_OFFSET_LIMIT = 1000;
/** Unsorted pages never cross a shard boundary, so they come out short now and then, as the real ones do. */
export const UNSORTED_SHARD = 64;

const SORTS = ['last_seen', 'first_seen', 'users', 'events', 'unsorted'] as const;
type Sort = (typeof SORTS)[number];

export function errorRoutes(r: Router<Ctx>): void {
  r.add('GET', '/projects/{project_id}/errors', (ctx, p) => {
    const pd = requireProject(ctx, p.project_id);
    const f = filtersOf(ctx, pd);
    const base = baseOf(ctx);
    const sort: Sort = sortOf(ctx, SORTS) ?? 'last_seen';
    const direction = scalar(ctx.query, 'direction') === 'asc' ? 'asc' : 'desc';
    const pp = perPage(ctx, 30, 100);
    const [lo, hi] = eventRange(pd, f, base);
    const render = rowRenderer(ctx, pd, f, lo, hi, base);
    const offsetRaw = scalar(ctx.query, 'offset');
    if (sort === 'unsorted') return unsortedPage(ctx, pd, f, lo, hi, pp, base, offsetRaw, render);
    if (offsetRaw !== undefined && !/^\d+$/.test(offsetRaw)) fail(400, 'Pagination Offset is invalid');
    const offset = offsetRaw === undefined ? 0 : Number(offsetRaw);
    if (offset >= SORTED_OFFSET_LIMIT)
      return json({ errors: ['Unable to return complete results'], code: 60000 }, undefined, 422);
    const rows = sortedStats(ctx, pd, f, lo, hi, sort, direction);
    const page = rows.slice(offset, offset + pp);
    const next =
      offset + pp < rows.length ? nextLink(ctx, { base: formatBase(base), offset: String(offset + pp) }) : null;
    return list(page.map(render), { total: rows.length, next });
  });

  r.add('GET', '/projects/{project_id}/errors/{error_id}', (ctx, p) => {
    const pd = requireProject(ctx, p.project_id);
    const e = requireError(ctx, pd, p.error_id);
    const f = filtersOf(ctx, pd);
    const [lo, hi] = eventRange(pd, f, ctx.sim.defaultBaseSec(ctx.nowMs));
    return json(errorView(pd, ctx.origin, e, errorWindowStats(pd, e, { ...f, hasErrorLevel: false }, lo, hi)));
  });
}

function allStats(ctx: Ctx, pd: ProjectData, f: CompiledFilters, lo: number, hi: number): ErrorWindowStats[] {
  const key = `errstats:${pd.project.gi}:${pd.stateVersion}:${f.key}:${lo}:${hi}:${ctx.token.user}`;
  const hit = ctx.sim.cache.get(key) as ErrorWindowStats[] | undefined;
  if (hit) return hit;
  const out: ErrorWindowStats[] = [];
  for (let e = 0; e < pd.errorCount; e++) {
    const s = errorWindowStats(pd, e, f, lo, hi);
    if (s) out.push(s);
  }
  ctx.sim.cache.set(key, out);
  return out;
}

function sortedStats(
  ctx: Ctx,
  pd: ProjectData,
  f: CompiledFilters,
  lo: number,
  hi: number,
  sort: Sort,
  direction: 'asc' | 'desc',
): ErrorWindowStats[] {
  const key = `errsorted:${pd.project.gi}:${pd.stateVersion}:${f.key}:${lo}:${hi}:${ctx.token.user}:${sort}:${direction}`;
  const hit = ctx.sim.cache.get(key) as ErrorWindowStats[] | undefined;
  if (hit) return hit;
  const keyOf = (s: ErrorWindowStats): number =>
    sort === 'first_seen' ? s.firstSec : sort === 'users' ? s.users : sort === 'events' ? s.events : s.lastSec;
  const sign = direction === 'asc' ? 1 : -1;
  // Ties are broken by error index so pages are stable (the real API's tie order is not documented).
  const rows = [...allStats(ctx, pd, f, lo, hi)].sort((a, b) => sign * (keyOf(a) - keyOf(b)) || a.error - b.error);
  ctx.sim.cache.set(key, rows);
  return rows;
}

function unsortedPage(
  ctx: Ctx,
  pd: ProjectData,
  f: CompiledFilters,
  lo: number,
  hi: number,
  pp: number,
  base: number,
  offsetRaw: string | undefined,
  render: (s: ErrorWindowStats) => Record<string, unknown>,
) {
  let start = 0;
  if (offsetRaw !== undefined) {
    // Unsorted paging has its own opaque cursor; a hand-made number is refused (CORSAIR, live).
    const m = /^u(\d+)$/.exec(Buffer.from(offsetRaw, 'base64url').toString('utf8'));
    if (/^\d+$/.test(offsetRaw) || !m) fail(400, 'Pagination Offset is invalid');
    start = Number(m[1]);
  }
  const count = pd.errorCount;
  const end = Math.min(start + pp, (Math.floor(start / UNSORTED_SHARD) + 1) * UNSORTED_SHARD, count);
  const rows: ErrorWindowStats[] = [];
  for (let e = start; e < end; e++) {
    const s = errorWindowStats(pd, e, f, lo, hi);
    if (s) rows.push(s);
  }
  const total = allStats(ctx, pd, f, lo, hi).length;
  const next =
    end < count
      ? nextLink(ctx, { base: formatBase(base), offset: Buffer.from(`u${end}`).toString('base64url') })
      : null;
  return list(rows.map(render), { total, next });
}

/** List rows, with a `trend` per row when `histogram` asks for one (checked before any row is computed). */
function rowRenderer(ctx: Ctx, pd: ProjectData, f: CompiledFilters, lo: number, hi: number, base: number) {
  const kind = scalar(ctx.query, 'histogram');
  if (kind !== undefined && !(HISTOGRAMS as readonly string[]).includes(kind))
    fail(400, 'histogram is not included in the list');
  const bounds = kind === undefined ? null : histogramBounds(kind as Histogram, f, base);
  return (s: ErrorWindowStats): Record<string, unknown> => {
    const view = errorView(pd, ctx.origin, s.error, s);
    return bounds ? { ...view, trend: errorHistogram(pd, s.error, f, lo, hi, bounds) } : view;
  };
}
