import { errorWindowStats, residueMask } from './counting.js';
import { accountPlan, endUser, type EndUser, type EventProto } from './errors.js';
import type { ProjectData } from './project.js';
import type { CompiledFilters } from '../query/filters.js';
import { EVENT_FIELDS } from '../query/fields.js';

/**
 * Pivots: how the matching events of a project (or of one error) spread over the values of an event field. One
 * table serves the summary (`/pivots`) and the value lists (`/pivots/{field}/values`), so the two always agree: the
 * values of a field are exactly the summary's list, in the same order, with the same counts.
 *
 * Every value is a function of the error and the occurrence's prototype (occurrence k looks like prototype
 * k mod period), so a tally is a sum of arithmetic progressions per (error, residue): its cost depends on the number
 * of errors, never on the number of events.
 */
export interface PivotDef {
  /** The event field's display id. */
  id: string;
  name: string;
  /** The value an occurrence has for the field, or null (counted as `no_value`). */
  value(pd: ProjectData, e: number, p: EventProto): string | null;
  /** Other event fields shown with a value (a user's other identifiers), as `{id: field, name: value}`. */
  details?(pd: ProjectData, p: EventProto): Array<{ id: string; name: string }>;
}

const userOf = (pd: ProjectData, p: EventProto): EndUser | null =>
  p.user < 0 ? null : endUser(pd.world.opts.seed, pd.project.org, p.user);

type ValueOf = PivotDef['value'];
const VALUE_OF: Record<string, { value: ValueOf; details?: PivotDef['details'] }> = {
  'event.severity': { value: (pd, e) => pd.errorSeed(e).severity },
  'app.release_stage': { value: (_pd, _e, p) => p.stage },
  'app.context': { value: (pd, e) => pd.errorSeed(e).context },
  'version.seen_in': { value: (_pd, _e, p) => p.appVersion },
  'user.id': {
    value: (pd, _e, p) => userOf(pd, p)?.id ?? null,
    details: (pd, p) => {
      const u = userOf(pd, p)!;
      return [
        { id: 'user.name', name: u.name },
        { id: 'user.email', name: u.email },
      ];
    },
  },
  'user.email': {
    value: (pd, _e, p) => userOf(pd, p)?.email ?? null,
    details: (pd, p) => {
      const u = userOf(pd, p)!;
      return [
        { id: 'user.id', name: u.id },
        { id: 'user.name', name: u.name },
      ];
    },
  },
  'os.name': { value: (_pd, _e, p) => p.osName },
  'browser.name': { value: (_pd, _e, p) => p.browserName },
  'device.hostname': { value: (_pd, _e, p) => p.hostname },
  'device.model': { value: (_pd, _e, p) => p.model },
  'account.plan': { value: (_pd, _e, p) => accountPlan(p.user) },
};

/** The pivots, in event-field order: every field the catalog marks as pivotable (custom ones included). */
export const PIVOTS: PivotDef[] = EVENT_FIELDS.filter((f) => f.pivot).map((f) => {
  const how = VALUE_OF[f.id];
  // A pivotable field without a value function would be advertised by /event_fields and then answer nothing.
  if (!how) throw new Error(`pivot ${f.id} has no value function`);
  return { id: f.id, name: f.name, ...how };
});

export function pivotDef(id: string): PivotDef | undefined {
  return PIVOTS.find((p) => p.id === id);
}

export interface ValueStats {
  value: string;
  events: number;
  firstSec: number;
  lastSec: number;
  /** An occurrence prototype with this value (for `details`). */
  proto: EventProto;
}

export interface PivotTally {
  def: PivotDef;
  values: Map<string, ValueStats>;
  /** Matching events without a value. */
  none: number;
  /** All matching events, with or without a value. */
  total: number;
}

/** Value distributions over the events of `errors` in the index range [lo, hi) that pass the filters. */
export function tallyPivots(
  pd: ProjectData,
  errors: Iterable<number>,
  f: CompiledFilters,
  lo: number,
  hi: number,
  defs: PivotDef[],
): PivotTally[] {
  const tallies: PivotTally[] = defs.map((def) => ({ def, values: new Map(), none: 0, total: 0 }));
  for (const e of errors) {
    // Deleted errors, errors failing error-level filters and errors without matching events count for nothing.
    if (!errorWindowStats(pd, e, f, lo, hi)) continue;
    const period = pd.errorSeed(e).period;
    const k0 = pd.occurrencesBelow(e, lo);
    const k1 = pd.occurrencesBelow(e, hi);
    const mask = residueMask(pd, e, f);
    for (let r = 0; r < period; r++) {
      if (mask && !mask[r]) continue;
      const first = k0 + ((r - (k0 % period) + period) % period);
      if (first >= k1) continue;
      const n = Math.floor((k1 - 1 - first) / period) + 1;
      const proto = pd.proto(e, r);
      const firstSec = pd.timeOf(pd.occurrenceIndex(e, first));
      const lastSec = pd.timeOf(pd.occurrenceIndex(e, first + (n - 1) * period));
      for (const t of tallies) {
        t.total += n;
        const v = t.def.value(pd, e, proto);
        if (v === null) {
          t.none += n;
          continue;
        }
        const s = t.values.get(v);
        if (!s) t.values.set(v, { value: v, events: n, firstSec, lastSec, proto });
        else {
          s.events += n;
          s.firstSec = Math.min(s.firstSec, firstSec);
          s.lastSec = Math.max(s.lastSec, lastSec);
        }
      }
    }
  }
  return tallies;
}

/** The documented default order of values: most events first (ties by value, so pages are stable). */
export function byEventsDesc(a: ValueStats, b: ValueStats): number {
  return b.events - a.events || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);
}
