import { z } from 'zod';
import { bool, defineModel, id, list, normalizeTimestamps, count, str, strList, timestamp } from './common.js';

export const ProjectSchema = z.looseObject({
  id: id(),
  organization_id: str(),
  slug: str(),
  name: str(),
  type: str(),
  language: str(),
  created_at: timestamp(),
  updated_at: timestamp(),
  url: str(),
  html_url: str(),
  errors_url: str(),
  events_url: str(),
  release_stages: strList(),
  open_error_count: count(),
  for_review_error_count: count(),
  collaborators_count: count(),
  teams_count: count(),
  custom_event_fields_used: count(),
  global_grouping: list(),
  location_grouping: list(),
  discarded_app_versions: list(),
  discarded_errors: list(),
  url_whitelist: list(),
  ignore_old_browsers: bool(),
  resolve_on_deploy: bool(),
  is_full_view: bool(),
  stability_target_type: str(),
  target_stability: z.unknown().optional(),
  critical_stability: z.unknown().optional(),
});
export type Project = z.infer<typeof ProjectSchema>;

export const Project = defineModel('a project', ProjectSchema, (p) =>
  normalizeTimestamps(p, ['created_at', 'updated_at']),
);
