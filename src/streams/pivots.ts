import { z } from 'zod';
import { PivotSchema } from '../bugsnag/models/pivot.js';
import { defineListStream } from './list.js';

/** Heavy: Bugsnag counts every matching event per field to answer. A snapshot, replaced on every sync. */
export const pivots = defineListStream({
  name: 'pivots',
  description: 'Per event field, how events spread over its values (a snapshot within the source filters).',
  endpoint: 'GET /projects/{project_id}/pivots',
  schema: PivotSchema.extend({ project_id: z.string() }),
  primaryKey: ['project_id', 'event_field_display_id'],
  partition: 'project',
  heavy: true,
  columns: [
    { name: 'project_id', type: 'text', description: 'The project (projects.id).' },
    { name: 'event_field_display_id', type: 'text', description: 'The event field (event_fields.display_id).' },
    { name: 'name', type: 'text', description: 'The field’s name as the dashboard shows it.' },
    { name: 'cardinality', type: 'integer', description: 'How many distinct values it has among the events.' },
    { name: 'summary', type: 'json', description: 'Its top values with their event counts (JSON).' },
  ],
  list: (api) => api.pivots.list,
  query: (o) => ({ filters: o.startDate ? { ...o.filters, 'event.since': o.startDate } : o.filters }),
});
