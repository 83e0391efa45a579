import { z } from 'zod';
import { StabilityPointSchema } from '../bugsnag/models/trend.js';
import { snapshot } from './refresh.js';
import { defineStream } from './types.js';
import { projectPartition } from './util.js';

/**
 * One row per project and UTC day (the last 30 days, primary release stage). Bugsnag answers 204 without sessions
 * and 404 without a primary release stage: both mean "no data", not a failure (docs/bugsnag-api.md §7).
 */
export const stabilityTrend = defineStream({
  name: 'stability_trend',
  description: 'Daily crash-free session figures of the primary release stage (last 30 days).',
  endpoint: 'GET /projects/{project_id}/stability_trend',
  schema: StabilityPointSchema.extend({ project_id: z.string(), release_stage_name: z.string().nullish() }),
  primaryKey: ['project_id', 'bucket_start'],
  partition: 'project',
  syncModes: ['full_refresh'],
  heavy: false,
  // Daily figures: an hour's lag on today's counts, for one request per project less on every sync.
  refreshEvery: '1h',
  columns: [
    { name: 'project_id', type: 'text', description: 'The project (projects.id).' },
    { name: 'bucket_start', type: 'timestamp', description: 'The day’s start (UTC).' },
    { name: 'bucket_end', type: 'timestamp', description: 'The day’s end (UTC).' },
    { name: 'release_stage_name', type: 'text', description: 'The primary release stage the figures are for.' },
    { name: 'total_sessions_count', type: 'integer', description: 'Sessions that day.' },
    {
      name: 'unhandled_sessions_count',
      type: 'integer',
      description: 'Sessions that day that ended in an unhandled error.',
    },
    { name: 'unhandled_rate', type: 'real', description: 'unhandled_sessions_count / total_sessions_count (0 to 1).' },
    { name: 'users_seen', type: 'integer', description: 'Users seen that day.' },
    { name: 'users_with_unhandled', type: 'integer', description: 'Users that day who met an unhandled error.' },
    { name: 'unhandled_user_rate', type: 'real', description: 'users_with_unhandled / users_seen (0 to 1).' },
  ],
  read: (ctx) => {
    const { project } = projectPartition(ctx, 'stability_trend');
    return snapshot(ctx, async () => {
      const trend = await ctx.api.stability.trend(project.id);
      if (!trend) return [];
      return (trend.timeline_points ?? [])
        .filter((p) => typeof p.bucket_start === 'string')
        .map((p) => ({ project_id: project.id, release_stage_name: trend.release_stage_name ?? null, ...p }));
    });
  },
});
