import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Severity } from '../data/errors.js';
import type { ProjectData } from '../data/project.js';
import type { World } from '../data/world.js';
import type { SimState } from '../state.js';

/**
 * The Error Reporting API (notify.bugsnag.com, payload version 4) and the session endpoint (sessions.bugsnag.com),
 * so a real notifier such as `@bugsnag/node` can report to the simulator. A notifier POSTs to its configured
 * endpoint exactly, so `POST /notify` and `POST /` both take events and `POST /sessions` takes sessions. The project
 * is named by its notifier API key (`Bugsnag-Api-Key` header, else `apiKey` in the body), never by a personal token.
 *
 * Each event joins an error as Bugsnag groups them: its `groupingHash` if given, else the first exception's class
 * and top in-project frame (file + method). Events land through SimState.addEvents, the path `POST /__sim/events`
 * takes, so lists, counts and webhooks see them the same way.
 */
export const NOTIFY_PATHS = ['/notify', '/'];
export const SESSIONS_PATH = '/sessions';
/** Bugsnag's 1 MB payload limit, read as the size `@bugsnag/node` warns at (10e5 bytes) as "oversized". */
export const MAX_NOTIFY_BYTES = 1_000_000;

export interface NotifyStats {
  /** Accepted payloads (200) and the events in them that were turned into simulator events. */
  payloads: number;
  events: number;
  /** Events in an accepted payload that had no usable exception, so were dropped. */
  discarded: number;
  /** Errors created by a notified event (a new group). */
  errors_created: number;
  /** Releases created by a notified event naming an app version its release stage had not seen. */
  releases_created: number;
  sessions: number;
  /** Refused requests by status: 400 malformed, 401 unknown key, 413 too large. */
  refused: Record<string, number>;
}

export interface NotifyDeps {
  sim: SimState;
}

export function isNotifyRequest(method: string, path: string): boolean {
  return method === 'POST' && (NOTIFY_PATHS.includes(path) || path === SESSIONS_PATH);
}

const Frame = z.object({
  file: z.string().optional().catch(undefined),
  method: z.string().optional().catch(undefined),
  lineNumber: z.number().optional().catch(undefined),
  inProject: z.boolean().optional().catch(undefined),
});
const Exception = z.object({
  errorClass: z.string().min(1),
  message: z.string().optional().catch(undefined),
  stacktrace: z.array(Frame).optional().catch(undefined),
});
const NotifiedEvent = z.object({
  exceptions: z.array(Exception).min(1),
  groupingHash: z.string().optional().catch(undefined),
  context: z.string().optional().catch(undefined),
  severity: z.enum(['error', 'warning', 'info']).optional().catch(undefined),
  unhandled: z.boolean().optional().catch(undefined),
  app: z
    .object({
      releaseStage: z.string().optional().catch(undefined),
      version: z.string().optional().catch(undefined),
      versionCode: z.union([z.string(), z.number()]).optional().catch(undefined),
    })
    .optional()
    .catch(undefined),
  user: z.object({ id: z.unknown().optional() }).optional().catch(undefined),
});
type NotifiedEvent = z.infer<typeof NotifiedEvent>;

/** Per simulator: counters and each project's grouping keys → error index (built lazily from generated errors). */
interface Ledger {
  stats: NotifyStats;
  keys: Map<number, Map<string, number>>;
  apiKeys: Map<string, number> | null;
}
const ledgers = new WeakMap<SimState, Ledger>();

function ledgerOf(sim: SimState): Ledger {
  let l = ledgers.get(sim);
  if (!l) {
    l = {
      stats: {
        payloads: 0,
        events: 0,
        discarded: 0,
        errors_created: 0,
        releases_created: 0,
        sessions: 0,
        refused: {},
      },
      keys: new Map(),
      apiKeys: null,
    };
    ledgers.set(sim, l);
  }
  return l;
}

export function notifyStats(sim: SimState): NotifyStats {
  const s = ledgerOf(sim).stats;
  return { ...s, refused: { ...s.refused } };
}

export async function serveNotify(d: NotifyDeps, req: IncomingMessage, res: ServerResponse, path: string) {
  const ledger = ledgerOf(d.sim);
  const refuse = (status: number, message: string) => {
    ledger.stats.refused[String(status)] = (ledger.stats.refused[String(status)] ?? 0) + 1;
    answer(res, status, message);
  };

  const raw = await readLimited(req, MAX_NOTIFY_BYTES);
  if (raw === null) return refuse(413, 'Payload too large');
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return refuse(400, 'Bad Request: malformed JSON');
  }
  const obj = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const header = req.headers['bugsnag-api-key'];
  const key = (typeof header === 'string' && header.trim()) || (typeof obj.apiKey === 'string' ? obj.apiKey : '');
  const gi = key ? projectByApiKey(ledger, d.sim.world, key) : undefined;
  if (gi === undefined) return refuse(401, key ? 'Unauthorized: unknown API key' : 'Unauthorized: API key missing');

  if (path === SESSIONS_PATH) {
    // Sessions are only counted: the simulator's stability figures are generated, not derived from them.
    const sessions = Array.isArray(obj.sessionCounts)
      ? obj.sessionCounts.reduce((n: number, c) => n + Number((c as Record<string, unknown>)?.sessionsStarted ?? 0), 0)
      : Array.isArray(obj.sessions)
        ? obj.sessions.length
        : 0;
    ledger.stats.sessions += sessions;
    return answer(res, 202, 'Accepted');
  }

  if (!Array.isArray(obj.events)) return refuse(400, 'Bad Request: no events');
  const nowMs = Date.now();
  const pd = d.sim.project(gi);
  ledger.stats.payloads++;
  for (const raw of obj.events) {
    const ev = NotifiedEvent.safeParse(raw);
    if (!ev.success) {
      ledger.stats.discarded++;
      continue;
    }
    if (releaseOf(d.sim, pd, ev.data, nowMs)) ledger.stats.releases_created++;
    const e = groupOf(ledger, pd, ev.data, nowMs);
    d.sim.addEvents(gi, 1, e, nowMs, true);
    ledger.stats.events++;
  }
  answer(res, 200, 'OK');
}

/**
 * Bugsnag makes a release from events when an event names an app version its release stage has no release for
 * (release_source "event"); that fires the `release` webhook trigger. Events without `app.version` make none.
 */
function releaseOf(sim: SimState, pd: ProjectData, ev: NotifiedEvent, nowMs: number): boolean {
  const version = ev.app?.version;
  if (!version) return false;
  const stage = ev.app?.releaseStage || pd.project.releaseStages[0] || 'production';
  if (pd.releases.releases.some((r) => r.stage === stage && r.appVersion === version)) return false;
  const code = ev.app?.versionCode;
  sim.addRelease(
    pd.project.gi,
    { appVersion: version, stage, source: 'event', ...(code !== undefined ? { versionCode: String(code) } : {}) },
    nowMs,
  );
  return true;
}

function projectByApiKey(ledger: Ledger, world: World, key: string): number | undefined {
  if (!ledger.apiKeys) ledger.apiKeys = new Map(world.projects.map((p) => [p.apiKey, p.gi]));
  return ledger.apiKeys.get(key);
}

/** Bugsnag's grouping: the grouping hash when the notifier sets one; else class + top in-project frame. */
export function groupingKey(ev: NotifiedEvent): { key: string; frame: z.infer<typeof Frame> | null } {
  const ex = ev.exceptions[0]!;
  const frames = ex.stacktrace ?? [];
  // Without an in-project frame the top frame stands in, and without frames the context (what Bugsnag falls back on).
  const frame = frames.find((f) => f.inProject === true) ?? frames[0] ?? null;
  if (ev.groupingHash) return { key: `hash\u0000${ev.groupingHash}`, frame };
  if (frame) return { key: frameKey(ex.errorClass, frame.file ?? '', frame.method ?? ''), frame };
  return { key: `context\u0000${ex.errorClass}\u0000${ev.context ?? ''}`, frame };
}

const frameKey = (cls: string, file: string, method: string) => `frame\u0000${cls}\u0000${file}\u0000${method}`;

function groupOf(ledger: Ledger, pd: ProjectData, ev: NotifiedEvent, nowMs: number): number {
  const keys = keysOf(ledger, pd);
  const { key, frame } = groupingKey(ev);
  const known = keys.get(key);
  if (known !== undefined && !pd.isDeleted(known)) return known;
  const ex = ev.exceptions[0]!;
  const stage = ev.app?.releaseStage || pd.project.releaseStages[0] || 'production';
  const e = pd.addError(Math.floor(nowMs / 1000), {
    errorClass: ex.errorClass,
    message: ex.message ?? '',
    context: ev.context ?? frame?.method ?? '',
    severity: (ev.severity ?? (ev.unhandled ? 'error' : 'warning')) as Severity,
    unhandled: ev.unhandled ?? false,
    file: frame?.file ?? '',
    method: frame?.method ?? '',
    line: frame?.lineNumber ?? 0,
    stages: [stage],
    period: 1,
    hasUsers: ev.user?.id !== undefined && ev.user.id !== null && ev.user.id !== '',
    initialStatus: 'open',
    commentCount: 0,
    groupingReason: ev.groupingHash ? 'grouping_hash' : frame ? 'frame-inner' : 'context-inner',
    assignee: -1,
    linkedIssue: false,
  });
  keys.set(key, e);
  ledger.stats.errors_created++;
  return e;
}

/** Generated errors group like notified ones (their top frame is in the project), so a matching payload joins them. */
function keysOf(ledger: Ledger, pd: ProjectData): Map<string, number> {
  let keys = ledger.keys.get(pd.project.gi);
  if (!keys) {
    keys = new Map();
    for (let e = 0; e < pd.errorCount; e++) {
      const s = pd.errorSeed(e);
      const k = frameKey(s.errorClass, s.file, s.method);
      if (!keys.has(k)) keys.set(k, e);
    }
    ledger.keys.set(pd.project.gi, keys);
  }
  return keys;
}

/** The whole body, or null once it passes `max` bytes (the rest is drained so the answer reaches the client). */
async function readLimited(req: IncomingMessage, max: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > max) over = true;
    if (!over) chunks.push(b);
  }
  return over ? null : Buffer.concat(chunks);
}

function answer(res: ServerResponse, status: number, text: string): void {
  const body = Buffer.from(text, 'utf8');
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(body.length) });
  res.end(body);
}
