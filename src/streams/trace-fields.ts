import { z } from 'zod';
import { TraceFieldSchema } from '../bugsnag/models/fields.js';
import { defineListStream } from './list.js';

export const traceFields = defineListStream({
  name: 'trace_fields',
  // Changes seldom: read once a day by default, not by every sync (docs/sync.md, Stream intervals).
  refreshEvery: '1d',
  description: "The project's performance trace fields (span and resource attributes usable in performance filters).",
  endpoint: 'GET /projects/{project_id}/trace_fields',
  schema: TraceFieldSchema.extend({ project_id: z.string() }),
  primaryKey: ['project_id', 'display_id'],
  partition: 'project',
  columns: [
    { name: 'project_id', type: 'text', description: 'The project (projects.id).' },
    { name: 'display_id', type: 'text', description: 'The field’s name as performance filters use it.' },
    { name: 'custom', type: 'boolean', description: 'Whether the project defined it rather than Bugsnag.' },
    { name: 'field_type', type: 'text', description: 'Its value type.' },
    { name: 'metadata_key', type: 'text', description: 'The span or resource attribute it reads.' },
    { name: 'metadata_location', type: 'text', description: 'Where the attribute is (span, resource).' },
    { name: 'filter_options', type: 'json', description: 'How it can be filtered on (JSON).' },
  ],
  list: (api) => api.traceFields.list,
});
