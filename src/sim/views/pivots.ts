import { isoOffset } from '../format.js';
import type { ProjectData } from '../data/project.js';
import { byEventsDesc, type PivotTally, type ValueStats } from '../data/pivots.js';

/** A pivot summary row: the `size` most frequent values, the rest folded into `other`. */
export function pivotSummaryView(t: PivotTally, size: number): Record<string, unknown> {
  const sorted = [...t.values.values()].sort(byEventsDesc);
  const shown = sorted.slice(0, size);
  const other = sorted.slice(size).reduce((n, v) => n + v.events, 0);
  return {
    event_field_display_id: t.def.id,
    name: t.def.name,
    cardinality: sorted.length,
    summary: { list: shown.map((v) => ({ value: v.value, events: v.events })), no_value: t.none, other },
    average: null,
  };
}

/**
 * A pivot value row (PivotValueApiView). `proportion` is of every matching event, those without a value included, as
 * the spec defines it; first and last seen use the spec example's `+00:00` shape. `fields` carries the other event
 * fields of the value as `{id: field, name: value}`: the spec's example is `{id: "user.name", name: …}` and it says
 * user rows carry the user's name and email.
 */
export function pivotValueView(pd: ProjectData, t: PivotTally, v: ValueStats): Record<string, unknown> {
  return {
    event_field_value: v.value,
    events: v.events,
    proportion: t.total === 0 ? 0 : v.events / t.total,
    first_seen: isoOffset(v.firstSec),
    last_seen: isoOffset(v.lastSec),
    fields: t.def.details ? t.def.details(pd, v.proto) : [],
  };
}
