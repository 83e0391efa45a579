import { z } from 'zod';
import type { BugsnagClient } from '../bugsnag/client.js';
import type { Comment } from '../bugsnag/models/comment.js';
import { CommentSchema } from '../bugsnag/models/comment.js';
import { isSnagError } from '../core/errors.js';
import { CommentsState, loadState } from './state.js';
import { completedPass } from './deletions.js';
import { defineChildStream, type CompletedPass, type StreamRecord } from './types.js';
import { maxIso, ms, projectPartition } from './util.js';

/**
 * Comments hang off errors, and an error row says how many it has (`comment_count`, regardless of time filters). So
 * comments are read through the errors stream (`parent`; the catalog wires it in, see children.ts): for each error
 * read in this run whose count differs from the count stored in the comments checkpoint, its comments are listed
 * newest first down to the newest one already stored. No listing request is spent on errors without new comments.
 *
 * Order matters for resume: an errors page's comments (and the comments checkpoint) are committed before the errors
 * page itself. A kill in between re-reads that errors page, finds the counts up to date and fetches nothing again.
 *
 * Freshness: comments arrive whenever their error is read — in the incremental window when it gets new events, and
 * at the errors' periodic full pass otherwise. Edited comments are not re-read unless the count changes; a comment
 * deleted while another is added (same count) is noticed only with `--full-refresh`. When the count drops, the
 * error's comments are read whole and the ones gone are marked deleted; so are the comments of an error gone (404).
 */
export const comments = defineChildStream({
  name: 'comments',
  description: 'Comments on errors, read through the errors stream for errors whose comment count changed.',
  endpoint: 'GET /projects/{project_id}/errors/{error_id}/comments',
  schema: CommentSchema.extend({ project_id: z.string(), error_id: z.string() }),
  primaryKey: ['project_id', 'error_id', 'id'],
  partition: 'project',
  syncModes: ['full_refresh', 'incremental'],
  cursor: {
    field: 'created_at',
    order: 'newest-first',
    note: "per error; read when the error's comment_count changes",
  },
  heavy: false,
  parent: 'errors',
  columns: [
    { name: 'project_id', type: 'text', description: 'The project (projects.id).' },
    { name: 'error_id', type: 'text', description: 'The error commented on (errors.id).' },
    { name: 'id', type: 'text', description: 'The comment id.' },
    { name: 'created_at', type: 'timestamp', description: 'When it was posted.' },
    { name: 'updated_at', type: 'timestamp', description: 'When it was last edited.' },
    { name: 'message', type: 'text', description: 'Its text.' },
    {
      name: 'collaborator_id',
      type: 'text',
      path: ['collaborator', 'id'],
      description: 'Who posted it (collaborators.id).',
    },
    {
      name: 'collaborator_email',
      type: 'text',
      path: ['collaborator', 'email'],
      description: 'The email of who posted it.',
    },
  ],
  readThrough: (ctx) => {
    const { project } = projectPartition(ctx, 'comments');
    const state: CommentsState = loadState(CommentsState, ctx.state, ctx.warn) ?? { errors: {} };
    return async (errors) => {
      const records: StreamRecord[] = [];
      const completes: CompletedPass[] = [];
      // An error's comments read whole: the ones stored for it that the read lacks are gone (docs/sync.md, Deletions).
      const readWhole = (errorId: string, since: string) => {
        const c = completedPass(ctx, since);
        if (c) completes.push({ ...c, scope: { ...c.scope, error_id: errorId } });
      };
      let changed = false;
      for (const e of errors) {
        const id = String(e.id);
        const count = typeof e.comment_count === 'number' ? e.comment_count : 0;
        const known = state.errors[id];
        if ((known?.[0] ?? 0) === count) continue;
        changed = true;
        const since = new Date().toISOString();
        if (count < (known?.[0] ?? 0)) {
          // Comments were deleted: the error's comments are read whole (one request for most), so the ones gone are
          // marked; the lower count is kept so the next new one is noticed.
          const all = await fetchNew(ctx.api, project.id, id, null);
          records.push(...all.records);
          state.errors[id] = [count, maxIso(known?.[1] ?? undefined, all.newest) ?? null];
          readWhole(id, since);
          continue;
        }
        const got = await fetchNew(ctx.api, project.id, id, known?.[1] ?? null);
        records.push(...got.records);
        state.errors[id] = [count, maxIso(known?.[1] ?? undefined, got.newest) ?? null];
        // The error itself is gone: so are its comments.
        if (got.gone) readWhole(id, since);
      }
      if (!changed) return null;
      return { records, state: { errors: { ...state.errors } }, ...(completes.length > 0 ? { completes } : {}) };
    };
  },
});

async function fetchNew(api: BugsnagClient, projectId: string, errorId: string, newestKnown: string | null) {
  const records: StreamRecord[] = [];
  let newest: string | undefined;
  const floor = newestKnown === null ? null : ms(newestKnown);
  let gone = false;
  try {
    for await (const page of api.comments.list(projectId, errorId, { sort: 'created_at', direction: 'desc' }).pages()) {
      let reachedKnown = false;
      for (const c of page.items as Comment[]) {
        newest = maxIso(newest, c.created_at);
        if (floor !== null && (ms(c.created_at) ?? 0) < floor) reachedKnown = true;
        records.push({ ...c, project_id: projectId, error_id: errorId });
      }
      if (reachedKnown) break;
    }
  } catch (err) {
    // The error was deleted between its listing and this call: it has no comments to read any more.
    if (!isSnagError(err, 'not_found')) throw err;
    gone = true;
  }
  return { records, newest, gone };
}
