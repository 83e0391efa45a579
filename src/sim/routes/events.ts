import { fail, json, type Reply } from '../http/reply.js';
import type { Router } from '../http/router.js';
import { isHash, scalar } from '../query/params.js';
import { parseTimestamp } from '../../core/time.js';
import { countEvents, eventMatcher, eventRange } from '../data/counting.js';
import type { ProjectData } from '../data/project.js';
import type { CompiledFilters } from '../query/filters.js';
import { eventFull, eventSummary } from '../views/events.js';
import { isoZ } from '../format.js';
import {
  baseOf,
  filtersOf,
  list,
  nextLink,
  perPage,
  requireError,
  requireErrorAnywhere,
  requireProject,
  sortOf,
  type Ctx,
} from './context.js';

/** Events pages are capped at 30 rows ([APIB]); larger per_page values are clamped, not refused (unverified live). */
export const EVENTS_MAX_PER_PAGE = 30;
/**
 * With selective filters, a page stops after scanning this many candidate events (at a whole second) and links on:
 * the cost of a request stays bounded whatever the data size, at the price of short pages for rare matches.
 */
const SCAN_BUDGET = 50_000;

export function eventRoutes(r: Router<Ctx>): void {
  r.add('GET', '/projects/{project_id}/events', (ctx, p) => eventsPage(ctx, requireProject(ctx, p.project_id), null));

  r.add('GET', '/projects/{project_id}/errors/{error_id}/events', (ctx, p) => {
    const pd = requireProject(ctx, p.project_id);
    return eventsPage(ctx, pd, requireError(ctx, pd, p.error_id));
  });

  r.add('GET', '/projects/{project_id}/events/{event_id}', (ctx, p) => {
    const pd = requireProject(ctx, p.project_id);
    const i = pd.eventIndex(p.event_id ?? '');
    if (i === null || i >= visibleEnd(ctx, pd)) fail(404, 'Event not found');
    return json(eventFull(pd, ctx.origin, i));
  });

  // Event rows link to `/events/{id}` (as recorded in 2017); answer there too rather than leave the link dangling.
  r.add('GET', '/events/{event_id}', (ctx, p) => {
    const d = ctx.sim.world.ids.decodeAs('event', p.event_id ?? '');
    if (!d || !ctx.sim.world.canSeeProject(ctx.token, d.parent)) fail(404, 'Event not found');
    const pd = ctx.sim.project(d.parent);
    const i = pd.eventIndex(p.event_id!);
    if (i === null || i >= visibleEnd(ctx, pd)) fail(404, 'Event not found');
    return json(eventFull(pd, ctx.origin, i));
  });

  r.add('GET', '/errors/{error_id}/latest_event', (ctx, p) => {
    const { pd, e } = requireErrorAnywhere(ctx, p.error_id);
    const end = visibleEnd(ctx, pd);
    const k = pd.occurrencesBelow(e, end);
    if (k === 0) fail(404, 'Event not found');
    return json(eventFull(pd, ctx.origin, pd.occurrenceIndex(e, k - 1)));
  });
}

/** Events stamped a little ahead of the clock (state.ts) are not visible until a list would show them. */
function visibleEnd(ctx: Ctx, pd: ProjectData): number {
  return pd.indexAt(ctx.sim.defaultBaseSec(ctx.nowMs));
}

/**
 * One page of an events list. The cursor is the recorded 2017 shape: `base` plus `offset[count]` (rows served so far),
 * `offset[timestamp]` (the next page holds events at or before this second, or at or after it with direction=asc)
 * and `offset[total_count]`. Pages end on a whole second, so a burst of events in one second makes a page longer
 * than per_page, exactly like the recorded 63-row page.
 */
function eventsPage(ctx: Ctx, pd: ProjectData, onlyError: number | null): Reply {
  sortOf(ctx, ['timestamp']); // the only order events have ([APIB], [OAS25])
  const f = filtersOf(ctx, pd);
  const base = baseOf(ctx);
  const full = scalar(ctx.query, 'full_reports') === 'true';
  const asc = scalar(ctx.query, 'direction') === 'asc';
  const pp = perPage(ctx, 30, EVENTS_MAX_PER_PAGE);
  const [walkLo, walkHi] = eventRange(pd, f, base);
  let lo = walkLo;
  let hi = walkHi;
  let served = 0;
  let total: number | undefined;
  const off = ctx.query.offset;
  if (off !== undefined) {
    if (!isHash(off) || typeof off.timestamp !== 'string') fail(400, 'Pagination Offset is invalid');
    const ts = parseTimestamp(off.timestamp);
    if (!ts) fail(400, 'Pagination Offset is invalid');
    const sec = Math.floor(ts.getTime() / 1000);
    if (asc) lo = Math.max(lo, pd.indexAt(sec));
    else hi = Math.min(hi, pd.indexAt(sec + 1));
    served = typeof off.count === 'string' && /^\d+$/.test(off.count) ? Number(off.count) : 0;
    if (typeof off.total_count === 'string' && /^\d+$/.test(off.total_count)) total = Number(off.total_count);
  }
  total ??= cachedCount(ctx, pd, f, walkLo, walkHi, onlyError);

  const rows: number[] = [];
  const match = eventMatcher(pd, f, onlyError);
  const next = candidates(pd, lo, hi, asc, onlyError);
  let lastSec: number | null = null;
  let scanned = 0;
  let exhausted = true;
  for (let i = next(); i >= 0; i = next()) {
    const sec = pd.timeOf(i);
    if (lastSec !== null && sec !== lastSec && (rows.length >= pp || scanned >= SCAN_BUDGET)) {
      exhausted = false;
      break;
    }
    lastSec = sec;
    scanned++;
    if (match(i)) rows.push(i);
  }
  const link =
    exhausted || lastSec === null
      ? null
      : nextLink(ctx, {
          base: isoZ(base),
          offset: {
            count: String(served + rows.length),
            timestamp: isoZ(asc ? lastSec + 1 : lastSec - 1),
            total_count: String(total),
          },
        });
  const render = full ? eventFull : eventSummary;
  return list(
    rows.map((i) => render(pd, ctx.origin, i)),
    { total, next: link },
  );
}

function cachedCount(
  ctx: Ctx,
  pd: ProjectData,
  f: CompiledFilters,
  lo: number,
  hi: number,
  onlyError: number | null,
): number {
  const key = `evcount:${pd.project.gi}:${pd.stateVersion}:${f.key}:${lo}:${hi}:${onlyError}:${ctx.token.user}`;
  const hit = ctx.sim.cache.get(key) as number | undefined;
  if (hit !== undefined) return hit;
  const n = countEvents(pd, f, lo, hi, onlyError ?? undefined);
  ctx.sim.cache.set(key, n);
  return n;
}

/** Candidate event indexes in page order: every event of the project, or only one error's occurrences. */
function candidates(pd: ProjectData, lo: number, hi: number, asc: boolean, onlyError: number | null): () => number {
  if (onlyError === null) {
    let i = asc ? lo : hi - 1;
    return asc ? () => (i < hi ? i++ : -1) : () => (i >= lo ? i-- : -1);
  }
  const k0 = pd.occurrencesBelow(onlyError, lo);
  const k1 = pd.occurrencesBelow(onlyError, hi);
  let k = asc ? k0 : k1 - 1;
  return asc
    ? () => (k < k1 ? pd.occurrenceIndex(onlyError, k++) : -1)
    : () => (k >= k0 ? pd.occurrenceIndex(onlyError, k--) : -1);
}
