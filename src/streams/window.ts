import type { Paginator } from '../bugsnag/paginator.js';
import { SnagError } from '../core/errors.js';
import { toIso } from '../core/time.js';
import { loadState, WindowState, type WindowPass } from './state.js';
import { completedPass } from './deletions.js';
import type { Batch, CompletedPass, ReadContext, StreamRecord } from './types.js';
import {
  fullPassDue,
  isDeepPagingLimit,
  isRejectedLink,
  maxIso,
  minIso,
  ms,
  justAfter,
  seconds,
  shiftIso,
} from './util.js';

/**
 * Passes over a time window of a newest-first list (events by `received_at`, errors by `last_seen`, releases by
 * `release_time`).
 *
 * State per (source, partition, stream): the **cursor**, the upper bound of the last completed pass, and while a
 * pass runs, the **pass**: its window (`since` … `upperBound`, sent as `filters[event.since]` and `base`, so the
 * server cuts the list and pages do not shift as new data arrives), the saved next link and the lowest cursor value
 * committed so far. Every page is committed with the pass as it stands after that page; the cursor moves to the
 * upper bound only when the last page is committed. The next pass starts at cursor − look-back, so late arrivals
 * are read again and upserted by key, never missed.
 *
 * Resume: follow the saved next link. If Bugsnag refuses it (expired, malformed, too long, another host), the pass
 * restarts narrowed to `event.before` = just after the lowest value committed: what is above it is stored already.
 * A sorted errors list past its depth limit (422, code 60000) is read again with `sort=unsorted`.
 *
 * A list Bugsnag cannot cut by time (releases take only `base`) is cut here instead (`cut: 'client'`): the pass ends
 * with the first page that reaches below the window's start, items older than the start date are not stored, and the
 * cursor becomes the newest value seen (not the pass's upper bound). Such a pass cannot be narrowed: a refused link
 * reads the window again from its first page.
 */
export interface Window {
  since: string | null;
  before: string | null;
  base: string;
  unsorted: boolean;
}

export interface WindowSpec<T> {
  /** The value that orders the list (the cursor field), per item. */
  cursorOf(item: T): string | null | undefined;
  open(window: Window, resumeFrom?: string): Paginator<T>;
  toRecord(item: T): StreamRecord;
  /** How old the last full pass may be before the next pass is a full one (errors' status changes, §6.7; releases'
   * session figures). */
  fullPassMs?: number;
  /** Where the window's start is applied: sent as `filters[event.since]` (default), or by reading down to it. */
  cut?: 'server' | 'client';
  /** Errors: sorted lists stop at this depth; a first page announcing more goes unsorted at once. */
  sortedLimit?: number;
  /**
   * The typed column holding each row's absolute cursor time (errors: `last_seen_unfiltered`): a full pass from a
   * start date then marks as deleted only the rows within its reach. Without it such a pass marks nothing.
   */
  storedCursor?: string;
}

/** How many times one pass may restart (narrowed or unsorted) before the failure is reported instead. */
const MAX_RESTARTS = 50;
/** Of which restarts of the whole window (nothing to narrow to): each one re-reads it, so very few. */
const MAX_WINDOW_RESTARTS = 2;

export async function* windowPasses<T>(ctx: ReadContext, spec: WindowSpec<T>): AsyncGenerator<Batch> {
  const loaded = loadState(WindowState, ctx.state, ctx.warn);
  const cursor = loaded?.cursor;
  const lastFullPassAt = loaded?.lastFullPassAt;
  let pass: WindowPass = loaded?.pass ?? newPass(ctx, spec, cursor, lastFullPassAt, loaded?.lastPassAt);
  let resumeFrom = pass.nextUrl;
  let restarts = 0;
  let windowRestarts = 0;
  const carried = {
    ...(cursor !== undefined ? { cursor } : {}),
    ...(lastFullPassAt !== undefined ? { lastFullPassAt } : {}),
    ...(loaded?.lastPassAt !== undefined ? { lastPassAt: loaded.lastPassAt } : {}),
  };
  const clientCut = spec.cut === 'client';
  const sinceMs = pass.since === null ? -Infinity : (ms(pass.since) ?? -Infinity);
  const sent = clientCut ? sentByClientCut(ctx, pass, cursor, loaded?.lastPassAt) : undefined;

  for (;;) {
    const fromSaved = resumeFrom !== undefined;
    const window: Window = { since: pass.since, before: pass.before, base: pass.upperBound, unsorted: pass.unsorted };
    const savedLink = resumeFrom;
    resumeFrom = undefined;
    let pagesThisAttempt = 0;
    try {
      // Opening validates a saved link (host, length): a refusal there is handled like one from the server.
      for await (const page of spec.open(window, savedLink).pages()) {
        if (
          spec.sortedLimit !== undefined &&
          !pass.unsorted &&
          !fromSaved &&
          page.index === 0 &&
          page.totalCount !== undefined &&
          page.totalCount > spec.sortedLimit
        ) {
          // Reading the sorted list would stop at the limit with 422; going unsorted now wastes one request, not ten.
          pass = { ...pass, unsorted: true, nextUrl: undefined, lowestSeen: undefined };
          ctx.warn(
            'unsorted',
            `${page.totalCount} rows exceed Bugsnag's sorted-list depth (${spec.sortedLimit}); reading this window unsorted.`,
          );
          throw new Restart();
        }
        pagesThisAttempt++;
        let low = pass.lowestSeen;
        let newest = pass.newestSeen;
        let oldest = Infinity;
        for (const item of page.items) {
          const at = spec.cursorOf(item);
          low = minIso(low, at);
          if (clientCut) {
            newest = maxIso(newest, at);
            oldest = Math.min(oldest, ms(at) ?? Infinity);
          }
        }
        const kept = sent ? page.items.filter((i) => sent(ms(spec.cursorOf(i)) ?? Infinity)) : page.items;
        const records = kept.map((i) => spec.toRecord(i));
        // The page's fetch time and pass: a stream's history dates what this page shows from it.
        const batch: Batch = {
          records,
          state: null,
          observed: { at: new Date().toISOString(), by: pass.full ? 'full_pass' : 'incremental' },
        };
        if (page.totalCount !== undefined) batch.total = page.totalCount;
        if (page.nextUrl === undefined || (clientCut && oldest < sinceMs)) {
          batch.state = {
            cursor: clientCut
              ? (maxIso(cursor, newest) ?? pass.upperBound)
              : (maxIso(cursor, pass.upperBound) ?? pass.upperBound),
            ...(pass.full
              ? { lastFullPassAt: pass.startedAt }
              : lastFullPassAt !== undefined
                ? { lastFullPassAt }
                : {}),
            lastPassAt: pass.startedAt,
          };
          const completes = pass.full ? completion(ctx, spec, pass) : undefined;
          if (completes) batch.completes = completes;
          yield batch;
          return;
        }
        pass = { ...pass, nextUrl: page.nextUrl, pages: pass.pages + 1 };
        if (!pass.unsorted && !clientCut && low !== undefined) pass.lowestSeen = low;
        if (newest !== undefined) pass.newestSeen = newest;
        batch.state = { ...carried, pass };
        yield batch;
      }
      return;
    } catch (err) {
      if (err instanceof Restart) continue;
      if (++restarts > MAX_RESTARTS) throw err;
      if (spec.sortedLimit !== undefined && !pass.unsorted && isDeepPagingLimit(err)) {
        pass = { ...pass, unsorted: true, nextUrl: undefined, lowestSeen: undefined };
        ctx.warn(
          'unsorted',
          'Bugsnag cannot page this sorted list any deeper (422, code 60000); reading this window unsorted.',
        );
        continue;
      }
      if (!isRejectedLink(err) || (!fromSaved && pagesThisAttempt === 0)) throw err;
      const next = narrowed(ctx, pass, err);
      if (next.before === pass.before && ++windowRestarts > MAX_WINDOW_RESTARTS) throw err;
      pass = next;
    }
  }
}

class Restart extends Error {}

function newPass<T>(
  ctx: ReadContext,
  spec: WindowSpec<T>,
  cursor: string | undefined,
  lastFullPassAt: string | undefined,
  lastPassAt: string | undefined,
): WindowPass {
  const now = (ctx.passNow?.() ?? ctx.now).getTime();
  const start = ctx.options.startDate ? seconds(ctx.options.startDate) : null;
  const fullDue = spec.fullPassMs !== undefined && fullPassDue(ctx.now, lastFullPassAt, spec.fullPassMs);
  const full = cursor === undefined || fullDue;
  let since = start;
  if (!full) {
    const from =
      spec.cut === 'client'
        ? (minIso(shiftIso(cursor, 0), lateFrom(ctx, cursor, lastPassAt)) ?? cursor)
        : shiftIso(cursor, -ctx.options.lookbackMs);
    since = start !== null && (ms(start) ?? 0) > (ms(from) ?? 0) ? start : from;
  }
  return {
    since,
    upperBound: seconds(now),
    before: null,
    unsorted: false,
    full,
    startedAt: toIso(now),
    wallStartedAt: new Date().toISOString(),
    pages: 0,
  };
}

/**
 * Where the look-back of a list cut here starts: the last pass's time − look-back, as the server-cut lists' (whose
 * cursor is that time); a state older than `lastPassAt` falls back to the newest value seen − look-back.
 */
function lateFrom(ctx: ReadContext, cursor: string, lastPassAt: string | undefined): string {
  return shiftIso(lastPassAt ?? cursor, -ctx.options.lookbackMs);
}

/**
 * Which items of a list cut here a pass sends on (by cursor time, ms; Infinity when absent): never one older than the
 * start date; in an incremental pass, only one newer than the cursor (the newest value seen before) or within the
 * look-back of the last pass (a late arrival). The rest of the pages it reads to get down there was sent by an
 * earlier pass — sending it again re-sent a whole page of unchanged releases on every read (the periodic full pass
 * is what refreshes their figures).
 */
function sentByClientCut(
  ctx: ReadContext,
  pass: WindowPass,
  cursor: string | undefined,
  lastPassAt: string | undefined,
): ((at: number) => boolean) | undefined {
  const startMs = ctx.options.startDate?.getTime() ?? -Infinity;
  const newerThan = !pass.full && cursor !== undefined ? ms(cursor) : null;
  if (newerThan === null) return startMs === -Infinity ? undefined : (at) => at >= startMs;
  const late = ms(lateFrom(ctx, cursor!, lastPassAt)) ?? -Infinity;
  return (at) => at >= startMs && (at > newerThan || at >= late);
}

/**
 * A full pass that completed read every row of the partition within its reach (docs/sync.md, Deletions): what it did
 * not write is gone. Only a pass begun by a snagsync that noted its start by the clock (`wallStartedAt`: rows are
 * stamped by that clock, not by the run's `now`), and from a start date only with the column that bounds its reach.
 */
function completion<T>(ctx: ReadContext, spec: WindowSpec<T>, pass: WindowPass): CompletedPass | undefined {
  if (pass.wallStartedAt === undefined) return undefined;
  if (pass.since === null) return completedPass(ctx, pass.wallStartedAt);
  if (spec.storedCursor === undefined) return undefined;
  return completedPass(ctx, pass.wallStartedAt, { column: spec.storedCursor, from: pass.since });
}

/**
 * The server refused a next link (saved or just received). What is above the lowest committed value is stored, so
 * the pass goes on below it. Without such a value (nothing committed yet, or an unsorted list) the window is read
 * again from its start; a narrowing that gets no further than the previous one is reported as the failure it is.
 */
function narrowed(ctx: ReadContext, pass: WindowPass, err: unknown): WindowPass {
  const why = err instanceof SnagError ? err.message : String(err);
  if (pass.unsorted || pass.lowestSeen === undefined) {
    ctx.warn('window-restarted', `A page link was refused (${why}); this window is read again from its first page.`);
    return { ...pass, nextUrl: undefined };
  }
  if (pass.narrowedAt !== undefined && (ms(pass.lowestSeen) ?? 0) >= (ms(pass.narrowedAt) ?? 0)) throw err;
  const before = justAfter(pass.lowestSeen);
  ctx.warn('window-narrowed', `A page link was refused (${why}); continuing with event.before=${before}.`);
  return { ...pass, nextUrl: undefined, before, narrowedAt: pass.lowestSeen };
}
