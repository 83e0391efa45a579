import type { CompiledFilters, ErrorFacts } from '../query/filters.js';
import type { ProjectData } from './project.js';

/**
 * Counting occurrences that match a filter inside a time window, without scanning events. Occurrence k of an error
 * looks like prototype k mod period, so a filter turns into a set of matching residues and every count is a sum of
 * arithmetic progressions.
 */
export interface ErrorWindowStats {
  error: number;
  events: number;
  users: number;
  firstSec: number;
  lastSec: number;
}

/** Index range [lo, hi) of the events inside the filter's time range and before `baseSec` (exclusive). */
export function eventRange(pd: ProjectData, f: CompiledFilters, baseSec: number): [number, number] {
  const lo = f.since === null ? 0 : pd.indexAt(f.since);
  const upper = f.before === null ? baseSec : Math.min(f.before, baseSec);
  const hi = pd.indexAt(upper);
  return [lo, Math.max(lo, hi)];
}

export function errorFacts(pd: ProjectData, e: number): ErrorFacts {
  const seed = pd.errorSeed(e);
  return {
    seed,
    state: pd.peekState(e),
    projectType: pd.project.kind.type,
    introducedIn: pd.totalOccurrences(e) > 0 ? pd.proto(e, 0).appVersion : '',
  };
}

/** Residues (0…period−1) whose prototype matches the event-level filters; null means all of them. */
export function residueMask(pd: ProjectData, e: number, f: CompiledFilters): Uint8Array | null {
  if (!f.hasEventLevel) return null;
  const period = pd.errorSeed(e).period;
  const mask = new Uint8Array(period);
  for (let r = 0; r < period; r++) mask[r] = f.matchesEvent(pd.proto(e, r)) ? 1 : 0;
  return mask;
}

/** How many k in [k0, k1) have k mod m = r. */
function countResidue(k0: number, k1: number, m: number, r: number): number {
  if (k1 <= k0) return 0;
  const upTo = (x: number) => (x <= r ? 0 : Math.floor((x - r - 1) / m) + 1); // k in [0, x) with k ≡ r
  return upTo(k1) - upTo(k0);
}

export function countMatching(k0: number, k1: number, period: number, mask: Uint8Array | null): number {
  if (k1 <= k0) return 0;
  if (!mask) return k1 - k0;
  let n = 0;
  for (let r = 0; r < period; r++) if (mask[r]) n += countResidue(k0, k1, period, r);
  return n;
}

function firstMatching(k0: number, k1: number, period: number, mask: Uint8Array | null): number {
  if (!mask) return k0 < k1 ? k0 : -1;
  for (let k = k0; k < k1 && k < k0 + period; k++) if (mask[k % period]) return k;
  return -1;
}

function lastMatching(k0: number, k1: number, period: number, mask: Uint8Array | null): number {
  if (!mask) return k0 < k1 ? k1 - 1 : -1;
  for (let k = k1 - 1; k >= k0 && k > k1 - 1 - period; k--) if (mask[k % period]) return k;
  return -1;
}

/** Stats of one error within [lo, hi), or null when it has no matching event there (or fails error-level filters). */
export function errorWindowStats(
  pd: ProjectData,
  e: number,
  f: CompiledFilters,
  lo: number,
  hi: number,
): ErrorWindowStats | null {
  if (pd.isDeleted(e)) return null;
  if (f.hasErrorLevel && !f.matchesError(errorFacts(pd, e))) return null;
  const seed = pd.errorSeed(e);
  const k0 = pd.occurrencesBelow(e, lo);
  const k1 = pd.occurrencesBelow(e, hi);
  if (k1 <= k0) return null;
  const mask = residueMask(pd, e, f);
  const events = countMatching(k0, k1, seed.period, mask);
  if (events === 0) return null;
  const first = firstMatching(k0, k1, seed.period, mask);
  const last = lastMatching(k0, k1, seed.period, mask);
  return {
    error: e,
    events,
    users: distinctUsers(pd, e, k0, k1, mask),
    firstSec: pd.timeOf(pd.occurrenceIndex(e, first)),
    lastSec: pd.timeOf(pd.occurrenceIndex(e, last)),
  };
}

function distinctUsers(pd: ProjectData, e: number, k0: number, k1: number, mask: Uint8Array | null): number {
  const period = pd.errorSeed(e).period;
  const users = new Set<number>();
  const span = Math.min(k1 - k0, period);
  for (let k = k0; k < k0 + span; k++) {
    if (mask && !mask[k % period]) continue;
    const u = pd.proto(e, k).user;
    if (u >= 0) users.add(u);
  }
  return users.size;
}

/** Events in [lo, hi) that pass the filters. Arithmetic when nothing but time is filtered. */
export function countEvents(pd: ProjectData, f: CompiledFilters, lo: number, hi: number, onlyError?: number): number {
  if (hi <= lo) return 0;
  if (onlyError !== undefined) return errorWindowStats(pd, onlyError, f, lo, hi)?.events ?? 0;
  if (!f.hasErrorLevel && !f.hasEventLevel) {
    let n = hi - lo;
    for (const e of pd.deletedErrors) n -= pd.occurrencesBelow(e, hi) - pd.occurrencesBelow(e, lo);
    return n;
  }
  let n = 0;
  for (let e = 0; e < pd.errorCount; e++) n += errorWindowStats(pd, e, f, lo, hi)?.events ?? 0;
  return n;
}

/** Per-event predicate with per-error memos (error-level verdict and residue mask computed once per error). */
export function eventMatcher(pd: ProjectData, f: CompiledFilters, onlyError: number | null): (i: number) => boolean {
  const memo = new Map<number, Uint8Array | null | false>();
  const needsCheck = f.hasErrorLevel || f.hasEventLevel || pd.deletedErrors.size > 0;
  if (!needsCheck) return () => true;
  return (i) => {
    const e = onlyError ?? pd.errorOfEvent(i);
    let m = memo.get(e);
    if (m === undefined) {
      m = pd.isDeleted(e) || (f.hasErrorLevel && !f.matchesError(errorFacts(pd, e))) ? false : residueMask(pd, e, f);
      memo.set(e, m);
    }
    if (m === false) return false;
    if (m === null) return true;
    const seed = pd.errorSeed(e);
    return m[pd.occurrenceOfEvent(i) % seed.period] === 1;
  };
}
