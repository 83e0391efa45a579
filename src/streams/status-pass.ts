import { z } from 'zod';
import type { FilterComparison, FilterInput, Filters } from '../bugsnag/filters.js';
import type { ErrorGroup } from '../bugsnag/models/error.js';
import type { Paginator } from '../bugsnag/paginator.js';
import { isSnagError } from '../core/errors.js';
import { toIso } from '../core/time.js';
import { loadState } from './state.js';
import type { Batch, ReadContext, StreamRecord } from './types.js';
import { fullPassDue, isRejectedLink, seconds } from './util.js';

/**
 * The errors' **status pass**: status changes sooner than the daily full pass, at a fraction of its cost.
 *
 * Fixing, ignoring or snoozing an error moves nothing an incremental pass can see (docs/bugsnag-api.md §17), and
 * Bugsnag has no change feed. The cheapest view its filters give of the workflow is the list of the errors that are
 * not open (`filters[error.status][][type]=ne&…[value]=open`, bench/status-pass.ts measures it against the other
 * filters): every change away from `open` puts an error on that list, with its new status. The way back — an
 * error reopened by hand, or deleted — takes it off the list, and a list cannot show what is not on it; so each pass
 * keeps the ids it saw (in the checkpoint) and reads back, one by one, the few that left since the last pass: open
 * again (written as such, observed by the status pass), or gone (404: reported; the errors' next full pass marks it
 * deleted). An error reopened by a new event also gets that event's `last_seen`, so the incremental pass sees it too.
 *
 * State, in the errors checkpoint next to the window's (committed with each page): the last completed pass (when it
 * started, the ids it saw not open) and the pass under way (its `base`, next link, ids seen so far, whether its list
 * is read and only the read-backs remain). A status pass runs after the window pass of a run when the last one is
 * `errors_status_pass_interval` old; not in a run whose window pass was a full one (that read every error already).
 */
const StatusPassRun = z.object({
  startedAt: z.string(),
  /** Sent as `base`, so the list does not shift while errors change. */
  upperBound: z.string(),
  nextUrl: z.string().optional(),
  /** Ids listed not open so far in this pass. */
  seen: z.array(z.string()).default([]),
  /** The list is read; what remains is reading back the errors that left it. */
  listed: z.boolean().default(false),
  unsorted: z.boolean().default(false),
});
export const StatusPassState = z.object({
  /** When the last completed status pass started. */
  lastAt: z.string().optional(),
  /** The errors the last completed status pass saw not open, sorted. */
  nonOpen: z.array(z.string()).default([]),
  pass: StatusPassRun.optional(),
  /** The ids a full pass under way has seen not open so far: its result becomes `nonOpen` when it completes. */
  collecting: z.array(z.string()).optional(),
});
export type StatusPassState = z.infer<typeof StatusPassState>;
type StatusPassRun = z.infer<typeof StatusPassRun>;

/** Where the status pass keeps its state in the errors checkpoint. */
export const STATUS_KEY = 'statusPass';

export interface StatusPassSpec {
  projectId: string;
  /** Bugsnag refuses to page a sorted errors list past this depth: a longer list is read unsorted. */
  sortedLimit: number;
  toRecord(e: ErrorGroup): StreamRecord;
}

/** The status pass's saved state (an unreadable one starts afresh: the next pass reads back nothing). */
export function loadStatusState(ctx: ReadContext): StatusPassState {
  const raw =
    ctx.state !== null && typeof ctx.state === 'object' ? (ctx.state as Record<string, unknown>)[STATUS_KEY] : null;
  return loadState(StatusPassState, raw ?? null, ctx.warn) ?? { nonOpen: [] };
}

/** The checkpoint with the status pass's part set (a null window state becomes an object). */
export function withStatus(state: unknown, status: StatusPassState): unknown {
  const base = state !== null && typeof state === 'object' && !Array.isArray(state) ? state : {};
  return { ...base, [STATUS_KEY]: status };
}

/**
 * The window pass's batches, each checkpoint carrying the status pass's state, then — when one is due (or under way)
 * and the window pass was not a full one — a status pass.
 */
export async function* withStatusPass(
  ctx: ReadContext,
  window: AsyncIterable<Batch>,
  spec: StatusPassSpec,
): AsyncGenerator<Batch> {
  const saved = loadStatusState(ctx);
  let status = saved;
  let windowState: unknown = ctx.state;
  let full = false;
  for await (const batch of window) {
    // A full pass reads every error: when it completes it counts as a status pass (what it saw not open included).
    if (batch.observed?.by === 'full_pass') {
      full = true;
      const ids = new Set(status.collecting ?? []);
      for (const r of batch.records) if (r.status !== 'open') ids.add(String(r.id));
      const w = (batch.state ?? {}) as { pass?: unknown; lastFullPassAt?: string };
      status =
        w.pass === undefined
          ? { lastAt: w.lastFullPassAt ?? toIso(ctx.now), nonOpen: [...ids].sort() }
          : { ...status, collecting: [...ids] };
    }
    windowState = batch.state;
    yield { ...batch, state: withStatus(batch.state, status) };
  }
  const intervalMs = ctx.options.errorsStatusPassMs;
  if (full || intervalMs === undefined) return;
  if (status.pass === undefined && !fullPassDue(ctx.now, status.lastAt, intervalMs - scheduleSlack(intervalMs))) return;
  const { [STATUS_KEY]: _old, ...carried } = (windowState ?? {}) as Record<string, unknown>;
  yield* statusPass(ctx, spec, status, carried);
}

/**
 * A sync scheduled every interval starts a little late or early (the scheduler's tick): one that comes a few seconds
 * before the interval is up still makes the pass, or the change would wait a whole interval more.
 */
function scheduleSlack(intervalMs: number): number {
  return Math.min(60_000, intervalMs / 10);
}

async function* statusPass(
  ctx: ReadContext,
  spec: StatusPassSpec,
  saved: StatusPassState,
  carried: Record<string, unknown>,
): AsyncGenerator<Batch> {
  const now = ctx.now.getTime();
  let run: StatusPassRun = saved.pass ?? {
    startedAt: toIso(now),
    upperBound: seconds(now),
    seen: [],
    listed: false,
    unsorted: false,
  };
  const state = (r: StatusPassRun | undefined, done?: { lastAt: string; nonOpen: string[] }): unknown => ({
    ...carried,
    [STATUS_KEY]: done ?? { ...saved, pass: r },
  });
  const observed = () => ({ at: new Date().toISOString(), by: 'status_pass' as const });

  let restarted = false;
  while (!run.listed) {
    const savedLink = run.nextUrl;
    try {
      for await (const page of openList(ctx, spec, run, savedLink).pages()) {
        if (!run.unsorted && savedLink === undefined && page.index === 0 && (page.totalCount ?? 0) > spec.sortedLimit) {
          run = { ...run, unsorted: true, nextUrl: undefined, seen: [] };
          throw new Restart();
        }
        const seen = new Set(run.seen);
        for (const e of page.items) if (e.status !== 'open') seen.add(e.id);
        run = { ...run, seen: [...seen] };
        if (page.nextUrl === undefined) run = { ...run, nextUrl: undefined, listed: true };
        else run = { ...run, nextUrl: page.nextUrl };
        const batch: Batch = { records: page.items.map(spec.toRecord), state: state(run), observed: observed() };
        if (page.totalCount !== undefined) batch.total = page.totalCount;
        yield batch;
      }
      run = { ...run, listed: true };
    } catch (err) {
      if (err instanceof Restart) continue;
      // A saved link Bugsnag no longer serves: the list is read again from its start (ids already seen are kept).
      if (savedLink !== undefined && !restarted && isRejectedLink(err)) {
        restarted = true;
        run = { ...run, nextUrl: undefined };
        continue;
      }
      throw err;
    }
  }

  // The errors that left the list since the last pass: reopened (or deleted). Read back one by one.
  const seen = new Set(run.seen);
  const left = saved.nonOpen.filter((id) => !seen.has(id));
  const records: StreamRecord[] = [];
  const at = new Date().toISOString();
  let gone = 0;
  for (const id of left) {
    try {
      const e = await ctx.api.errors.get(spec.projectId, id, { signal: ctx.signal });
      if (e.status !== 'open') seen.add(e.id);
      records.push(spec.toRecord(e));
    } catch (err) {
      if (!isSnagError(err, 'not_found')) throw err;
      gone++;
    }
  }
  if (gone > 0) {
    ctx.warn(
      'errors-gone',
      `${gone} error${gone === 1 ? '' : 's'} seen by the last status pass no longer exist${gone === 1 ? 's' : ''} in Bugsnag (deleted, or out of the token's reach); the next full pass of errors marks ${gone === 1 ? 'it' : 'them'} deleted.`,
    );
  }
  yield {
    records,
    state: state(undefined, { lastAt: run.startedAt, nonOpen: [...seen].sort() }),
    observed: { at, by: 'status_pass' },
  };
}

function openList(
  ctx: ReadContext,
  spec: StatusPassSpec,
  run: StatusPassRun,
  resumeFrom?: string,
): Paginator<ErrorGroup> {
  if (resumeFrom !== undefined) return ctx.api.errors.list(spec.projectId, { resumeFrom, signal: ctx.signal });
  return ctx.api.errors.list(spec.projectId, {
    base: run.upperBound,
    filters: notOpen(ctx.options.filters),
    ...(run.unsorted ? { sort: 'unsorted' as const } : { sort: 'last_seen' as const, direction: 'desc' as const }),
    ...(ctx.options.startDate ? { since: seconds(ctx.options.startDate) } : {}),
    signal: ctx.signal,
  });
}

/** The source's filters, and: not open (added to any status comparison the source makes itself). */
export function notOpen(filters: Filters): Filters {
  const own = filters['error.status'];
  const list: FilterInput[] = own === undefined ? [] : Array.isArray(own) ? [...own] : [own as FilterInput];
  const ne: FilterComparison = { type: 'ne', value: 'open' };
  return { ...filters, 'error.status': [...(list as Array<FilterComparison>), ne] };
}

class Restart extends Error {}
