import { fail, json, type Reply } from '../http/reply.js';
import { scalar } from '../query/params.js';
import { hash, hashString } from '../prng.js';
import { eventRange } from '../data/counting.js';
import {
  byEventsDesc,
  pivotDef,
  tallyPivots,
  type PivotDef,
  type PivotTally,
  type ValueStats,
} from '../data/pivots.js';
import type { ProjectData } from '../data/project.js';
import type { CompiledFilters } from '../query/filters.js';
import { pivotValueView } from '../views/pivots.js';
import { baseOf, filtersOf, formatBase, list, nextLink, perPage, sortOf, type Ctx } from './context.js';
import { SORTED_OFFSET_LIMIT } from './errors.js';

/** Unsorted pages never cross a 64-value shard, so some come out short, as docs/bugsnag-api.md §8 warns unsorted pages can. */
const UNSORTED_SHARD = 64;

export function errorsOf(pd: ProjectData, onlyError: number | null): number[] {
  return onlyError === null ? Array.from({ length: pd.errorCount }, (_, i) => i) : [onlyError];
}

/**
 * `…/pivots/{event_field_display_id}/values` (docs/bugsnag-api.md §7): the values of one pivot with their counts, most events
 * first, or `sort=unsorted` (the only value the spec allows) in no particular order. Counted at `base` (exclusive,
 * carried in next links, so pages do not shift while data arrives), within `filters`. Sorted lists give up past
 * 1000 rows with 422 / code 60000, as the spec says they can (the same limit as sorted errors).
 */
export function pivotValues(ctx: Ctx, pd: ProjectData, onlyError: number | null, fieldId: string | undefined): Reply {
  const def = fieldId === undefined ? undefined : pivotDef(fieldId);
  // Unconfirmed live: a field that does not exist (or cannot be pivoted on) answers 404 like any unknown resource.
  if (!def) fail(404, 'Event field not found');
  const f = filtersOf(ctx, pd);
  const base = baseOf(ctx);
  const sort = sortOf(ctx, ['unsorted']);
  const unsorted = sort === 'unsorted';
  const pp = perPage(ctx, 30, 100);
  const offset = scalar(ctx.query, 'offset');
  const start = offset === undefined ? 0 : decodeOffset(offset);
  if (!unsorted && start >= SORTED_OFFSET_LIMIT)
    return json({ errors: ['Unable to return complete results'], code: 60000 }, undefined, 422);
  const [lo, hi] = eventRange(pd, f, base);
  const { tally, sorted } = valuesOf(ctx, pd, onlyError, def, f, lo, hi);
  const rows = unsorted
    ? [...sorted].sort((a, b) => shuffleKey(pd, a) - shuffleKey(pd, b) || byEventsDesc(a, b))
    : sorted;
  const end = unsorted ? Math.min(start + pp, (Math.floor(start / UNSORTED_SHARD) + 1) * UNSORTED_SHARD) : start + pp;
  const next = end < rows.length ? nextLink(ctx, { base: formatBase(base), offset: encodeOffset(end) }) : null;
  return list(
    rows.slice(start, end).map((v) => pivotValueView(pd, tally, v)),
    { total: rows.length, next },
  );
}

function valuesOf(
  ctx: Ctx,
  pd: ProjectData,
  onlyError: number | null,
  def: PivotDef,
  f: CompiledFilters,
  lo: number,
  hi: number,
) {
  // The token's user is in the key because `error.assigned_to=me` depends on it.
  const key = `pivotvalues:${pd.project.gi}:${pd.stateVersion}:${onlyError}:${def.id}:${f.key}:${lo}:${hi}:${ctx.token.user}`;
  const hit = ctx.sim.cache.get(key) as { tally: PivotTally; sorted: ValueStats[] } | undefined;
  if (hit) return hit;
  const [tally] = tallyPivots(pd, errorsOf(pd, onlyError), f, lo, hi, [def]);
  const out = { tally: tally!, sorted: [...tally!.values.values()].sort(byEventsDesc) };
  ctx.sim.cache.set(key, out);
  return out;
}

/** "No particular order", but the same one on every request: a hash of the value under the project's seed. */
function shuffleKey(pd: ProjectData, v: ValueStats): number {
  return hash(pd.seed, hashString(v.value));
}

/**
 * The docs' next links carry `offset=2017-04-12T22:50:04`: a timestamp-like cursor. Here it is the position of the
 * next row written as that many seconds after 1970 (`1970-01-01T00:00:30`), with or without the docs' `Z`.
 */
export function encodeOffset(position: number): string {
  return new Date(position * 1000).toISOString().slice(0, 19);
}

function decodeOffset(raw: string): number {
  const ms = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ?$/.test(raw) ? Date.parse(raw.endsWith('Z') ? raw : `${raw}Z`) : NaN;
  if (!Number.isFinite(ms) || ms < 0) fail(400, 'Pagination Offset is invalid');
  return ms / 1000;
}
