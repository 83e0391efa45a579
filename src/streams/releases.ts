import { z } from 'zod';
import { ReleaseSchema } from '../bugsnag/models/release.js';
import { toIso } from '../core/time.js';
import { loadState, ReleaseState } from './state.js';
import { defineStream, type Batch, type ReadContext } from './types.js';
import { fullPassDue, isRejectedLink, maxIso, ms, projectPartition, seconds, withParents } from './util.js';
import { durationOption } from './options.js';

/**
 * Releases, newest first by `release_time` (10 a page, Bugsnag's maximum). Incremental: a pass fixes `base` (its
 * start) so pages do not shift, and stops after the first page that reaches below cursor − look-back. The cursor is
 * the newest `release_time` of the last completed pass. Releases older than the source's start date are not stored.
 *
 * But a release's figures (`sessions_count_in_last_24h`, `total_sessions_count`, `errors_seen_count`…) keep changing
 * long after its `release_time`, which an incremental pass never reaches back to: so, like errors, releases get a
 * periodic full pass (daily by default, the source's `releases_full_pass_interval`) that reads every page again.
 */
export const releases = defineStream({
  name: 'releases',
  description: "The project's releases (builds and deploys), with their session figures.",
  endpoint: 'GET /projects/{project_id}/releases',
  options: z.object({
    releases_full_pass_interval: durationOption({ description: 'How often releases get a full pass to refresh their session counts', default: '1d', flag: 'releases-full-pass' }),
  }),
  schema: ReleaseSchema.extend({ project_id: z.string() }),
  primaryKey: ['project_id', 'id'],
  partition: 'project',
  syncModes: ['full_refresh', 'incremental'],
  cursor: {
    field: 'release_time',
    order: 'newest-first',
    note: 'plus a periodic full pass (releases_full_pass_interval, default 1d) for session and error counts',
  },
  heavy: false,
  columns: [
    { name: 'project_id', type: 'text' },
    { name: 'id', type: 'text' },
    { name: 'release_time', type: 'timestamp' },
    { name: 'release_group_id', type: 'text' },
    { name: 'release_source', type: 'text' },
    { name: 'app_version', type: 'text' },
    { name: 'app_version_code', type: 'text' },
    { name: 'build_label', type: 'text' },
    { name: 'builder_name', type: 'text' },
    { name: 'release_stage', type: 'text', path: ['release_stage', 'name'] },
    { name: 'errors_introduced_count', type: 'integer' },
    { name: 'errors_seen_count', type: 'integer' },
    { name: 'total_sessions_count', type: 'integer' },
    { name: 'unhandled_sessions_count', type: 'integer' },
    { name: 'sessions_count_in_last_24h', type: 'integer' },
  ],
  read: readReleases,
});

async function* readReleases(ctx: ReadContext): AsyncGenerator<Batch> {
  const { project } = projectPartition(ctx, 'releases');
  const loaded = loadState(ReleaseState, ctx.state, ctx.warn);
  const cursor = loaded?.cursor;
  const lastFullPassAt = loaded?.lastFullPassAt;
  let pass = loaded?.pass ?? {
    base: seconds(ctx.now),
    full: cursor === undefined || fullPassDue(ctx.now, lastFullPassAt, ctx.options.releasesFullPassMs),
    startedAt: toIso(ctx.now),
  };
  const cursorFloor = cursor === undefined || pass.full ? null : (ms(cursor) ?? 0) - ctx.options.lookbackMs;
  const start = ctx.options.startDate?.getTime() ?? null;
  const stopBelow = Math.max(cursorFloor ?? -Infinity, start ?? -Infinity);
  // What a pass in progress keeps of the last completed one: a crash mid-pass loses neither the cursor nor when the
  // last full pass was (which would make the next full pass due at once).
  const carried = { ...(cursor ? { cursor } : {}), ...(lastFullPassAt !== undefined ? { lastFullPassAt } : {}) };
  const completed = (maxSeen: string | undefined) => ({
    cursor: maxIso(cursor, maxSeen) ?? cursor ?? pass.base,
    ...(pass.full ? { lastFullPassAt: pass.startedAt } : lastFullPassAt !== undefined ? { lastFullPassAt } : {}),
  });
  let resumeFrom = pass.nextUrl;
  for (;;) {
    const fromSaved = resumeFrom !== undefined;
    const saved = resumeFrom;
    resumeFrom = undefined;
    try {
      for await (const page of ctx.api.releases.list(project.id, saved ? { resumeFrom: saved } : { base: pass.base }).pages()) {
        let maxSeen = pass.maxSeen;
        let oldest = Infinity;
        for (const r of page.items) {
          maxSeen = maxIso(maxSeen, r.release_time);
          oldest = Math.min(oldest, ms(r.release_time) ?? Infinity);
        }
        const records = page.items
          .filter((r) => start === null || (ms(r.release_time) ?? Infinity) >= start)
          .map((r) => withParents(r, { project_id: project.id }));
        const done = page.nextUrl === undefined || oldest < stopBelow;
        const batch: Batch = done
          ? { records, state: completed(maxSeen) }
          : { records, state: { ...carried, pass: { ...pass, nextUrl: page.nextUrl, ...(maxSeen ? { maxSeen } : {}) } } };
        if (page.totalCount !== undefined) batch.total = page.totalCount;
        pass = { ...pass, ...(maxSeen ? { maxSeen } : {}) };
        yield batch;
        if (done) return;
      }
      return;
    } catch (err) {
      if (!fromSaved || !isRejectedLink(err)) throw err;
      ctx.warn('resume-link-rejected', 'The saved releases page link was refused by Bugsnag; this pass is read again from its first page.');
    }
  }
}
