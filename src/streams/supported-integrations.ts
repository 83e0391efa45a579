import { SupportedIntegrationSchema } from '../bugsnag/models/integration.js';
import { refreshList } from './refresh.js';
import { defineStream } from './types.js';

export const supportedIntegrations = defineStream({
  name: 'supported_integrations',
  description: 'Every integration type Bugsnag supports (global, not per organization).',
  endpoint: 'GET /integrations',
  schema: SupportedIntegrationSchema,
  primaryKey: ['key'],
  partition: 'global',
  syncModes: ['full_refresh'],
  heavy: false,
  columns: [
    { name: 'key', type: 'text' },
    { name: 'name', type: 'text' },
    { name: 'type', type: 'text' },
    { name: 'two_way_sync', type: 'boolean' },
    { name: 'description', type: 'text' },
    { name: 'url', type: 'text' },
  ],
  read: (ctx) => refreshList(ctx, (resumeFrom) => ctx.api.integrations.supported(resumeFrom ? { resumeFrom } : {}), (i) => ({ ...i })),
});
