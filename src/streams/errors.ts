import { z } from 'zod';
import type { ErrorGroup } from '../bugsnag/models/error.js';
import { ErrorGroupSchema } from '../bugsnag/models/error.js';
import { defineStream } from './types.js';
import { projectPartition, withParents } from './util.js';
import { withStatusPass } from './status-pass.js';
import { windowPasses } from './window.js';
import { durationOption } from './options.js';

/** Bugsnag refuses to page a sorted errors list past this many rows (422, code 60000; docs/bugsnag-api.md §11). */
export const SORTED_ERRORS_LIMIT = 1000;

/**
 * Errors (error groups). Incremental by `last_seen`: errors with events in the window, found with
 * `filters[event.since]`, sorted by last_seen. But fixing, ignoring, snoozing, assigning or commenting an error does
 * not move its `last_seen` (docs/bugsnag-api.md §17), so errors also get a periodic full pass (daily by default, the source's
 * `errors_full_pass_interval`) and, between them, a status pass (every 15 minutes by default,
 * `errors_status_pass_interval`; status-pass.ts) that lists only the errors not open. A window with more errors than
 * Bugsnag pages sorted is read unsorted.
 *
 * `last_seen`, `first_seen`, `events` and `users` are computed within the request's filters (so within the sync
 * window): the typed columns hold the absolute `*_unfiltered` values and `unthrottled_occurrence_count`, which are
 * the truth; the filtered `last_seen` only drives the cursor. Bugsnag gives no absolute count of users (no
 * `users_unfiltered`, docs/bugsnag-api.md §5), so `users` has no typed column: `_record.users` counts the users within
 * the window of the read that stored the row (an incremental window or a full pass since the start date).
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
    errors_status_pass_interval: durationOption({
      description:
        'How often errors get a status pass (the errors not open, listed) to see status changes between full passes',
      default: '15m',
      flag: 'errors-status-pass',
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
    note: 'plus a periodic full pass (errors_full_pass_interval, default 1d) and a status pass (errors_status_pass_interval, default 15m) for status changes',
  },
  heavy: false,
  // Errors by when they were last seen (the absolute time: the filtered last_seen is not a column).
  indexes: [['last_seen_unfiltered']],
  // Status, severity and assignment are overwritten in `errors`; their past is kept as intervals (docs/sync.md,
  // Error history). A first state seen open starts at first_seen_unfiltered: Bugsnag opens an error with its first
  // event, so that is when it began to need fixing (time to fix counts from it); any other first state starts when
  // it was observed, as when it began is unknown.
  history: {
    name: 'error_history',
    description:
      'Each observed state (status, severity, assignment) of an error as an interval: valid_from … valid_to, NULL valid_to for the current one.',
    key: [
      { name: 'project_id', from: 'project_id', description: 'The project (projects.id).' },
      { name: 'error_id', from: 'id', description: 'The error (errors.id).' },
    ],
    fields: [
      { name: 'status', description: 'Workflow status in this interval: open, fixed, snoozed, ignored, for_review…' },
      { name: 'severity', description: 'Severity in this interval: error, warning or info.' },
      {
        name: 'assigned_collaborator_id',
        description: 'The collaborator it was assigned to (collaborators.id), if any.',
      },
      { name: 'assigned_team_id', description: 'The team it was assigned to (teams.id), if any.' },
    ],
    firstFrom: { column: 'first_seen_unfiltered', when: { column: 'status', equals: 'open' } },
    // What changed since a time; an error's intervals are read by the primary key (project_id, error_id, valid_from).
    indexes: [['valid_from']],
  },
  columns: [
    { name: 'project_id', type: 'text', description: 'The project (projects.id).' },
    { name: 'id', type: 'text', description: 'The error id (events.error_id, comments.error_id).' },
    { name: 'error_class', type: 'text', description: 'The error class (exception type).' },
    { name: 'message', type: 'text', description: 'The error message.' },
    {
      name: 'context',
      type: 'text',
      description: 'Where it happened (a route, a screen, a method), as the notifier reports it.',
    },
    {
      name: 'status',
      type: 'text',
      description: 'Workflow status: open, fixed, snoozed, ignored, for_review… (as of the last read of the error).',
    },
    {
      name: 'severity',
      type: 'text',
      description: 'Severity now: error, warning or info (the override, if any, else the original).',
    },
    { name: 'original_severity', type: 'text', description: 'Severity as the notifier reported it.' },
    { name: 'overridden_severity', type: 'text', description: 'Severity set by a user, if any.' },
    {
      name: 'first_seen_unfiltered',
      type: 'timestamp',
      description: 'When its first event was received (absolute, whatever the sync’s window).',
    },
    {
      name: 'last_seen_unfiltered',
      type: 'timestamp',
      description: 'When its latest event was received (absolute, whatever the sync’s window).',
    },
    {
      name: 'unthrottled_occurrence_count',
      type: 'integer',
      description:
        'All its events ever, absolute (Bugsnag gives no absolute count of users: _record.users is within the window of the read).',
    },
    { name: 'release_stages', type: 'json', description: 'Release stages it was seen in (JSON array).' },
    {
      name: 'assigned_collaborator_id',
      type: 'text',
      description: 'The collaborator it is assigned to (collaborators.id), if any.',
    },
    { name: 'assigned_team_id', type: 'text', description: 'The team it is assigned to (teams.id), if any.' },
    { name: 'comment_count', type: 'integer', description: 'Comments on it (the comments table).' },
    { name: 'grouping_reason', type: 'text', description: 'Why Bugsnag grouped its events together.' },
    { name: 'discarded', type: 'boolean', description: 'Whether Bugsnag discards its new events.' },
    { name: 'linked_issues', type: 'json', description: 'Issues linked to it in other trackers (JSON array).' },
    { name: 'url', type: 'text', description: 'Its page on the Bugsnag dashboard.' },
  ],
  read: (ctx) => {
    const { project } = projectPartition(ctx, 'errors');
    const { filters } = ctx.options;
    const toRecord = (e: ErrorGroup) => withParents(e, { project_id: project.id });
    const window = windowPasses<ErrorGroup>(ctx, {
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
      toRecord,
      fullPassMs: ctx.options.errorsFullPassMs,
      sortedLimit: SORTED_ERRORS_LIMIT,
      storedCursor: 'last_seen_unfiltered',
    });
    return withStatusPass(ctx, window, { projectId: project.id, sortedLimit: SORTED_ERRORS_LIMIT, toRecord });
  },
});
