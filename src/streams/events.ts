import { z } from 'zod';
import type { Event } from '../bugsnag/models/event.js';
import { EventSchema } from '../bugsnag/models/event.js';
import { defineStream, type StreamRecord } from './types.js';
import { projectPartition, withParents } from './util.js';
import { windowPasses } from './window.js';
import { booleanOption, enumOption, integerOption } from './options.js';
import { BackfillState, bulkBackfill, DEFAULT_BACKFILL_THRESHOLD, newBackfill } from './backfill.js';
import { loadState } from './state.js';
import type { Batch, ReadContext } from './types.js';

/**
 * Events (occurrences), newest first by `received_at`, cut server-side with `filters[event.since]` so an incremental
 * pass never walks old pages. Summary rows by default; full reports (threads, breadcrumbs, metaData) with the
 * source's `full_reports` option, sent as the `full_reports=true` query parameter (Airbyte sends it as a header and
 * silently gets summaries). Events are immutable, but Bugsnag does not report deletions: a deleted event stays.
 *
 * A first sync of a large project goes through event data requests instead (`events_backfill`, backfill.ts): one
 * export per time window rather than one request per 30 events, handing over to this list at an exact boundary.
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
    events_backfill: enumOption(['auto', 'bulk', 'list'] as const, {
      title: 'First sync of events',
      description:
        "How a first sync reads the events history: bulk (event data requests: one export per time window, outside the list's 30 events a request), list (the events list), or auto (bulk when the history holds more events than events_backfill_threshold)",
      default: 'auto',
    }),
    events_backfill_threshold: integerOption(0, 1_000_000_000, {
      description: 'With events_backfill auto: the number of events above which a first sync goes bulk',
      default: DEFAULT_BACKFILL_THRESHOLD,
    }),
  }),
  schema: EventSchema.extend({ project_id: z.string() }),
  primaryKey: ['project_id', 'id'],
  partition: 'project',
  syncModes: ['full_refresh', 'incremental'],
  cursor: { field: 'received_at', order: 'newest-first', serverFilter: 'event.since' },
  heavy: false,
  // An error's events (the join with errors), and events by time (daily counts, recent events).
  indexes: [['project_id', 'error_id'], ['received_at']],
  columns: [
    { name: 'project_id', type: 'text', description: 'The project (projects.id).' },
    { name: 'id', type: 'text', description: 'The event id.' },
    { name: 'error_id', type: 'text', description: 'The error it belongs to (errors.id).' },
    // Older list pages spelled it `receivedAt`; summary rows and full reports name the error differently.
    {
      name: 'received_at',
      type: 'timestamp',
      or: [['receivedAt']],
      description: 'When Bugsnag received it (the incremental cursor).',
    },
    {
      name: 'error_class',
      description: 'Its error class (of the first exception when the row has none of its own).',
      type: 'text',
      or: [
        ['exceptions', '0', 'errorClass'],
        ['exceptions', '0', 'error_class'],
      ],
    },
    {
      name: 'message',
      type: 'text',
      or: [['exceptions', '0', 'message']],
      description: 'Its message (of the first exception when the row has none of its own).',
    },
    { name: 'severity', type: 'text', description: 'error, warning or info.' },
    { name: 'unhandled', type: 'boolean', description: 'Whether it was unhandled (a crash).' },
    { name: 'context', type: 'text', description: 'Where it happened (a route, a screen, a method).' },
    {
      name: 'release_stage',
      type: 'text',
      path: ['app', 'releaseStage'],
      description: 'The app’s release stage (production, staging, …).',
    },
    { name: 'app_version', type: 'text', path: ['app', 'version'], description: 'The app version it happened in.' },
    {
      name: 'is_full_report',
      type: 'boolean',
      description: 'Whether _record holds the full report (threads, breadcrumbs, metaData) or a summary row.',
    },
    { name: 'user_id', type: 'text', path: ['user', 'id'], description: 'The end user’s id, as the app reported it.' },
    {
      name: 'user_email',
      type: 'text',
      path: ['user', 'email'],
      description: 'The end user’s email, as the app reported it.',
    },
    { name: 'os_name', type: 'text', path: ['device', 'osName'], description: 'The device’s operating system.' },
    { name: 'browser_name', type: 'text', path: ['device', 'browserName'], description: 'The browser, for web apps.' },
  ],
  read: (ctx) => readEvents(ctx),
});

/**
 * A backfill in progress goes on; a first sync may start one; everything else (and a fallback) is the list. `auto`
 * decides on the first page of the list's first pass, whose `X-Total-Count` is the size of the history: above the
 * threshold that page is dropped and the history exported instead (one request spent), otherwise the list goes on
 * (none spent).
 */
async function* readEvents(ctx: ReadContext): AsyncGenerator<Batch> {
  const { project } = projectPartition(ctx, 'events');
  const raw = ctx.state as Record<string, unknown> | null;
  const inProgress = raw !== null && typeof raw === 'object' && 'backfill' in raw;
  const firstSync = raw === null || typeof raw !== 'object' || (raw.cursor === undefined && raw.pass === undefined);
  const mode = ctx.options.eventsBackfill ?? 'auto';
  let plan: BackfillState | null = null;
  if (inProgress) plan = loadState(BackfillState, raw.backfill, ctx.warn);
  else if (firstSync && mode === 'bulk') plan = newBackfill(ctx);
  else if (firstSync && mode === 'auto') {
    const threshold = ctx.options.eventsBackfillThreshold ?? DEFAULT_BACKFILL_THRESHOLD;
    const list = listEvents(ctx);
    const first = await list.next();
    const total = first.done ? undefined : first.value.total;
    if (total === undefined || total <= threshold) {
      if (!first.done) {
        yield first.value;
        yield* list;
      }
      return;
    }
    await list.return(undefined);
    plan = newBackfill(ctx, total);
  }
  if (plan) {
    const outcome = yield* bulkBackfill(
      ctx,
      { projectId: project.id, toRecord: (e) => eventRecord(e, project.id) },
      plan,
    );
    if (outcome === 'done') return;
  }
  yield* listEvents(inProgress ? { ...ctx, state: null } : ctx);
}

function listEvents(ctx: ReadContext): AsyncGenerator<Batch> {
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
}

/**
 * The event as Bugsnag sent it, plus `project_id`: nothing else. The typed columns find `error_class`, `message` and
 * `received_at` where each kind of row puts them (see the columns' `or`).
 */
export function eventRecord(e: Event, projectId: string): StreamRecord {
  return withParents(e, { project_id: projectId });
}
