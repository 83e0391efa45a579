import { z } from 'zod';
import { EventFieldSchema } from '../bugsnag/models/fields.js';
import { defineListStream } from './list.js';

/** The project's filterable event fields; `display_id` is the name to use in filters. No id of their own. */
export const eventFields = defineListStream({
  name: 'event_fields',
  description:
    "The project's event fields: the names usable in filters (display_id), with their filter and pivot options.",
  endpoint: 'GET /projects/{project_id}/event_fields',
  schema: EventFieldSchema.extend({ project_id: z.string() }),
  primaryKey: ['project_id', 'display_id'],
  partition: 'project',
  columns: [
    { name: 'project_id', type: 'text' },
    { name: 'display_id', type: 'text' },
    { name: 'custom', type: 'boolean' },
    { name: 'name', type: 'text', path: ['filter_options', 'name'] },
    { name: 'filter_options', type: 'json' },
    { name: 'pivot_options', type: 'json' },
  ],
  list: (api) => api.eventFields.list,
});
