import { z } from 'zod';
import { PivotSchema } from '../bugsnag/models/pivot.js';
import { refreshList } from './refresh.js';
import { defineStream } from './types.js';
import { projectPartition, withParents } from './util.js';

/** Heavy: Bugsnag counts every matching event per field to answer. A snapshot, replaced on every sync. */
export const pivots = defineStream({
  name: 'pivots',
  description: 'Per event field, how events spread over its values (a snapshot within the source filters).',
  endpoint: 'GET /projects/{project_id}/pivots',
  schema: PivotSchema.extend({ project_id: z.string() }),
  primaryKey: ['project_id', 'event_field_display_id'],
  partition: 'project',
  syncModes: ['full_refresh'],
  heavy: true,
  columns: [
    { name: 'project_id', type: 'text' },
    { name: 'event_field_display_id', type: 'text' },
    { name: 'name', type: 'text' },
    { name: 'cardinality', type: 'integer' },
    { name: 'summary', type: 'json' },
  ],
  read: (ctx) => {
    const { project } = projectPartition(ctx, 'pivots');
    const filters = ctx.options.startDate ? { ...ctx.options.filters, 'event.since': ctx.options.startDate } : ctx.options.filters;
    return refreshList(
      ctx,
      (resumeFrom) => ctx.api.pivots.list(project.id, resumeFrom ? { resumeFrom } : { filters }),
      (p) => withParents(p, { project_id: project.id }),
    );
  },
});
