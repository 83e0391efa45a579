import { z } from 'zod';
import { ReleaseGroupSchema, type ReleaseGroup } from '../bugsnag/models/release.js';
import { refreshSteps, type RefreshStep } from './refresh.js';
import { defineStream } from './types.js';
import { projectPartition, withParents } from './util.js';

/** Bugsnag lists release groups per release stage only (400 without one), so a pass reads one list per stage. */
export const releaseGroups = defineStream({
  name: 'release_groups',
  description: "The project's release groups (app versions), for each of its release stages.",
  endpoint: 'GET /projects/{project_id}/release_groups?release_stage_name=…',
  schema: ReleaseGroupSchema.extend({ project_id: z.string() }),
  primaryKey: ['project_id', 'id'],
  partition: 'project',
  syncModes: ['full_refresh'],
  heavy: false,
  // Changes seldom: read once a day by default, not by every sync (docs/sync.md, Stream intervals).
  refreshEvery: '1d',
  columns: [
    { name: 'project_id', type: 'text', description: 'The project (projects.id).' },
    { name: 'id', type: 'text', description: 'The release group id (releases.release_group_id).' },
    { name: 'release_stage_name', type: 'text', description: 'The release stage it was listed for.' },
    { name: 'app_version', type: 'text', description: 'The app version it groups.' },
    { name: 'first_released_at', type: 'timestamp', description: 'When its first release came.' },
    { name: 'first_release_id', type: 'text', description: 'Its first release (releases.id).' },
    { name: 'releases_count', type: 'integer', description: 'Its releases (builds).' },
    {
      name: 'top_release_group',
      type: 'boolean',
      description: 'Whether it is among the release stage’s top releases.',
    },
    { name: 'visible', type: 'boolean', description: 'Whether the dashboard shows it.' },
    { name: 'total_sessions_count', type: 'integer', description: 'Sessions in it.' },
    {
      name: 'unhandled_sessions_count',
      type: 'integer',
      description: 'Sessions in it that ended in an unhandled error.',
    },
  ],
  read: (ctx) => {
    const { project } = projectPartition(ctx, 'release_groups');
    const stages = [...new Set(project.release_stages ?? [])];
    return refreshSteps(
      ctx,
      stages.map(
        (stage): RefreshStep<ReleaseGroup> => ({
          open: (resumeFrom?: string) =>
            ctx.api.releaseGroups.list(
              project.id,
              resumeFrom ? { resumeFrom, releaseStageName: stage } : { releaseStageName: stage },
            ),
          toRecords: (items) =>
            items.map((g) => withParents({ release_stage_name: stage, ...g }, { project_id: project.id })),
        }),
      ),
      // A saved position is a stage index: only valid for the same list of stages.
      { mode: `stages:${stages.join('|')}` },
    );
  },
});
