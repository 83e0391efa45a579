import { z } from 'zod';
import { bool, defineModel, dict, id, normalizeTimestamps, count, str, timestamp } from './common.js';

export const SavedSearchSchema = z.looseObject({
  id: id(),
  user_id: str(),
  project_id: str(),
  name: str(),
  filters: dict(),
  sort: str(),
  shared: bool(),
  project_default: bool(),
  updated_by_id: str(),
  created_at: timestamp(),
  updated_at: timestamp(),
});
export type SavedSearch = z.infer<typeof SavedSearchSchema>;
export const SavedSearch = defineModel('a saved search', SavedSearchSchema, (s) =>
  normalizeTimestamps(s, ['created_at', 'updated_at']),
);

/** Has no id of its own; streams add the saved search's id. */
export const SavedSearchUsageSummarySchema = z.looseObject({
  project_notifications_count: count(),
  current_user_using_for_email_notification: bool(),
  collaborator_email_notifications_count: count(),
  performance_monitor_count: count(),
});
export type SavedSearchUsageSummary = z.infer<typeof SavedSearchUsageSummarySchema>;
export const SavedSearchUsageSummary = defineModel('a saved search usage summary', SavedSearchUsageSummarySchema);
