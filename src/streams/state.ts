import { z } from 'zod';

/**
 * Checkpoint shapes. A checkpoint is stored with the records of the page it follows (one transaction), so it always
 * describes exactly what the destination holds. Each shape is validated on load; one that does not parse (an older
 * snagsync, a hand edit) is dropped with a warning and the stream starts a new pass — upserts make that harmless.
 */

/** A pass over a time window of a newest-first list (events, errors, releases). */
export const WindowPass = z.object({
  /** Lower bound sent as `event.since` (inclusive); null = all history. */
  since: z.string().nullable(),
  /** The pass's upper bound, sent as `base`: what arrives later is the next pass's business. */
  upperBound: z.string(),
  /** Sent as `event.before` when the pass was narrowed (a rejected or over-long next link). */
  before: z.string().nullable().default(null),
  /** The server's next link after the last committed page. */
  nextUrl: z.string().optional(),
  /** Lowest cursor value committed in this pass: where a narrowed restart resumes. */
  lowestSeen: z.string().optional(),
  /** Lists cut client-side (releases): the newest cursor value seen in this pass, the cursor once it completes. */
  newestSeen: z.string().optional(),
  /** `lowestSeen` when the pass was last narrowed (a second narrowing must get further). */
  narrowedAt: z.string().optional(),
  /** Errors only: switched to `sort=unsorted` after the sorted list's deep-paging limit (422 / 60000). */
  unsorted: z.boolean().default(false),
  /** A full pass (errors' periodic one, or the first ever), as opposed to an incremental window. */
  full: z.boolean().default(false),
  startedAt: z.string(),
  /** When it began by the clock (not the run's `now`): rows written by the pass are synced after it (deletions). */
  wallStartedAt: z.string().optional(),
  pages: z.number().int().nonnegative().default(0),
});
export type WindowPass = z.infer<typeof WindowPass>;

export const WindowState = z.preprocess(
  fromReleaseState,
  z.object({
    /** High-water mark: the upper bound of the last completed pass (releases: the newest value it saw). */
    cursor: z.string().optional(),
    pass: WindowPass.optional(),
    /** When the last full pass started (it completed, or this would not be set). */
    lastFullPassAt: z.string().optional(),
    /** When the last completed pass (of either kind) started: a stream's interval counts from it. */
    lastPassAt: z.string().optional(),
  }),
);
export type WindowState = z.infer<typeof WindowState>;

/**
 * Releases had a pass of their own before they moved to the window pass: its cursor and `lastFullPassAt` mean the
 * same here; a pass it left half-done (`base` instead of `upperBound`) is started again (upserts make that harmless).
 */
function fromReleaseState(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object') return raw;
  const pass = (raw as { pass?: Record<string, unknown> | null }).pass;
  const oldShape = typeof pass?.base === 'string' && typeof pass.startedAt === 'string' && !('upperBound' in pass);
  if (!oldShape) return raw;
  const { pass: _old, ...rest } = raw as Record<string, unknown>;
  return rest;
}

/** A full-refresh list, or a sequence of lists (`step`: release stage, project of a fallback…). */
export const RefreshPass = z.object({
  step: z.number().int().nonnegative().default(0),
  nextUrl: z.string().optional(),
  /** Per-step note, e.g. the collaborators fallback mode. */
  mode: z.string().optional(),
  startedAt: z.string(),
});
export const RefreshState = z.object({
  pass: RefreshPass.optional(),
  lastCompletedAt: z.string().optional(),
});
export type RefreshState = z.infer<typeof RefreshState>;

/** Comments: per error, the comment count and newest comment already stored. */
export const CommentsState = z.object({
  errors: z.record(z.string(), z.tuple([z.number().int().nonnegative(), z.string().nullable()])).default({}),
});
export type CommentsState = z.infer<typeof CommentsState>;

export function loadState<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  warn: (code: string, message: string) => void,
): z.infer<S> | null {
  if (raw === null || raw === undefined) return null;
  const r = schema.safeParse(raw);
  if (r.success) return r.data as z.infer<S>;
  warn(
    'checkpoint-unreadable',
    'The stored checkpoint was not understood; this stream starts a new pass (records already stored are upserted).',
  );
  return null;
}
