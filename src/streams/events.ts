import { z } from 'zod';
import type { Event } from '../bugsnag/models/event.js';
import { EventSchema } from '../bugsnag/models/event.js';
import { defineStream, type StreamRecord } from './types.js';
import { projectPartition, withParents } from './util.js';
import { windowPasses } from './window.js';
import { booleanOption } from './options.js';

/**
 * Events (occurrences), newest first by `received_at`, cut server-side with `filters[event.since]` so an incremental
 * pass never walks old pages. Summary rows by default; full reports (threads, breadcrumbs, metaData) with the
 * source's `full_reports` option, sent as the `full_reports=true` query parameter (Airbyte sends it as a header and
 * silently gets summaries). Events are immutable, but Bugsnag does not report deletions: a deleted event stays.
 */
export const events = defineStream({
  name: 'events',
  description: 'Every event (occurrence): summary rows, or full reports with the full_reports option.',
  endpoint: 'GET /projects/{project_id}/events?filters[event.since]=…&base=…[&full_reports=true]',
  options: z.object({
    full_reports: booleanOption({
      title: 'Full event reports',
      description: 'Events as full reports (threads, breadcrumbs, metaData) instead of summaries: much more data',
      default: false,
    }),
  }),
  schema: EventSchema.extend({ project_id: z.string() }),
  primaryKey: ['project_id', 'id'],
  partition: 'project',
  syncModes: ['full_refresh', 'incremental'],
  cursor: { field: 'received_at', order: 'newest-first', serverFilter: 'event.since' },
  heavy: false,
  columns: [
    { name: 'project_id', type: 'text' },
    { name: 'id', type: 'text' },
    { name: 'error_id', type: 'text' },
    // Older list pages spelled it `receivedAt`; summary rows and full reports name the error differently.
    { name: 'received_at', type: 'timestamp', or: [['receivedAt']] },
    {
      name: 'error_class',
      type: 'text',
      or: [
        ['exceptions', '0', 'errorClass'],
        ['exceptions', '0', 'error_class'],
      ],
    },
    { name: 'message', type: 'text', or: [['exceptions', '0', 'message']] },
    { name: 'severity', type: 'text' },
    { name: 'unhandled', type: 'boolean' },
    { name: 'context', type: 'text' },
    { name: 'release_stage', type: 'text', path: ['app', 'releaseStage'] },
    { name: 'app_version', type: 'text', path: ['app', 'version'] },
    { name: 'is_full_report', type: 'boolean' },
    { name: 'user_id', type: 'text', path: ['user', 'id'] },
    { name: 'user_email', type: 'text', path: ['user', 'email'] },
    { name: 'os_name', type: 'text', path: ['device', 'osName'] },
    { name: 'browser_name', type: 'text', path: ['device', 'browserName'] },
  ],
  read: (ctx) => {
    const { project } = projectPartition(ctx, 'events');
    const { fullReports, filters } = ctx.options;
    return windowPasses<Event>(ctx, {
      cursorOf: (e) => e.received_at ?? e.receivedAt,
      open: (w, resumeFrom) =>
        ctx.api.events.list(
          project.id,
          resumeFrom
            ? { resumeFrom }
            : {
                base: w.base,
                fullReports,
                filters,
                ...(w.since !== null ? { since: w.since } : {}),
                ...(w.before !== null ? { before: w.before } : {}),
              },
        ),
      toRecord: (e) => eventRecord(e, project.id),
    });
  },
});

/**
 * The event as Bugsnag sent it, plus `project_id`: nothing else. The typed columns find `error_class`, `message` and
 * `received_at` where each kind of row puts them (see the columns' `or`).
 */
export function eventRecord(e: Event, projectId: string): StreamRecord {
  return withParents(e, { project_id: projectId });
}
