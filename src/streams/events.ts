import { z } from 'zod';
import type { Event } from '../bugsnag/models/event.js';
import { EventSchema } from '../bugsnag/models/event.js';
import { defineStream, type StreamRecord } from './types.js';
import { projectPartition } from './util.js';
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
  schema: EventSchema.extend({
    project_id: z.string(),
    error_class: z.string().nullish(),
    message: z.string().nullish(),
  }),
  primaryKey: ['project_id', 'id'],
  partition: 'project',
  syncModes: ['full_refresh', 'incremental'],
  cursor: { field: 'received_at', order: 'newest-first', serverFilter: 'event.since' },
  heavy: false,
  columns: [
    { name: 'project_id', type: 'text' },
    { name: 'id', type: 'text' },
    { name: 'error_id', type: 'text' },
    { name: 'received_at', type: 'timestamp' },
    { name: 'error_class', type: 'text' },
    { name: 'message', type: 'text' },
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
      cursorOf: (e) => e.received_at,
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
 * The event as Bugsnag sent it, plus `project_id`, and `error_class` / `message` from the first exception when the
 * row does not carry them at the top level (summary rows and full reports name them differently).
 */
export function eventRecord(e: Event, projectId: string): StreamRecord {
  const first = e.exceptions?.[0] as (Record<string, unknown> & { errorClass?: unknown }) | undefined;
  const cls = e.error_class ?? str(first?.errorClass) ?? str(first?.error_class);
  const msg = e.message ?? str(first?.message);
  return { ...e, project_id: projectId, error_class: cls ?? null, message: msg ?? null };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
