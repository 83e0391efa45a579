import { z } from 'zod';
import { bool, defineModel, dict, id, normalizeTimestamps, count, str, timestamp } from './common.js';

export const ReleaseSchema = z.looseObject({
  id: id(),
  project_id: str(),
  release_group_id: str(),
  /** Written `2021-07-08T14:26:55+00:00` by Bugsnag; normalised. */
  release_time: timestamp(),
  release_source: str(),
  app_version: str(),
  app_version_code: str(),
  app_bundle_version: str(),
  build_label: str(),
  builder_name: str(),
  build_tool: str(),
  errors_introduced_count: count(),
  errors_seen_count: count(),
  sessions_count_in_last_24h: count(),
  total_sessions_count: count(),
  unhandled_sessions_count: count(),
  accumulative_daily_users_seen: count(),
  accumulative_daily_users_with_unhandled: count(),
  metadata: dict(),
  release_stage: z.looseObject({ name: str() }).nullish(),
  source_control: dict(),
});
export type Release = z.infer<typeof ReleaseSchema>;
export const Release = defineModel('a release', ReleaseSchema, (r) => normalizeTimestamps(r, ['release_time']));

export const ReleaseGroupSchema = z.looseObject({
  id: id(),
  project_id: str(),
  release_stage_name: str(),
  app_version: str(),
  first_released_at: timestamp(),
  first_release_id: str(),
  releases_count: count(),
  has_secondary_versions: bool(),
  build_tool: str(),
  builder_name: str(),
  source_control: dict(),
  top_release_group: bool(),
  visible: bool(),
  total_sessions_count: count(),
  unhandled_sessions_count: count(),
  sessions_count_in_last_24h: count(),
  accumulative_daily_users_seen: count(),
  accumulative_daily_users_with_unhandled: count(),
});
export type ReleaseGroup = z.infer<typeof ReleaseGroupSchema>;
export const ReleaseGroup = defineModel('a release group', ReleaseGroupSchema, (g) =>
  normalizeTimestamps(g, ['first_released_at']),
);
