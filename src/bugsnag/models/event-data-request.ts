import { z } from 'zod';
import { defineModel, id, normalizeTimestamps, count, str, timestamp } from './common.js';

/**
 * An event data request (EventDataRequestApiView, docs/bugsnag-api.md §2.13): a bulk export job. `total` is null
 * while PREPARING; `url` (a short-lived signed link, fetched without the token) is set once COMPLETED.
 */
export const EVENT_DATA_REQUEST_STATUSES = [
  'PREPARING',
  'AWAITING_CONFIRMATION',
  'ACCEPTED',
  'IN_PROGRESS',
  'COMPLETED',
  'EXPIRED',
] as const;

export const EventDataRequestSchema = z.looseObject({
  id: id(),
  // Lenient: a status this client does not know yet is kept as text (and treated as "not ready").
  status: z.string(),
  url: str(),
  total: count(),
  report_type: str(),
  filters: z.record(z.string(), z.unknown()).nullish(),
  created_at: timestamp(),
  completed_at: timestamp(),
  expires_at: timestamp(),
});
export type EventDataRequest = z.infer<typeof EventDataRequestSchema>;
export const EventDataRequest = defineModel('an event data request', EventDataRequestSchema, (r) =>
  normalizeTimestamps(r, ['created_at', 'completed_at', 'expires_at']),
);
