import { z } from 'zod';
import { ReleaseSchema, type Release } from '../bugsnag/models/release.js';
import { durationOption } from './options.js';
import { defineStream } from './types.js';
import { projectPartition, withParents } from './util.js';
import { windowPasses } from './window.js';

/**
 * Releases, newest first by `release_time` (10 a page, Bugsnag's maximum), on the shared window pass. Incremental: a
 * pass fixes `base` (its start) so pages do not shift, and stops after the first page that reaches below the cursor
 * or the look-back of the last pass (Bugsnag cannot filter releases by time, so the cut is made here). The cursor is
 * the newest `release_time` of the last completed pass. Of the pages it reads, it keeps only the releases newer than
 * the cursor or within that look-back: the rest was stored by an earlier pass, and keeping it sent a whole page of
 * unchanged releases again on every read. Releases older than the source's start date are not stored.
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
    releases_full_pass_interval: durationOption({
      description: 'How often releases get a full pass to refresh their session counts',
      default: '1d',
      flag: 'releases-full-pass',
    }),
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
  // A release appears once per deploy (and a webhook's `release` message writes it at once): a look every 15 min.
  refreshEvery: '15m',
  columns: [
    { name: 'project_id', type: 'text', description: 'The project (projects.id).' },
    { name: 'id', type: 'text', description: 'The release id.' },
    { name: 'release_time', type: 'timestamp', description: 'When it was released (the incremental cursor).' },
    { name: 'release_group_id', type: 'text', description: 'Its release group (release_groups.id).' },
    {
      name: 'release_source',
      type: 'text',
      description: 'How Bugsnag learned of it (a build API call, a first event, …).',
    },
    { name: 'app_version', type: 'text', description: 'The app version.' },
    { name: 'app_version_code', type: 'text', description: 'The version code (Android) or bundle version (iOS).' },
    { name: 'build_label', type: 'text', description: 'The build’s label, if any.' },
    { name: 'builder_name', type: 'text', description: 'Who or what built it.' },
    {
      name: 'release_stage',
      type: 'text',
      path: ['release_stage', 'name'],
      description: 'Its release stage (production, staging, …).',
    },
    { name: 'errors_introduced_count', type: 'integer', description: 'Errors first seen in it.' },
    { name: 'errors_seen_count', type: 'integer', description: 'Errors seen in it.' },
    { name: 'total_sessions_count', type: 'integer', description: 'Sessions in it.' },
    {
      name: 'unhandled_sessions_count',
      type: 'integer',
      description: 'Sessions in it that ended in an unhandled error.',
    },
    {
      name: 'sessions_count_in_last_24h',
      type: 'integer',
      description: 'Sessions in it over the 24 hours before it was read.',
    },
  ],
  read: (ctx) => {
    const { project } = projectPartition(ctx, 'releases');
    return windowPasses<Release>(ctx, {
      cursorOf: (r) => r.release_time,
      // The list takes no time filter: `base` fixes the pass's upper bound, the pass reads down to the window's start.
      cut: 'client',
      open: (w, resumeFrom) => ctx.api.releases.list(project.id, resumeFrom ? { resumeFrom } : { base: w.base }),
      toRecord: (r) => withParents(r, { project_id: project.id }),
      fullPassMs: ctx.options.releasesFullPassMs,
    });
  },
});
