import type { Paginator } from '../bugsnag/paginator.js';
import { loadState, RefreshState } from './state.js';
import type { Batch, ReadContext, StreamRecord } from './types.js';
import { isRejectedLink } from './util.js';

/** One list of a full-refresh pass; a pass may read several (one per release stage, one per project…). */
export interface RefreshStep<T> {
  open(resumeFrom?: string): Paginator<T>;
  toRecords(items: T[]): StreamRecord[] | Promise<StreamRecord[]>;
}

export interface RefreshOptions {
  /**
   * Resume an interrupted pass from its saved next link. Off for the lists the planner needs whole
   * (organizations, projects): those are re-read from the first page every run.
   */
  resumable?: boolean;
  /** A pass made in another mode (collaborators per organization vs per project) is not resumed in this one. */
  mode?: string;
}

/**
 * A full-refresh pass: every page of every step, each page committed with a state naming the next one. The last
 * page commits `lastCompletedAt`. Resuming from a saved link the server rejects restarts that step from its first
 * page (upserts make the replay harmless).
 */
export async function* refreshSteps<T>(
  ctx: ReadContext,
  steps: ReadonlyArray<RefreshStep<T>>,
  options: RefreshOptions = {},
): AsyncGenerator<Batch> {
  const resumable = options.resumable ?? true;
  const loaded = resumable ? loadState(RefreshState, ctx.state, ctx.warn) : null;
  const saved =
    loaded?.pass && loaded.pass.mode === options.mode && loaded.pass.step < steps.length ? loaded.pass : undefined;
  const startedAt = saved?.startedAt ?? ctx.now.toISOString();
  const lastCompletedAt = loaded?.lastCompletedAt;
  const base = lastCompletedAt === undefined ? {} : { lastCompletedAt };
  if (steps.length === 0) {
    yield { records: [], state: { lastCompletedAt: startedAt } };
    return;
  }
  // The estimate (`total`) of a pass of several lists is the partition's, not the list's: the lists read before this
  // one (their X-Total-Count, else what they held) plus this one's — or it would fall back with each new list.
  let readBefore = 0;
  for (let step = saved?.step ?? 0; step < steps.length; step++) {
    const s = steps[step]!;
    let resumeFrom = step === saved?.step ? saved.nextUrl : undefined;
    let listTotal: number | undefined;
    let listRecords = 0;
    for (;;) {
      const fromSaved = resumeFrom !== undefined;
      try {
        for await (const page of s.open(resumeFrom).pages()) {
          const records = await s.toRecords(page.items);
          const last = page.nextUrl === undefined && step === steps.length - 1;
          const state = last
            ? { lastCompletedAt: startedAt }
            : {
                ...base,
                pass: {
                  step: page.nextUrl === undefined ? step + 1 : step,
                  ...(page.nextUrl !== undefined ? { nextUrl: page.nextUrl } : {}),
                  ...(options.mode !== undefined ? { mode: options.mode } : {}),
                  startedAt,
                },
              };
          const batch: Batch = { records, state };
          listRecords += records.length;
          if (page.totalCount !== undefined) listTotal = page.totalCount;
          if (listTotal !== undefined) batch.total = readBefore + listTotal;
          yield batch;
        }
        readBefore += listTotal ?? listRecords;
        break;
      } catch (err) {
        if (!fromSaved || !isRejectedLink(err)) throw err;
        ctx.warn(
          'resume-link-rejected',
          'The saved page link was refused by Bugsnag; this list is read again from its first page.',
        );
        resumeFrom = undefined;
      }
    }
  }
}

/** One list, read whole. */
export function refreshList<T>(
  ctx: ReadContext,
  open: (resumeFrom?: string) => Paginator<T>,
  toRecord: (item: T) => StreamRecord,
  options: RefreshOptions = {},
): AsyncGenerator<Batch> {
  return refreshSteps(ctx, [{ open, toRecords: (items) => items.map(toRecord) }], options);
}

/** A snapshot answered in one request (trends, stability): one batch, one state. */
export async function* snapshot(ctx: ReadContext, fetch: () => Promise<StreamRecord[]>): AsyncGenerator<Batch> {
  const records = await fetch();
  yield { records, state: { lastCompletedAt: ctx.now.toISOString() } };
}
