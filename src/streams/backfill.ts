import { z } from 'zod';
import type { BugsnagClient } from '../bugsnag/client.js';
import type { Filters } from '../bugsnag/filters.js';
import type { Event } from '../bugsnag/models/event.js';
import { isSnagError, SnagError } from '../core/errors.js';
import { toIso } from '../core/time.js';
import type { BackfillProgress, Batch, ReadContext, StreamRecord } from './types.js';
import { ms, seconds } from './util.js';

/**
 * Bulk backfill of a project's events through event data requests (docs/bugsnag-api.md §2.13; docs/sync.md "Bulk
 * backfill"): one POST, a few polls and one download per time window, instead of one list request per 30 events.
 *
 * The backfill fixes a boundary T0 (the run's upper bound, `seconds(now)`, the same `base` a first list pass would
 * use) and exports `[start, T0)` (`event.since` inclusive, `event.before` exclusive) with the source's filters. A
 * request Bugsnag refuses as too large (400, "more than the maximum of M per request") is split into time windows
 * small enough for the limit; each window is a unit of its own in the checkpoint:
 *
 *   { backfill: { boundary, windows: [{since, before}…] (the first is the one being read), done,
 *                 request?: { id, written } } }
 *
 * The request id is committed as soon as it exists (a kill while Bugsnag prepares it polls the same request again),
 * and `written`, the records of its download already committed, with every page. A resumed window asks the request
 * for a fresh link and skips that many records of the download (the download of one request is a fixed file), so no
 * record is written twice. A refused (expired) link is fetched again; a request that has EXPIRED is made again and
 * its window written again from its first record (upserts by key keep one row each). When the last window is
 * committed the checkpoint becomes `{ cursor: T0 }`, exactly what a completed first list pass leaves: the next pass
 * tails the list from T0 − look-back, as after any other pass. A 403 on the POST (the plan or the role does not
 * allow exports) leaves the backfill to the list, with a warning in the run.
 *
 * Records: the download holds full event reports, field for field `GET /projects/{id}/events/{event_id}`, which is
 * also what the list returns with `full_reports=true`; each is stored like a list row (the event plus `project_id`).
 */

export const BackfillWindow = z.object({ since: z.string().nullable(), before: z.string() });
export type BackfillWindow = z.infer<typeof BackfillWindow>;

export const BackfillState = z.object({
  /** T0: the backfill exports what Bugsnag received before it; list-tailing takes over from it. */
  boundary: z.string(),
  startedAt: z.string(),
  /** Windows still to read, oldest first; the first one is in progress. */
  windows: z.array(BackfillWindow).min(1),
  /** Windows completed. */
  done: z.number().int().nonnegative().default(0),
  /**
   * The current window's event data request, how many records of its download are committed, and when it was made
   * (a read going on later polls it with the backoff its age calls for, not from the first pause again).
   */
  request: z
    .object({ id: z.string(), written: z.number().int().nonnegative().default(0), at: z.string().optional() })
    .optional(),
  /** `X-Total-Count` of `[start, T0)` when the backfill was planned (progress only). */
  estimate: z.number().int().nonnegative().optional(),
});
export type BackfillState = z.infer<typeof BackfillState>;

export interface BackfillSpec {
  projectId: string;
  toRecord(e: Event): StreamRecord;
}

/**
 * Records per committed page of a download. Full reports run to several KB each, and a page is held about three
 * times at once (parsed, as records, as the destination's batch) while the next one parses: 500 took a worker to a
 * peak RSS of 255 MB on 100,000 events, 200 to 186 MB, as fast (bench/worker-rss.ts).
 */
export const BACKFILL_PAGE_SIZE = 200;
/** Downloads cut short or refused, and requests expired, per window before the failure is reported. */
const MAX_ATTEMPTS = 4;
/** Refused POSTs (each one split) per backfill before giving up; windows shrink to a second anyway. */
const MAX_SPLITS = 1000;

/** A new backfill of `[start, T0)`; `estimate` is the list's `X-Total-Count` for it when known (progress only). */
export function newBackfill(ctx: ReadContext, estimate?: number): BackfillState {
  const boundary = seconds(ctx.now);
  const since = ctx.options.startDate ? seconds(ctx.options.startDate) : null;
  ctx.progress?.({
    phase: 'estimated',
    window: 0,
    windows: 1,
    since,
    before: boundary,
    ...(estimate !== undefined ? { total: estimate } : {}),
  });
  return {
    boundary,
    startedAt: toIso(ctx.now),
    windows: [{ since, before: boundary }],
    done: 0,
    ...(estimate !== undefined ? { estimate } : {}),
  };
}

/** Default of `events_backfill_threshold`: about 330 list requests, 11 minutes at 30 requests a minute. */
export const DEFAULT_BACKFILL_THRESHOLD = 10_000;

/** `X-Total-Count` of the events list over `[since, before)` with the source's filters: one request of one row. */
export async function estimateEvents(
  api: BugsnagClient,
  projectId: string,
  filters: Filters,
  since: string | null,
  before: string,
  signal: AbortSignal,
): Promise<number | undefined> {
  const list = api.events.list(projectId, {
    base: before,
    filters,
    perPage: 1,
    signal,
    ...(since !== null ? { since } : {}),
  });
  for await (const page of list.pages()) return page.totalCount;
  return 0;
}

export type BackfillOutcome = 'done' | 'fallback';

/** Reads the windows of a backfill as batches; returns 'fallback' when the list must do the work instead. */
export async function* bulkBackfill(
  ctx: ReadContext,
  spec: BackfillSpec,
  start: BackfillState,
): AsyncGenerator<Batch, BackfillOutcome> {
  const api = ctx.api.eventDataRequests;
  const pid = spec.projectId;
  let st = start;
  let splits = 0;
  // Failed attempts at the current window (expired requests, refused or cut downloads): bounded, so a request that
  // keeps expiring is reported instead of made again forever.
  let attempts = 0;
  let attemptsAt = -1;
  const show = (p: Omit<BackfillProgress, 'window' | 'windows' | 'since' | 'before'>) => {
    const w = st.windows[0]!;
    ctx.progress?.({
      window: st.done + 1,
      windows: st.done + st.windows.length,
      since: w.since,
      before: w.before,
      ...p,
    });
  };
  const at = (extra: Partial<Batch> = {}): Batch => ({
    records: [],
    state: { backfill: st },
    ...(st.estimate !== undefined ? { total: st.estimate } : {}),
    ...extra,
  });

  while (st.windows.length > 0) {
    const w = st.windows[0]!;
    if (st.request === undefined) {
      let id: string;
      try {
        const created = await api.create(pid, { filters: windowFilters(ctx.options.filters, w), signal: ctx.signal });
        id = created.id;
      } catch (err) {
        const max = tooManyEvents(err);
        if (max !== null) {
          if (++splits > MAX_SPLITS) throw err;
          const parts = await split(ctx, pid, w, max);
          // Refusing the whole history, Bugsnag said how many events it holds: the estimate for progress.
          const whole = st.done === 0 && st.windows.length === 1 && st.estimate === undefined && max.total > 0;
          st = { ...st, windows: [...parts, ...st.windows.slice(1)], ...(whole ? { estimate: max.total } : {}) };
          ctx.warn(
            'backfill-split',
            `An event data request for ${describe(w)} holds ${max.total} events, more than Bugsnag's maximum of ${max.max}; it is read in ${parts.length} smaller windows.`,
          );
          yield at();
          continue;
        }
        if (isSnagError(err, 'forbidden') || isSnagError(err, 'plan_feature')) {
          ctx.warn(
            'backfill-fallback',
            `Bugsnag refused the event data request (${err.message}); the events are read through the list instead (about 30 per request).`,
          );
          show({ phase: 'fallback' });
          return 'fallback';
        }
        throw err;
      }
      st = { ...st, request: { id, written: 0, at: new Date().toISOString() } };
      show({ phase: 'requested' });
      yield at();
    }

    if (attemptsAt !== st.done) {
      attemptsAt = st.done;
      attempts = 0;
    }
    let again = false;
    for (;;) {
      const req = st.request!;
      let url: string;
      let total: number | undefined;
      try {
        const ready = await api.waitUntilComplete(pid, req.id, {
          signal: ctx.signal,
          initialDelayMs: pollDelay(req.at),
          maxDelayMs: MAX_POLL_DELAY_MS,
          onWait: (ms) => ctx.waiting?.(ms),
          onPoll: (r) => show({ phase: 'preparing', status: r.status, ...(r.total != null ? { total: r.total } : {}) }),
        });
        url = ready.url;
        total = ready.total ?? undefined;
        if (st.estimate === undefined && st.done === 0 && st.windows.length === 1 && total !== undefined)
          st = { ...st, estimate: total };
      } catch (err) {
        if (isSnagError(err, 'not_found') && err.details.expired === true) {
          if (++attempts >= MAX_ATTEMPTS) {
            // Not a 404 of something gone (which would skip the project): the export keeps expiring before it is read.
            throw new SnagError(
              'server_error',
              `The event data requests for ${describe(w)} expired ${attempts} times before they could be read.`,
              {
                hint: 'Run the sync again later; if it keeps happening, read the events through the list (events_backfill = list).',
                cause: err,
                details: { field: 'events_backfill', eventDataRequest: req.id },
              },
            );
          }
          ctx.warn(
            'backfill-rerequested',
            `The event data request for ${describe(w)} expired before it was read; a new one is made (its records are written again, upserted).`,
          );
          st = { ...st, request: undefined };
          again = true;
          break;
        }
        throw err;
      }
      let seen = 0;
      try {
        for await (const page of api.readPages(url, {
          pageSize: BACKFILL_PAGE_SIZE,
          signal: ctx.signal,
          onProgress: (p) =>
            show({
              phase: 'downloading',
              bytes: p.bytes,
              records: p.records,
              ...(total !== undefined ? { total } : {}),
            }),
        })) {
          const from = seen;
          seen += page.length;
          const skip = Math.max(0, st.request!.written - from);
          if (skip >= page.length) continue;
          const records = (skip > 0 ? page.slice(skip) : page).map((e) => spec.toRecord(e));
          st = { ...st, request: { ...req, written: st.request!.written + records.length } };
          show({ phase: 'writing', records: st.request!.written, ...(total !== undefined ? { total } : {}) });
          yield at({ records });
        }
        break;
      } catch (err) {
        const retriable =
          isSnagError(err) &&
          ((err.code === 'forbidden' && err.details.downloadRefused === true) || err.details.incomplete === true);
        if (retriable && ++attempts < MAX_ATTEMPTS) {
          ctx.warn(
            'backfill-download-retried',
            `The download of ${describe(w)} stopped after ${seen} records (${(err as SnagError).message}); it is fetched again with a fresh link, skipping the ${st.request!.written} records already written.`,
          );
          continue;
        }
        throw err;
      }
    }
    if (again) continue;

    st = { ...st, windows: st.windows.slice(1), done: st.done + 1, request: undefined };
    if (st.windows.length > 0) {
      show({ phase: 'done' });
      yield at();
    }
  }
  ctx.progress?.({ phase: 'done', window: st.done, windows: st.done, since: null, before: st.boundary });
  yield {
    records: [],
    // What a completed first list pass leaves: the next pass tails the list from the boundary.
    state: { cursor: toIso(ms(st.boundary) ?? 0) },
    ...(st.estimate !== undefined ? { total: st.estimate } : {}),
  };
  return 'done';
}

const MAX_POLL_DELAY_MS = 60_000;

/**
 * The first pause between polls of a request made at `at`: 1 s for a new one, then about half its age (the doubling
 * backoff's pause at that age), so a read that went on later keeps backing off instead of polling every second.
 */
function pollDelay(at: string | undefined): number {
  const age = at ? Date.now() - Date.parse(at) : Number.NaN;
  return Number.isFinite(age) ? Math.min(MAX_POLL_DELAY_MS, Math.max(1_000, Math.round(age / 2))) : 1_000;
}

function windowFilters(filters: Filters, w: BackfillWindow): Filters {
  return {
    ...filters,
    ...(w.since !== null ? { 'event.since': w.since } : {}),
    'event.before': w.before,
  };
}

function describe(w: BackfillWindow): string {
  return `${w.since ?? 'the beginning'} … ${w.before}`;
}

/** The 400 Bugsnag gives a request over its size limit; the counts when the message has them. */
function tooManyEvents(err: unknown): { total: number; max: number } | null {
  if (!isSnagError(err, 'validation')) return null;
  const text = `${err.message} ${JSON.stringify(err.details)}`;
  const m = /contain (\d+) events, more than the maximum of (\d+)/i.exec(text);
  if (m) return { total: Number(m[1]), max: Number(m[2]) };
  if (/too many events|more than the maximum/i.test(text)) return { total: 0, max: 0 };
  return null;
}

/**
 * Cut a window into equal time slices, enough of them for the limit with room for uneven traffic (a slice still
 * too large is split again). A window reaching back to the beginning is first bounded by the oldest event.
 */
async function split(
  ctx: ReadContext,
  projectId: string,
  w: BackfillWindow,
  count: { total: number; max: number },
): Promise<BackfillWindow[]> {
  let lo = ms(w.since);
  const hi = ms(w.before)!;
  if (lo === null) {
    const oldest = await oldestEvent(ctx.api, projectId, ctx.options.filters, w.before, ctx.signal);
    lo = oldest === null ? hi - 1000 : Math.floor(oldest / 1000) * 1000;
  }
  const spanSec = Math.floor((hi - lo) / 1000);
  if (spanSec < 2) {
    throw new SnagError(
      'validation',
      `Bugsnag refuses an event data request for the single second ${w.before}: it holds more events than one request may.`,
      {
        hint: 'Set the source to read events through the list (events_backfill = list).',
        details: { field: 'events_backfill' },
      },
    );
  }
  const want = count.max > 0 ? Math.ceil((count.total / count.max) * 1.25) : 2;
  const n = Math.min(spanSec, Math.max(2, want));
  const out: BackfillWindow[] = [];
  let prev = w.since;
  for (let i = 1; i <= n; i++) {
    const edge = i === n ? w.before : seconds(lo + Math.floor((spanSec * i) / n) * 1000);
    out.push({ since: prev, before: edge });
    prev = edge;
  }
  return out;
}

async function oldestEvent(
  api: BugsnagClient,
  projectId: string,
  filters: Filters,
  before: string,
  signal: AbortSignal,
): Promise<number | null> {
  const list = api.events.list(projectId, { base: before, filters, perPage: 1, direction: 'asc', signal });
  for await (const page of list.pages()) {
    const e = page.items[0];
    return e ? ms(e.received_at ?? e.receivedAt) : null;
  }
  return null;
}
