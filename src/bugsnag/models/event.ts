import { z } from 'zod';
import { bool, defineModel, dict, id, list, normalizeTimestamp, str, timestamp } from './common.js';

/**
 * An event (one occurrence). List rows without `full_reports` carry a summary; full reports add threads,
 * breadcrumbs, metaData… Payload keys keep the notifier's casing (`errorClass`, `releaseStage`, `metaData`).
 */
export const EventSchema = z.looseObject({
  id: id(),
  url: str(),
  project_url: str(),
  is_full_report: bool(),
  error_id: str(),
  /** When Bugsnag received the event; the incremental cursor. Older list pages spelled it `receivedAt`. */
  received_at: timestamp(),
  receivedAt: timestamp(),
  error_class: str(),
  message: str(),
  exceptions: z.array(z.looseObject({ errorClass: str(), message: str(), type: str(), stacktrace: list() })).nullish(),
  threads: list(),
  metaData: dict(),
  request: dict(),
  app: z.looseObject({ releaseStage: str(), type: str(), version: str() }).nullish(),
  device: dict(),
  user: dict(),
  breadcrumbs: list(),
  context: str(),
  severity: str(),
  unhandled: bool(),
  missing_dsym: bool(),
  correlation: dict(),
  feature_flags: list(),
});
export type Event = z.infer<typeof EventSchema>;

/** `received_at` is always set from whichever spelling came (the original `receivedAt` is kept as it was). */
export function normalizeEvent(e: Event): Event {
  const received = e.received_at ?? e.receivedAt;
  if (received === undefined) return e;
  const normal = normalizeTimestamp(received) as string | null;
  // Most events already carry the canonical received_at: no copy of the record then.
  return normal === e.received_at ? e : { ...e, received_at: normal };
}

export const Event = defineModel('an event', EventSchema, normalizeEvent);
