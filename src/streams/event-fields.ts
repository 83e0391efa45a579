import { z } from 'zod';
import { EventFieldSchema } from '../bugsnag/models/fields.js';
import { defineListStream } from './list.js';

/** The project's filterable event fields; `display_id` is the name to use in filters. No id of their own. */
export const eventFields = defineListStream({
  name: 'event_fields',
  // Changes seldom: read once a day by default, not by every sync (docs/sync.md, Stream intervals).
  refreshEvery: '1d',
  description:
    "The project's event fields: the names usable in filters (display_id), with their filter and pivot options.",
  endpoint: 'GET /projects/{project_id}/event_fields',
  schema: EventFieldSchema.extend({ project_id: z.string() }),
  primaryKey: ['project_id', 'display_id'],
  partition: 'project',
  columns: [
    { name: 'project_id', type: 'text', description: 'The project (projects.id).' },
    { name: 'display_id', type: 'text', description: 'The field’s name as filters use it (e.g. app.release_stage).' },
    {
      name: 'custom',
      type: 'boolean',
      description: 'Whether the project defined it (custom metadata) rather than Bugsnag.',
    },
    {
      name: 'name',
      type: 'text',
      path: ['filter_options', 'name'],
      description: 'The field’s name as the dashboard shows it.',
    },
    { name: 'filter_options', type: 'json', description: 'How it can be filtered on (JSON).' },
    { name: 'pivot_options', type: 'json', description: 'How it can be pivoted on, if it can (JSON).' },
  ],
  list: (api) => api.eventFields.list,
});
