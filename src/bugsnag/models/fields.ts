import { z } from 'zod';
import { bool, defineModel, dict, id, num, str } from './common.js';

/** An event field: its `display_id` is the name to use in filters (`event.since`, `user.email`…). */
export const EventFieldSchema = z.looseObject({
  display_id: id(),
  custom: bool(),
  filter_options: dict(),
  pivot_options: dict(),
  reindex_in_progress: bool(),
  reindex_percentage: num(),
});
export type EventField = z.infer<typeof EventFieldSchema>;
export const EventField = defineModel('an event field', EventFieldSchema);

export const TraceFieldSchema = z.looseObject({
  display_id: id(),
  custom: bool(),
  filter_options: dict(),
  metadata_key: str(),
  metadata_location: str(),
  field_type: str(),
});
export type TraceField = z.infer<typeof TraceFieldSchema>;
export const TraceField = defineModel('a trace field', TraceFieldSchema);
