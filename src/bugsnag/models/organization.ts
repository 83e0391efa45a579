import { z } from 'zod';
import { bool, defineModel, id, normalizeTimestamps, str, strList, timestamp } from './common.js';

export const OrganizationSchema = z.looseObject({
  id: id(),
  name: str(),
  slug: str(),
  creator: z.looseObject({ id: str(), name: str(), email: str() }).nullish(),
  created_at: timestamp(),
  updated_at: timestamp(),
  auto_upgrade: bool(),
  billing_emails: strList(),
  upgrade_url: str(),
  collaborators_url: str(),
  projects_url: str(),
  managed_by_platform_services: bool(),
  can_start_pro_trial: bool(),
  pro_trial_ends_at: timestamp(),
});
export type Organization = z.infer<typeof OrganizationSchema>;

export const Organization = defineModel('an organization', OrganizationSchema, (o) =>
  normalizeTimestamps(o, ['created_at', 'updated_at', 'pro_trial_ends_at']),
);
