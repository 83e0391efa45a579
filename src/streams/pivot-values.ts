import { z } from 'zod';
import { PivotValueSchema, type PivotValue } from '../bugsnag/models/pivot.js';
import { refreshSteps, type RefreshStep } from './refresh.js';
import { defineStream, type Batch, type ReadContext } from './types.js';
import { projectPartition, seconds, withParents } from './util.js';

/**
 * Every value of every pivotable event field, with its event count, share and first/last seen (within the source
 * filters): the whole list behind each pivot's top-10 summary. Heavy: Bugsnag counts the project's matching events
 * for each field. Read `sort=unsorted` (a sorted list stops at 1000 values with 422 / code 60000; docs/bugsnag-api.md §11) at a
 * fixed `base`, one list per field the project's event fields mark as pivotable (`pivot_options` with a name).
 * A snapshot like `pivots`: values no longer seen are not deleted.
 */
export const pivotValues = defineStream({
  name: 'pivot_values',
  description:
    'Every value of each pivotable event field, with its event count, share and first/last seen (within the source filters).',
  endpoint: 'GET /projects/{project_id}/pivots/{event_field_display_id}/values?sort=unsorted',
  schema: PivotValueSchema.extend({
    project_id: z.string(),
    event_field_display_id: z.string(),
    event_field_value: z.string(),
  }),
  primaryKey: ['project_id', 'event_field_display_id', 'event_field_value'],
  partition: 'project',
  syncModes: ['full_refresh'],
  heavy: true,
  columns: [
    { name: 'project_id', type: 'text', description: 'The project (projects.id).' },
    { name: 'event_field_display_id', type: 'text', description: 'The event field (event_fields.display_id).' },
    { name: 'event_field_value', type: 'text', description: 'One value of the field.' },
    { name: 'events', type: 'integer', description: 'Events with that value, within the source’s filters.' },
    { name: 'proportion', type: 'real', description: 'Their share of the events (0 to 1).' },
    {
      name: 'first_seen',
      type: 'timestamp',
      description: 'The first event with that value, within the source’s filters.',
    },
    {
      name: 'last_seen',
      type: 'timestamp',
      description: 'The latest event with that value, within the source’s filters.',
    },
    { name: 'fields', type: 'json', description: 'The value’s other fields as Bugsnag sent them (JSON).' },
  ],
  read: readPivotValues,
});

async function* readPivotValues(ctx: ReadContext): AsyncGenerator<Batch> {
  const { project } = projectPartition(ctx, 'pivot_values');
  const fields = (await ctx.api.eventFields.list(project.id).all())
    .filter((f) => typeof f.pivot_options?.name === 'string')
    .map((f) => f.display_id);
  const filters = ctx.options.startDate
    ? { ...ctx.options.filters, 'event.since': ctx.options.startDate }
    : ctx.options.filters;
  const base = seconds(ctx.now);
  const steps = fields.map(
    (field): RefreshStep<PivotValue> => ({
      open: (resumeFrom) =>
        ctx.api.pivots.values(project.id, field, resumeFrom ? { resumeFrom } : { sort: 'unsorted', base, filters }),
      // Bugsnag documents the value as a string; one sent otherwise is stored as its text (it is part of the key).
      toRecords: (items) =>
        items.map((v) =>
          withParents(
            { ...v, event_field_value: String(v.event_field_value ?? '') },
            { project_id: project.id, event_field_display_id: field },
          ),
        ),
    }),
  );
  // A saved position is a field index: only valid for the same list of fields.
  yield* refreshSteps(ctx, steps, { mode: `fields:${fields.join('|')}` });
}
