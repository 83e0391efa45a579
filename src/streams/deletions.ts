import type { Batch, CompletedPass, Partition, ReadContext } from './types.js';

/**
 * Deletions, as streams see them: Bugsnag's lists do not show what was deleted (docs/bugsnag-api.md §17), so only a
 * read of a whole partition can tell — what it did not find is gone. A stream says so on the batch that ends such a
 * read (`Batch.completes`); the engine marks the rest (engine/deletions.ts). Which reads qualify: a full pass of
 * errors, events or releases that completed, and the organization's list of collaborators. Not with the source's own
 * filters: a row outside them now may only be outside the filters (they may have changed since it was written).
 */

/** The columns that hold a partition's id in its streams' tables. */
export function partitionScope(partition: Partition): Record<string, string> {
  if (partition.kind === 'project') return { project_id: partition.project.id };
  if (partition.kind === 'organization') return { organization_id: partition.organization.id };
  return {};
}

/** What a completed read of the whole partition says, or undefined when the source's filters narrow every read. */
export function completedPass(
  ctx: ReadContext,
  startedAt: string,
  within?: { column: string; from: string },
): CompletedPass | undefined {
  if (Object.keys(ctx.options.filters).length > 0) return undefined;
  return { scope: partitionScope(ctx.partition), startedAt, ...(within ? { within } : {}) };
}

/**
 * The batches of a read of the whole partition (a full-refresh list), the last one saying it completed. A read that
 * resumed a pass begun in an earlier run says nothing: what that run wrote was synced before this one began.
 */
export async function* markingCompletion(ctx: ReadContext, batches: AsyncIterable<Batch>): AsyncGenerator<Batch> {
  const startedAt = new Date().toISOString();
  const resumed = typeof ctx.state === 'object' && ctx.state !== null && (ctx.state as { pass?: unknown }).pass != null;
  let held: Batch | undefined;
  try {
    for await (const b of batches) {
      if (held) yield held;
      held = b;
    }
  } catch (err) {
    if (held) yield held;
    throw err;
  }
  if (!held) return;
  const completes = resumed ? undefined : completedPass(ctx, startedAt);
  yield completes ? { ...held, completes } : held;
}
