import { isoSecMs } from '../format.js';
import type { ReopenRules, ProjectData } from '../data/project.js';
import type { ErrorStatus } from '../data/errors.js';
import { commentsOf } from '../data/comments.js';
import type { Reopening } from '../data/reopen.js';
import { eventFull } from '../views/events.js';
import type { ReleaseSeed } from '../data/releases.js';

/**
 * The JSON Bugsnag's Webhook integration POSTs (docs.bugsnag.com/product/integrations/webhook, "JSON payload"):
 * `account`, `project`, `trigger`, `error` always; `comment` and `user` for the comment trigger. The documented
 * `error` object describes the event that fired the trigger (its `id` is the event's, `errorId` the error's); for
 * triggers without an event (a manual state change, a comment) it describes the error's latest event. Where the
 * page leaves a value open (trigger messages, the comment object) the choice is written in docs/simulator.md.
 */
export type TriggerType =
  | 'exception'
  | 'firstException'
  | 'powerTen'
  | 'reopened'
  | 'errorStateManualChange'
  | 'comment'
  | 'release'
  | 'projectSpiking'
  | 'errorEventFrequency'
  | 'projectSamplingStarted'
  | 'projectApproachingRateLimit';

/**
 * Every trigger name the page documents (a target may ask for any); the simulator fires all but the last two
 * (sampling and rate limiting are not simulated).
 */
export const TRIGGER_TYPES: readonly TriggerType[] = [
  'exception',
  'firstException',
  'powerTen',
  'reopened',
  'errorStateManualChange',
  'comment',
  'release',
  'projectSpiking',
  'errorEventFrequency',
  'projectSamplingStarted',
  'projectApproachingRateLimit',
];

/** "An error has occurred 10, 100, 1000 then each 1000 more times." */
export function isPowerTen(occurrence: number): boolean {
  return occurrence === 10 || occurrence === 100 || (occurrence >= 1000 && occurrence % 1000 === 0);
}

export type TriggerFacts =
  | { type: 'exception' | 'firstException' | 'powerTen'; occurrence: number }
  | { type: 'reopened'; reopening: Reopening }
  | { type: 'errorStateManualChange'; from: ErrorStatus; to: ErrorStatus; rule: ReopenRules | null }
  | { type: 'comment'; comment: number; user: number }
  /** The error passed `events` events within `minutes` (the target's event_frequency). */
  | { type: 'errorEventFrequency'; events: number; minutes: number };

/** Triggers about the project rather than one error: no `error` object. */
export type ProjectTriggerFacts =
  | { type: 'release'; release: ReleaseSeed }
  /** `rate`: the project's events in the last minute. */
  | { type: 'projectSpiking'; rate: number };

export function webhookPayload(
  pd: ProjectData,
  origin: string,
  e: number,
  event: number | null,
  facts: TriggerFacts,
): Record<string, unknown> {
  const world = pd.world;
  const { body, projectUrl } = head(pd, origin, trigger(facts));
  body.error = errorObject(pd, origin, projectUrl, e, event);
  if (facts.type === 'comment') {
    const c = commentsOf(pd, e).find((x) => x.index === facts.comment);
    const u = world.users[facts.user]!;
    body.comment = c ? { id: c.id, message: c.message, createdAt: isoSecMs(Math.floor(c.createdMs / 1000)) } : {};
    body.user = { id: u.id, name: u.name ?? u.email, email: u.email };
  }
  return body;
}

/**
 * A project trigger's message: `account`, `project`, `trigger`, and for `release` the `release` object (the page's
 * fields: id, version, versionCode, bundleVersion, releaseStage, url, releaseTime, releasedBy, sourceControl,
 * metadata). `projectSpiking` carries `trigger.rate`.
 */
export function projectPayload(pd: ProjectData, origin: string, facts: ProjectTriggerFacts): Record<string, unknown> {
  if (facts.type === 'projectSpiking')
    return head(pd, origin, { type: facts.type, message: 'Project spiking', rate: facts.rate }).body;
  const r = facts.release;
  const { body, projectUrl } = head(pd, origin, { type: 'release', message: 'New release' });
  body.release = {
    id: r.id,
    version: r.appVersion,
    versionCode: r.versionCode || null,
    bundleVersion: null,
    releaseStage: r.stage,
    url: `${projectUrl}/releases/${r.id}`,
    releaseTime: isoSecMs(r.timeSec),
    releasedBy: r.builderName || null,
    metadata: {},
  };
  return body;
}

function head(
  pd: ProjectData,
  origin: string,
  trigger: Record<string, unknown>,
): { body: Record<string, unknown>; projectUrl: string } {
  const org = pd.world.orgs[pd.project.org]!;
  const projectUrl = `${origin}/${org.slug}/${pd.project.slug}`;
  const body: Record<string, unknown> = {
    account: { id: org.id, name: org.name, url: `${origin}/accounts/${org.slug}` },
    project: { id: pd.project.id, name: pd.project.name, url: projectUrl },
    trigger,
  };
  return { body, projectUrl };
}

function trigger(f: TriggerFacts): Record<string, unknown> {
  switch (f.type) {
    case 'firstException':
      return { type: f.type, message: 'New error' };
    case 'exception':
      return { type: f.type, message: `${ordinal(f.occurrence)} exception` };
    case 'powerTen':
      return { type: f.type, message: `${ordinal(f.occurrence)} exception` };
    case 'reopened': {
      const rule = snoozeRule(f.reopening.rule);
      return {
        type: f.type,
        message: f.reopening.from === 'snoozed' ? 'Error unsnoozed' : 'Error reopened',
        ...(rule ? { snoozeRule: rule } : {}),
      };
    }
    case 'errorStateManualChange': {
      const change = stateChange(f.from, f.to);
      const rule = change === 'snoozed' ? snoozeRule(f.rule) : null;
      return {
        type: f.type,
        message: STATE_MESSAGES[change],
        stateChange: change,
        ...(rule ? { snoozeRule: rule } : {}),
      };
    }
    case 'comment':
      return { type: f.type, message: 'Comment added' };
    case 'errorEventFrequency':
      return { type: f.type, message: `Occurred ${f.events} times in ${span(f.minutes)}` };
  }
}

type StateChange = 'fixed' | 'reopened' | 'snoozed' | 'snoozeCancelled' | 'ignored' | 'unignored';
const STATE_MESSAGES: Record<StateChange, string> = {
  fixed: 'Error marked as fixed',
  reopened: 'Error reopened',
  snoozed: 'Error snoozed',
  snoozeCancelled: 'Error snooze cancelled',
  ignored: 'Error ignored',
  unignored: 'Error unignored',
};

/** The documented `stateChange` values: fixed, reopened, snoozed, snoozeCancelled, ignored, unignored. */
function stateChange(from: ErrorStatus, to: ErrorStatus): StateChange {
  if (to === 'fixed' || to === 'snoozed' || to === 'ignored') return to;
  if (from === 'snoozed') return 'snoozeCancelled';
  if (from === 'ignored') return 'unignored';
  return 'reopened';
}

/** The documented rule types are occurrences, occurrence_per_hour and occurs_after (the value in minutes). */
function snoozeRule(r: ReopenRules | null): { type: string; ruleValue: number } | null {
  if (!r) return null;
  switch (r.reopen_if) {
    case 'n_additional_occurrences':
      return { type: 'occurrences', ruleValue: Number(r.additional_occurrences) };
    case 'n_occurrences_in_m_hours':
      return { type: 'occurrence_per_hour', ruleValue: Number(r.occurrences) };
    case 'occurs_after':
      return { type: 'occurs_after', ruleValue: Math.round(Number(r.seconds) / 60) };
    default:
      return null;
  }
}

function errorObject(
  pd: ProjectData,
  origin: string,
  projectUrl: string,
  e: number,
  event: number | null,
): Record<string, unknown> {
  const seed = pd.errorSeed(e);
  const st = pd.peekState(e);
  const total = pd.totalOccurrences(e);
  const i = event ?? (total > 0 ? pd.occurrenceIndex(e, total - 1) : null);
  const firstSec = total > 0 ? pd.timeOf(pd.occurrenceIndex(e, 0)) : seed.createdSec;
  const out: Record<string, unknown> = {};
  const full = i === null ? null : eventFull(pd, origin, i);
  if (full) out.id = full.id;
  out.errorId = seed.id;
  out.exceptionClass = seed.errorClass;
  out.message = seed.message;
  out.context = seed.context;
  const app = (full?.app ?? {}) as Record<string, unknown>;
  if (typeof app.version === 'string') out.appVersion = app.version;
  out.releaseStage = typeof app.releaseStage === 'string' ? app.releaseStage : (seed.stages[0] ?? 'production');
  out.firstReceived = isoSecMs(firstSec);
  out.receivedAt = i === null ? isoSecMs(firstSec) : isoSecMs(pd.timeOf(i));
  const request = (full?.request ?? {}) as Record<string, unknown>;
  if (typeof request.url === 'string') out.requestUrl = request.url;
  const user = (full?.user ?? {}) as Record<string, unknown>;
  if (typeof user.id === 'string') out.userId = user.id;
  out.url = `${projectUrl}/errors/${seed.id}${full ? `?event_id=${String(full.id)}` : ''}`;
  out.severity = st.overriddenSeverity ?? seed.severity;
  // Not in the stored copy of the page; the current page lists them (test/fixtures/bugsnag-webhook/README.md).
  out.status = st.status;
  out.unhandled = seed.unhandled;
  if (st.assignee >= 0) out.assignedUserId = pd.world.users[st.assignee]!.id;
  const issue = st.createdIssue ?? st.linkedIssues[0];
  if (issue) out.createdIssue = { id: issue.key, number: issue.number, type: issue.type, url: issue.url };
  if (full) {
    out.metaData = full.metaData;
    const frames = ((full.exceptions as Array<Record<string, unknown>>)[0]?.stacktrace ?? []) as Array<
      Record<string, unknown>
    >;
    out.stackTrace = frames.map((f) => ({
      inProject: f.in_project,
      lineNumber: f.line_number,
      ...(f.column_number === null ? {} : { columnNumber: f.column_number }),
      file: f.file,
      method: f.method,
      ...(f.code ? { code: f.code } : {}),
    }));
  }
  return out;
}

/** "1 hour", "3 hours", "90 minutes": the window as the integration's settings word it. */
function span(minutes: number): string {
  if (minutes % 60 === 0) return minutes === 60 ? '1 hour' : `${minutes / 60} hours`;
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}
