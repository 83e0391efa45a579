import type { Destination } from '../destinations/types.js';
import type { CompletedPass } from '../streams/types.js';

/**
 * Deletions, as the engine applies them (docs/sync.md, Deletions): after the batch that completes a read of a whole
 * partition is committed (`Batch.completes`, set only by a full pass that ran to its end), the partition's rows of
 * this source that the pass did not write are marked `_deleted_at` — or removed, when the source sets
 * `purge_deleted`. A pass that failed or was cancelled never gets here. A partition the token can no longer read
 * (404/403) is skipped and reported by the runner, and a project gone from the projects list is reported by the
 * planner (gone.ts): neither is a completed pass, so neither marks anything.
 *
 * This runs after the page's transaction, not in it: a kill in between leaves the marks to the next full pass.
 */
export async function markDeletions(
  dest: Destination,
  stream: string,
  sourceId: string,
  completes: CompletedPass,
  purge: boolean,
): Promise<string | null> {
  if (!dest.markDeleted) return null;
  const r = await dest.markDeleted(stream, {
    sourceId,
    scope: completes.scope,
    seenSince: completes.startedAt,
    ...(completes.within ? { within: completes.within } : {}),
    at: new Date().toISOString(),
    purge,
  });
  if (r.purged > 0) return `${r.purged} ${stream} no longer in Bugsnag: removed (purge_deleted).`;
  if (r.marked > 0) return `${r.marked} ${stream} no longer in Bugsnag: marked with _deleted_at.`;
  return null;
}
