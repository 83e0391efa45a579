import { z } from 'zod';
import { FeatureFlagErrorOverviewSchema, FeatureFlagSchema } from '../bugsnag/models/feature-flag.js';
import { ERROR_COLUMNS, gone, perStage } from './feature-flag-stages.js';
import { defineStream, type StreamRecord } from './types.js';
import { projectPartition, withParents } from './util.js';

/**
 * Feature flags, per release stage, each with its error overview (errors seen with it on, and only with it):
 * one list of flags per stage, then one overview call per flag (docs/bugsnag-api.md §20). The API offers no filter
 * on change (only `first_seen` by this week or today), and the overviews change with every error, so it is read
 * whole, hourly by default (docs/sync.md). Plans without the features-experiments feature answer 403: the stream is
 * skipped for that project with a warning.
 */
export const featureFlags = defineStream({
  name: 'feature_flags',
  description: "The project's feature flags in each release stage, each with its error overview.",
  endpoint:
    'GET /projects/{project_id}/feature_flags?release_stage_name=… + GET /projects/{project_id}/feature_flags/{id}/error_overview',
  schema: FeatureFlagSchema.extend({
    project_id: z.string(),
    release_stage_name: z.string(),
    error_overview: FeatureFlagErrorOverviewSchema.nullable(),
  }),
  primaryKey: ['project_id', 'release_stage_name', 'id'],
  partition: 'project',
  syncModes: ['full_refresh'],
  // Off unless asked for: it needs a plan feature, and costs a request per flag.
  heavy: true,
  refreshEvery: '1h',
  columns: [
    { name: 'project_id', type: 'text', description: 'The project (projects.id).' },
    { name: 'release_stage_name', type: 'text', description: 'The release stage it was listed for.' },
    { name: 'id', type: 'text', description: 'The feature flag id.' },
    { name: 'name', type: 'text', description: 'Its name, as the app reports it.' },
    { name: 'first_seen', type: 'timestamp', description: 'When it was first seen in this release stage.' },
    {
      name: 'is_active',
      type: 'boolean',
      description: 'Whether it was seen in this release stage in the last 7 days.',
    },
    { name: 'is_starred', type: 'boolean', description: 'Whether the token’s user starred it.' },
    {
      name: 'variant_count',
      type: 'integer',
      path: ['variant_summary', 'variant_count'],
      description: 'Variants seen in this release stage.',
    },
    ...ERROR_COLUMNS,
  ],
  read: (ctx) => {
    const { project } = projectPartition(ctx, 'feature_flags');
    return perStage(ctx, project, async (stage, flags) => {
      const out: StreamRecord[] = [];
      for (const f of flags) {
        const overview = await gone(() =>
          ctx.api.featureFlags.errorOverview(project.id, f.id, { releaseStageName: stage, signal: ctx.signal }),
        );
        out.push(
          withParents({ release_stage_name: stage, ...f, error_overview: overview }, { project_id: project.id }),
        );
      }
      return out;
    });
  },
});
