import { parseTimestamp, toIso } from '../../core/time.js';
import type { StreamDescriptor } from '../../core/stream-shape.js';
import { EVENT_TRIGGERS, type WebhookPayload } from './payload.js';

/**
 * What a webhook message says, as records of the shapes the Data Access API gives (the streams' records: snake_case
 * fields, `project_id` added), so the typed columns read them as they read a sync's. A field the message does not
 * carry is left out rather than guessed; the next poll brings the whole record. Where each field comes from is written
 * in docs/bugsnag-api.md (Webhooks).
 */

export type Row = Record<string, unknown>;

export interface MappedMessage {
  /** The time Bugsnag states for what happened (the event's receipt), else the time snagsync received the message. */
  at: string;
  errors?: Row;
  events?: Row;
  comments?: Row;
  releases?: Row;
  /** A change of the error's status learned without the whole error (manual change, automatic reopen). */
  status?: { key: { project_id: string; id: string }; status: string };
  /** Triggers about the project rather than one error (spikes, rate limiting…), and anything unknown. */
  webhook_events?: Row;
  /** What the message lacked to be applied as its trigger says, in words. */
  missing: string[];
}

/** The table of project-level triggers and of any trigger snagsync does not map (prepared like a stream's). */
export const WEBHOOK_EVENTS: StreamDescriptor = {
  name: 'webhook_events',
  description:
    'Bugsnag webhook messages about a project rather than one error (projectSpiking, projectSamplingStarted…), one row per message.',
  primaryKey: ['id'],
  columns: [
    { name: 'id', type: 'text', description: 'The message (its inbox id in the snagsync store).' },
    { name: 'project_id', type: 'text', description: 'The project (projects.id).' },
    { name: 'organization_id', type: 'text', description: 'The account (organizations.id) the message names.' },
    { name: 'trigger', type: 'text', description: 'The trigger type: projectSpiking, projectSamplingStarted, …' },
    { name: 'message', type: 'text', description: "The trigger's message, as Bugsnag words it." },
    { name: 'received_at', type: 'timestamp', description: 'When snagsync received the message.' },
  ],
  indexes: [['project_id', 'received_at']],
};

const EVENT_ID_IN_URL = /[?&]event_id=([0-9a-zA-Z]+)/;
const ERROR_ID_IN_URL = /\/errors\/([0-9a-zA-Z]+)/;

/**
 * `trigger.stateChange` of a manual change, as the status the error is left in: the page names the changes (fixed,
 * reopened, snoozed, snoozeCancelled, ignored, unignored), not the statuses.
 */
const STATUS_AFTER: Readonly<Record<string, string>> = {
  fixed: 'fixed',
  snoozed: 'snoozed',
  ignored: 'ignored',
  reopened: 'open',
  snoozeCancelled: 'open',
  unignored: 'open',
};

export function mapMessage(p: WebhookPayload, entry: { id: string; received_at: string }): MappedMessage {
  const projectId = p.project.id;
  const type = p.trigger.type;
  const e = p.error ?? undefined;
  // The page's `error` describes the event that fired the trigger: `errorId` is the error, `id` the event.
  const errorId = e?.errorId ?? (e?.url ? ERROR_ID_IN_URL.exec(e.url)?.[1] : undefined);
  const eventAt = iso(p.event?.receivedAt ?? p.event?.received_at ?? e?.receivedAt);
  // An event trigger happened when its event was received; a manual change, a comment or a release states no time of
  // its own (the error's receivedAt in such a message is its last event's), so it happened when it was sent.
  const at = (EVENT_TRIGGERS.has(type) ? eventAt : undefined) ?? entry.received_at;
  const out: MappedMessage = { at, missing: [] };

  if (EVENT_TRIGGERS.has(type) || type === 'errorStateManualChange' || type === 'comment') {
    if (!e || errorId === undefined) {
      out.missing.push(`a ${type} message without error.errorId`);
      return out;
    }
  }

  if (EVENT_TRIGGERS.has(type) && e && errorId !== undefined) {
    const errorClass = e.exceptionClass ?? e.errorClass ?? undefined;
    out.errors = compact({
      ...e,
      id: errorId,
      project_id: projectId,
      error_class: errorClass,
      message: e.message,
      context: e.context,
      severity: e.severity,
      status: e.status ?? (type === 'reopened' ? 'open' : undefined),
      first_seen_unfiltered: iso(e.firstReceived),
      last_seen_unfiltered: eventAt,
      url: e.url,
      assigned_collaborator_id: e.assignedUserId,
    });
    const eventId =
      p.event?.id ?? e.eventId ?? (e.errorId !== undefined ? e.id : undefined) ?? eventIdInUrl(e.url ?? undefined);
    if (eventId === undefined) out.missing.push('the event id (neither event.id nor error.url names it)');
    else if (eventAt === undefined) out.missing.push("the event's receipt time");
    else {
      const app = (p.event?.app ?? e.app) as Row | undefined;
      const releaseStage = e.releaseStage ?? (app?.releaseStage as string | undefined);
      const version = (e.appVersion as string | undefined) ?? (app?.version as string | undefined);
      out.events = compact({
        ...(p.event ?? {}),
        id: eventId,
        project_id: projectId,
        error_id: errorId,
        received_at: eventAt,
        exceptions: [compact({ errorClass, message: e.message })],
        severity: e.severity,
        unhandled: e.unhandled,
        context: e.context,
        ...(app || releaseStage || version ? { app: compact({ ...(app ?? {}), releaseStage, version }) } : {}),
        ...(e.userId !== undefined ? { user: { id: e.userId } } : {}),
        ...(e.metaData !== undefined ? { metaData: e.metaData } : {}),
        is_full_report: false,
        url: e.url,
      });
    }
  }

  if (type === 'reopened' || type === 'errorStateManualChange') {
    const change = p.trigger.stateChange ?? undefined;
    const status =
      type === 'reopened' ? 'open' : ((change ? STATUS_AFTER[change] : undefined) ?? e?.status ?? undefined);
    if (status && errorId !== undefined) out.status = { key: { project_id: projectId, id: errorId }, status };
    else if (!status) out.missing.push('the new status (trigger.stateChange or error.status)');
  }

  if (type === 'comment' && errorId !== undefined) {
    const c = p.comment ?? undefined;
    if (!c || c.id === undefined) out.missing.push('comment.id');
    else
      out.comments = compact({
        ...c,
        id: c.id,
        project_id: projectId,
        error_id: errorId,
        message: c.message,
        created_at: iso((c as Row).createdAt ?? (c as Row).created_at) ?? entry.received_at,
        ...(p.user ? { collaborator: compact({ id: p.user.id, name: p.user.name, email: p.user.email }) } : {}),
      });
  }

  if (type === 'release') {
    const r = (p.release ?? undefined) as Row | undefined;
    if (!r || r.id === undefined) out.missing.push('release.id');
    else {
      const stage = (r.releaseStage ?? r.release_stage) as unknown;
      out.releases = compact({
        ...r,
        id: String(r.id),
        project_id: projectId,
        release_time: iso(r.releaseTime ?? r.release_time),
        app_version: r.version ?? r.appVersion ?? r.app_version,
        app_version_code: r.versionCode ?? r.app_version_code,
        build_label: r.buildLabel ?? r.build_label,
        builder_name: r.releasedBy ?? r.builderName ?? r.builder_name,
        release_source: r.releaseSource ?? r.release_source,
        release_stage: typeof stage === 'string' ? { name: stage } : stage,
      });
    }
  }

  const known = EVENT_TRIGGERS.has(type) || ['errorStateManualChange', 'comment', 'release'].includes(type);
  if (!known) {
    out.webhook_events = compact({
      ...p,
      id: entry.id,
      project_id: projectId,
      organization_id: p.account?.id,
      trigger: type,
      message: p.trigger.message,
      received_at: entry.received_at,
    });
  }
  return out;
}

function eventIdInUrl(url: string | undefined): string | undefined {
  return url ? EVENT_ID_IN_URL.exec(url)?.[1] : undefined;
}

function iso(value: unknown): string | undefined {
  const d = parseTimestamp(value);
  return d ? toIso(d) : undefined;
}

/** Leaves out what the message did not say, so a stored value is never replaced by a guess. */
function compact(row: Row): Row {
  return Object.fromEntries(Object.entries(row).filter(([, v]) => v !== undefined && v !== null));
}
