import { z } from 'zod';
import { bool, defineModel, dict, id, list, normalizeTimestamps, count, str, strList, timestamp } from './common.js';

/** An error group ("Error" in Bugsnag's words; named ErrorGroup here so it never shadows JavaScript's Error). */
export const ErrorGroupSchema = z.looseObject({
  id: id(),
  project_id: str(),
  url: str(),
  project_url: str(),
  events_url: str(),
  error_class: str(),
  message: str(),
  context: str(),
  severity: str(),
  original_severity: str(),
  overridden_severity: str(),
  status: str(),
  /** Counts and first/last seen are computed within the request's filters; the *_unfiltered ones are absolute. */
  events: count(),
  unthrottled_occurrence_count: count(),
  users: count(),
  first_seen: timestamp(),
  last_seen: timestamp(),
  first_seen_unfiltered: timestamp(),
  last_seen_unfiltered: timestamp(),
  release_stages: strList(),
  assigned_collaborator_id: str(),
  assigned_team_id: str(),
  reopen_rules: dict(),
  linked_issues: list(),
  created_issue: dict(),
  comment_count: count(),
  missing_dsyms: list(),
  grouping_reason: str(),
  grouping_fields: dict(),
  discarded: bool(),
  introduced_in_releases: list(),
  trend: list(),
});
export type ErrorGroup = z.infer<typeof ErrorGroupSchema>;

export const ErrorGroup = defineModel('an error', ErrorGroupSchema, (e) =>
  normalizeTimestamps(e, ['first_seen', 'last_seen', 'first_seen_unfiltered', 'last_seen_unfiltered']),
);

/** Bulk update answer: `operation` plus one entry per error id with the changed fields. */
export const BulkErrorUpdateResultSchema = z.looseObject({ operation: str() });
export type BulkErrorUpdateResult = z.infer<typeof BulkErrorUpdateResultSchema>;
export const BulkErrorUpdateResult = defineModel('a bulk error update result', BulkErrorUpdateResultSchema);
