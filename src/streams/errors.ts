import { z } from 'zod';
import type { ErrorGroup } from '../bugsnag/models/error.js';
import { ErrorGroupSchema } from '../bugsnag/models/error.js';
import { defineStream } from './types.js';
import { projectPartition, withParents } from './util.js';
import { windowPasses } from './window.js';
import { durationOption } from './options.js';

/** Bugsnag refuses to page a sorted errors list past this many rows (422, code 60000; docs/bugsnag-api.md §11). */
export const SORTED_ERRORS_LIMIT = 1000;

/**
 * Errors (error groups). Incremental by `last_seen`: errors with events in the window, found with
 * `filters[event.since]`, sorted by last_seen. But fixing, ignoring, snoozing, assigning or commenting an error does
 * not move its `last_seen` (docs/bugsnag-api.md §17), so errors also get a periodic full pass (daily by default, the source's
 * `errors_full_pass_interval`). A window with more errors than Bugsnag pages sorted is read unsorted.
 *
 * `last_seen`, `first_seen`, `events` and `users` are computed within the request's filters (so within the sync
 * window): the typed columns hold the absolute `*_unfiltered` values and `unthrottled_occurrence_count`, which are
 * the truth; the filtered `last_seen` only drives the cursor.
 */
export const errors = defineStream({
  name: 'errors',
  description: 'Error groups with their status, severity, assignment and absolute first/last seen times and counts.',
  endpoint: 'GET /projects/{project_id}/errors?sort=last_seen&filters[event.since]=…&base=…',
  options: z.object({
    errors_full_pass_interval: durationOption({
      description: 'How often errors get a full pass (besides the incremental one) to catch status changes',
      default: '1d',
      flag: 'errors-full-pass',
    }),
  }),
  schema: ErrorGroupSchema.extend({ project_id: z.string() }),
  primaryKey: ['project_id', 'id'],
  partition: 'project',
  syncModes: ['full_refresh', 'incremental'],
  cursor: {
    field: 'last_seen',
    order: 'newest-first',
    serverFilter: 'event.since',
    note: 'plus a periodic full pass (errors_full_pass_interval, default 1d) for status changes',
  },
  heavy: false,
  columns: [
    { name: 'project_id', type: 'text' },
    { name: 'id', type: 'text' },
    { name: 'error_class', type: 'text' },
    { name: 'message', type: 'text' },
    { name: 'context', type: 'text' },
    { name: 'status', type: 'text' },
    { name: 'severity', type: 'text' },
    { name: 'original_severity', type: 'text' },
    { name: 'overridden_severity', type: 'text' },
    { name: 'first_seen_unfiltered', type: 'timestamp' },
    { name: 'last_seen_unfiltered', type: 'timestamp' },
    { name: 'unthrottled_occurrence_count', type: 'integer' },
    { name: 'release_stages', type: 'json' },
    { name: 'assigned_collaborator_id', type: 'text' },
    { name: 'assigned_team_id', type: 'text' },
    { name: 'comment_count', type: 'integer' },
    { name: 'grouping_reason', type: 'text' },
    { name: 'discarded', type: 'boolean' },
    { name: 'linked_issues', type: 'json' },
    { name: 'url', type: 'text' },
  ],
  read: (ctx) => {
    const { project } = projectPartition(ctx, 'errors');
    const { filters } = ctx.options;
    return windowPasses<ErrorGroup>(ctx, {
      cursorOf: (e) => e.last_seen,
      open: (w, resumeFrom) =>
        ctx.api.errors.list(
          project.id,
          resumeFrom
            ? { resumeFrom }
            : {
                base: w.base,
                filters,
                ...(w.unsorted
                  ? { sort: 'unsorted' as const }
                  : { sort: 'last_seen' as const, direction: 'desc' as const }),
                ...(w.since !== null ? { since: w.since } : {}),
                ...(w.before !== null ? { before: w.before } : {}),
              },
        ),
      toRecord: (e) => withParents(e, { project_id: project.id }),
      fullPassMs: ctx.options.errorsFullPassMs,
      sortedLimit: SORTED_ERRORS_LIMIT,
    });
  },
});
