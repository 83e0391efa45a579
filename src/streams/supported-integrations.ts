import { SupportedIntegrationSchema } from '../bugsnag/models/integration.js';
import { defineListStream } from './list.js';

export const supportedIntegrations = defineListStream({
  name: 'supported_integrations',
  description: 'Every integration type Bugsnag supports (global, not per organization).',
  endpoint: 'GET /integrations',
  schema: SupportedIntegrationSchema,
  primaryKey: ['key'],
  partition: 'global',
  columns: [
    { name: 'key', type: 'text' },
    { name: 'name', type: 'text' },
    { name: 'type', type: 'text' },
    { name: 'two_way_sync', type: 'boolean' },
    { name: 'description', type: 'text' },
    { name: 'url', type: 'text' },
  ],
  list: (api) => api.integrations.supported,
});
