import { z } from 'zod';
import { count, defineModel, id, list, normalizeTimestamps, num, str, timestamp } from './common.js';

export const PivotSchema = z.looseObject({
  event_field_display_id: id(),
  name: str(),
  cardinality: count(),
  summary: z.unknown().optional(),
  list: list(),
  no_value: count(),
  other: count(),
  average: num(),
});
export type Pivot = z.infer<typeof PivotSchema>;
export const Pivot = defineModel('a pivot', PivotSchema);

export const PivotValueSchema = z.looseObject({
  event_field_value: z.unknown().optional(),
  events: count(),
  proportion: num(),
  first_seen: timestamp(),
  last_seen: timestamp(),
  fields: list(),
});
export type PivotValue = z.infer<typeof PivotValueSchema>;
export const PivotValue = defineModel('a pivot value', PivotValueSchema, (v) =>
  normalizeTimestamps(v, ['first_seen', 'last_seen']),
);
