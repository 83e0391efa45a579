import { z } from 'zod';
import { TraceFieldSchema } from '../bugsnag/models/fields.js';
import { defineListStream } from './list.js';

export const traceFields = defineListStream({
  name: 'trace_fields',
  description: "The project's performance trace fields (span and resource attributes usable in performance filters).",
  endpoint: 'GET /projects/{project_id}/trace_fields',
  schema: TraceFieldSchema.extend({ project_id: z.string() }),
  primaryKey: ['project_id', 'display_id'],
  partition: 'project',
  columns: [
    { name: 'project_id', type: 'text' },
    { name: 'display_id', type: 'text' },
    { name: 'custom', type: 'boolean' },
    { name: 'field_type', type: 'text' },
    { name: 'metadata_key', type: 'text' },
    { name: 'metadata_location', type: 'text' },
    { name: 'filter_options', type: 'json' },
  ],
  list: (api) => api.traceFields.list,
});
