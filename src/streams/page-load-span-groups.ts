import { z } from 'zod';
import { PageLoadSpanGroupSchema } from '../bugsnag/models/performance.js';
import { defineListStream } from './list.js';
import { statisticsColumns } from './span-groups.js';

/**
 * BugSnag Performance's page loads (browser projects): each route's full page load and route change span groups,
 * with their statistics (docs/bugsnag-api.md §21). Read whole, hourly by default, off unless named; skipped with a
 * warning on a plan without BugSnag Performance.
 */

export const pageLoadSpanGroups = defineListStream({
  name: 'page_load_span_groups',
  description: "The project's page loads (browser projects): each route's full page load and route change.",
  endpoint: 'GET /projects/{project_id}/page_load_span_groups',
  schema: PageLoadSpanGroupSchema.extend({ project_id: z.string() }),
  primaryKey: ['project_id', 'id'],
  partition: 'project',
  heavy: true,
  refreshEvery: '1h',
  columns: [
    { name: 'project_id', type: 'text', description: 'The project (projects.id).' },
    { name: 'id', type: 'text', description: 'The page load’s id (a virtual span group).' },
    { name: 'display_name', type: 'text', description: 'Its route, as the dashboard shows it.' },
    { name: 'is_starred', type: 'boolean', description: 'Whether the token’s user starred it.' },
    {
      name: 'full_page_load_span_group_id',
      type: 'text',
      path: ['full_page_load_span_group', 'id'],
      description: 'Its full page load (span_groups.id).',
    },
    ...statisticsColumns('full_page_load_', ['full_page_load_span_group'], 'of its full page loads'),
    {
      name: 'route_change_span_group_id',
      type: 'text',
      path: ['route_change_span_group', 'id'],
      description: 'Its route change (span_groups.id).',
    },
    ...statisticsColumns('route_change_', ['route_change_span_group'], 'of its route changes'),
    { name: 'full_page_load_span_group', type: 'json', description: 'Its full page load span group (JSON).' },
    { name: 'route_change_span_group', type: 'json', description: 'Its route change span group (JSON).' },
  ],
  list: (api) => api.performance.pageLoadSpanGroups,
});
