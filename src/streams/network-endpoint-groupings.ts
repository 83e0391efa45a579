import { z } from 'zod';
import { NetworkEndpointGroupingSchema } from '../bugsnag/models/performance.js';
import { snapshot } from './refresh.js';
import { defineStream } from './types.js';
import { projectPartition, withParents } from './util.js';

/**
 * The URL patterns BugSnag Performance groups a project's network spans by: one small object per project
 * (docs/bugsnag-api.md §21), read daily, off unless named. A plan without the feature answers the documented 403
 * `Organization requires the performance network grouping feature`: skipped for that project with a warning.
 */

export const networkEndpointGroupings = defineStream({
  name: 'network_endpoint_groupings',
  description: "The URL patterns the project's network spans are grouped by (one row per project).",
  endpoint: 'GET /projects/{project_id}/network_endpoint_grouping',
  schema: NetworkEndpointGroupingSchema.extend({ project_id: z.string() }),
  primaryKey: ['project_id'],
  partition: 'project',
  syncModes: ['full_refresh'],
  heavy: true,
  refreshEvery: '1d',
  columns: [
    { name: 'project_id', type: 'text', description: 'The project (projects.id).' },
    { name: 'endpoints', type: 'json', description: 'The URL patterns, in order (JSON array).' },
  ],
  read: (ctx) => {
    const { project } = projectPartition(ctx, 'network_endpoint_groupings');
    return snapshot(ctx, async () => {
      const g = await ctx.api.performance.networkEndpointGrouping(project.id, { signal: ctx.signal });
      return [withParents(g, { project_id: project.id })];
    });
  },
});
