import { SnagError } from '../../core/errors.js';
import type { Destination, DestinationRecord } from '../../destinations/types.js';
import type { Source } from '../../store/models.js';
import type { WebhookInboxEntry } from '../../store/webhooks.js';
import { descriptorOf, getStream } from '../../streams/index.js';
import { selectStreams } from '../config.js';
import { mapMessage, WEBHOOK_EVENTS } from './map.js';
import { WebhookPayload } from './payload.js';

/**
 * Applies one inbox message to its source's destination: the streams it maps to, through `writeRecords` (never back
 * in time: errors by `last_seen_unfiltered`, events by `received_at`) and `recordObservations` (an error's status).
 * Only streams the source syncs are written, and only for projects it covers; a message about anything else is kept
 * in the inbox as ignored, with the reason. Returns that reason, or null when something was written.
 */

/** The column a stored row must not be newer by for a pushed record to replace it. */
const NEWER_BY: Readonly<Record<string, string>> = { errors: 'last_seen_unfiltered', events: 'received_at' };
const STREAM_ORDER = ['errors', 'events', 'comments', 'releases'] as const;

/**
 * The full report of an event, for a source that syncs full reports (the message carries a summary of it): one GET
 * through the token's shared limiter. Null when it could not be read (the summary is written; the next incremental
 * pass brings the full report).
 */
export type FullEventReader = (projectId: string, eventId: string) => Promise<DestinationRecord | null>;

export async function applyMessage(
  source: Source,
  dest: Destination,
  entry: WebhookInboxEntry,
  fullEvent?: FullEventReader,
): Promise<string | null> {
  let json: unknown;
  try {
    json = JSON.parse(entry.body);
  } catch {
    return 'the body is not JSON';
  }
  const parsed = WebhookPayload.safeParse(json);
  if (!parsed.success) return 'the body names no project.id or trigger.type';
  const p = parsed.data;
  const outside = projectOutside(source, p.project.id, p.account?.id);
  if (outside) return outside;

  const m = mapMessage(p, entry);
  const synced = new Set(selectStreams(source.config));
  const wanted = STREAM_ORDER.filter((s) => m[s] !== undefined && synced.has(s));
  const skipped = STREAM_ORDER.filter((s) => m[s] !== undefined && !synced.has(s));
  const writes = wanted.length + (m.webhook_events ? 1 : 0) + (m.status && synced.has('errors') ? 1 : 0);
  if (writes === 0) {
    const why = [
      ...(skipped.length ? [`the source does not sync ${skipped.join(', ')}`] : []),
      ...(m.status && !synced.has('errors') ? ['the source does not sync errors'] : []),
      ...m.missing.map((x) => `the message lacks ${x}`),
    ];
    return why.length ? why.join('; ') : `nothing to write for trigger ${p.trigger.type}`;
  }

  const pushed = need(dest, 'writeRecords');
  await dest.prepare([...wanted.map((s) => descriptorOf(getStream(s))), ...(m.webhook_events ? [WEBHOOK_EVENTS] : [])]);
  const observed = { at: m.at, by: 'webhook' as const };
  for (const stream of wanted) {
    let record = m[stream] as DestinationRecord;
    if (stream === 'events' && fullEvent && source.config.full_reports === true) {
      const full = await fullEvent(p.project.id, String(record.id));
      // The report as the events list gives it with full_reports; the message's time stays the row's receipt.
      if (full) record = { ...full, project_id: p.project.id, received_at: record.received_at ?? full.received_at };
    }
    const newerBy = NEWER_BY[stream];
    await pushed.call(dest, stream, [record], {
      sourceId: source.id,
      observed,
      ...(newerBy ? { newerBy } : {}),
    });
  }
  if (m.webhook_events)
    await pushed.call(dest, WEBHOOK_EVENTS.name, [m.webhook_events], { sourceId: source.id, observed });
  if (m.status && synced.has('errors')) {
    if (!wanted.includes('errors')) await dest.prepare([descriptorOf(getStream('errors'))]);
    await need(dest, 'recordObservations').call(dest, 'errors', [
      { sourceId: source.id, key: m.status.key, changes: { status: m.status.status }, at: m.at, by: 'webhook' },
    ]);
  }
  return null;
}

/** Why a message about this project is not the source's business, or null when the source covers it. */
export function projectOutside(source: Source, projectId: string, accountId: string | undefined): string | null {
  const c = source.config;
  if (c.projects?.length && !c.projects.includes(projectId))
    return `project ${projectId} is not among the source's projects`;
  if (c.exclude_projects?.includes(projectId)) return `project ${projectId} is excluded by the source`;
  if (!c.projects?.length && c.organizations?.length && accountId !== undefined && !c.organizations.includes(accountId))
    return `organization ${accountId} is not among the source's organizations`;
  return null;
}

function need<K extends 'writeRecords' | 'recordObservations'>(
  dest: Destination,
  method: K,
): NonNullable<Destination[K]> {
  const fn = dest[method];
  if (typeof fn !== 'function') {
    throw new SnagError(
      'config',
      `The destination (${dest.kind}) cannot take records pushed by a webhook: it has no ${method}.`,
      { hint: 'Webhooks write to SQLite, PostgreSQL and JSONL destinations; the next sync brings the same data.' },
    );
  }
  return fn as NonNullable<Destination[K]>;
}
