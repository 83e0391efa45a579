import { z } from 'zod';
import { bool, defineModel, dict, id, normalizeTimestamps, count, str, strList, timestamp } from './common.js';

export const CollaboratorSchema = z.looseObject({
  id: id(),
  name: str(),
  email: str(),
  created_at: timestamp(),
  last_request_at: timestamp(),
  is_admin: bool(),
  pending_invitation: bool(),
  paid_for: bool(),
  project_ids: strList(),
  /** `{ <project_id>: "project_owner" | "project_member" }`. */
  project_roles: dict(),
  team_ids: strList(),
  two_factor_enabled: bool(),
  two_factor_enabled_on: timestamp(),
  recovery_codes_remaining: count(),
  password_updated_on: timestamp(),
  show_time_in_utc: bool(),
  heroku: bool(),
});
export type Collaborator = z.infer<typeof CollaboratorSchema>;
export const Collaborator = defineModel('a collaborator', CollaboratorSchema, (c) =>
  normalizeTimestamps(c, ['created_at', 'last_request_at', 'two_factor_enabled_on', 'password_updated_on']),
);

export const TeamSchema = z.looseObject({
  id: id(),
  name: str(),
  organization_id: str(),
  collaborator_count: count(),
  project_count: count(),
});
export type Team = z.infer<typeof TeamSchema>;
export const Team = defineModel('a team', TeamSchema);
