import { z } from 'zod';
import { bool, defineModel, dict, id, list, str } from './common.js';

/** An integration type Bugsnag supports (global, keyed by `key`). */
export const SupportedIntegrationSchema = z.looseObject({
  key: id(),
  name: str(),
  url: str(),
  type: str(),
  two_way_sync: bool(),
  description: str(),
  actions: dict(),
  fields: list(),
  icon_url: str(),
  created_entity_name: str(),
  issue_automation_options: list(),
});
export type SupportedIntegration = z.infer<typeof SupportedIntegrationSchema>;
export const SupportedIntegration = defineModel('a supported integration', SupportedIntegrationSchema);
