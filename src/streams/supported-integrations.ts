import { SupportedIntegrationSchema } from '../bugsnag/models/integration.js';
import { defineListStream } from './list.js';

export const supportedIntegrations = defineListStream({
  name: 'supported_integrations',
  // Changes seldom: read once a day by default, not by every sync (docs/sync.md, Stream intervals).
  refreshEvery: '1d',
  description: 'Every integration type Bugsnag supports (global, not per organization).',
  endpoint: 'GET /integrations',
  schema: SupportedIntegrationSchema,
  primaryKey: ['key'],
  partition: 'global',
  columns: [
    { name: 'key', type: 'text', description: 'The integration type’s key (e.g. jira, slack).' },
    { name: 'name', type: 'text', description: 'Its name.' },
    { name: 'type', type: 'text', description: 'Its kind (issue tracker, chat, …) as Bugsnag names it.' },
    {
      name: 'two_way_sync',
      type: 'boolean',
      description: 'Whether it syncs both ways (an issue tracker’s status back to Bugsnag).',
    },
    { name: 'description', type: 'text', description: 'What it does, in Bugsnag’s words.' },
    { name: 'url', type: 'text', description: 'Its documentation page.' },
  ],
  list: (api) => api.integrations.supported,
});
