import { z } from 'zod';
import { TrendBucketSchema } from '../bugsnag/models/trend.js';
import { snapshot } from './refresh.js';
import { defineStream } from './types.js';
import { projectPartition, seconds } from './util.js';
import { enumOption, integerOption } from './options.js';

const DAY_MS = 86_400_000;

/**
 * Event counts per time bucket (within the source's filters) over the last `trends_days` days, at a fixed
 * resolution. Buckets are aligned on the resolution, so the same bucket keeps its key from one sync to the next and
 * the current, still-growing bucket is simply updated.
 */
export const trends = defineStream({
  name: 'trends',
  description: 'Events per time bucket (12 h by default) over the last 30 days, within the source filters.',
  endpoint: 'GET /projects/{project_id}/trends (falls back to /trend)',
  options: z.object({
    trends_resolution: enumOption(['1m', '5m', '30m', '2h', '12h'], {
      description: 'The width of a trends bucket',
      default: '12h',
    }),
    trends_days: integerOption(1, 90, { description: 'How many days back trends reach', default: 30 }),
  }),
  schema: TrendBucketSchema.extend({ project_id: z.string(), resolution: z.string() }),
  primaryKey: ['project_id', 'bucket_start'],
  partition: 'project',
  syncModes: ['full_refresh'],
  heavy: false,
  // Buckets of 12 h by default: reading them by every sync of a minute only moves the current bucket's count.
  refreshEvery: '1h',
  columns: [
    { name: 'project_id', type: 'text', description: 'The project (projects.id).' },
    // Bugsnag names the bucket's bounds `from` and `to` (docs/bugsnag-api.md §7): words SQL reserves, so the columns
    // take the names stability_trend uses; tables made with the old names are renamed in place.
    {
      name: 'bucket_start',
      type: 'timestamp',
      path: ['from'],
      formerNames: ['from'],
      description: 'The bucket’s start (Bugsnag’s from), inclusive.',
    },
    {
      name: 'bucket_end',
      type: 'timestamp',
      path: ['to'],
      formerNames: ['to'],
      description: 'The bucket’s end (Bugsnag’s to).',
    },
    {
      name: 'events_count',
      type: 'integer',
      description: 'Events received in the bucket, within the source’s filters.',
    },
    { name: 'resolution', type: 'text', description: 'The bucket’s width (1m, 5m, 30m, 2h, 12h).' },
  ],
  read: (ctx) => {
    const { project } = projectPartition(ctx, 'trends');
    const { trendsResolution: resolution, trendsDays, startDate, filters } = ctx.options;
    const windowStart = ctx.now.getTime() - trendsDays * DAY_MS;
    const since = seconds(Math.max(windowStart, startDate?.getTime() ?? 0));
    return snapshot(ctx, async () => {
      const buckets = await ctx.api.trends.forProject(project.id, {
        resolution,
        filters: { ...filters, 'event.since': since },
      });
      return buckets
        .filter((b) => typeof b.from === 'string')
        .map((b) => ({ ...b, project_id: project.id, resolution }));
    });
  },
});
