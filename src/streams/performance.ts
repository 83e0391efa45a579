import { z } from 'zod';
import {
  NetworkEndpointGroupingSchema,
  PageLoadSpanGroupSchema,
  SpanGroupSchema,
} from '../bugsnag/models/performance.js';
import type { ColumnSpec } from '../core/stream-shape.js';
import { defineListStream } from './list.js';
import { snapshot } from './refresh.js';
import { defineStream } from './types.js';
import { projectPartition, withParents } from './util.js';

/**
 * BugSnag Performance, per project. Span groups carry statistics over a window Bugsnag computes (no filter says
 * "changed since"), so they are read whole, hourly by default; the network endpoint grouping is one small object,
 * read daily. Spans themselves are not read: a span group's spans and a trace's spans are per-request samples, large,
 * and need a trace id or a time window per call (docs/sync.md, Performance). Plans without BugSnag Performance
 * answer 403: the streams are skipped for that project with a warning. All are off unless a source asks for them.
 */

/** The statistics columns of a span group found at `at` in the record (`[]`: the record is the group). */
function statisticsColumns(prefix: string, at: string[], what: string): ColumnSpec[] {
  const p = (...rest: string[]) => [...at, 'statistics', ...rest];
  return [
    { name: `${prefix}total_spans`, type: 'integer', path: p('total_spans'), description: `Spans sampled ${what}.` },
    {
      name: `${prefix}estimated_spans`,
      type: 'integer',
      path: p('estimated_spans'),
      description: `Spans made ${what}, before sampling (an estimate).`,
    },
    {
      name: `${prefix}last_seen`,
      type: 'timestamp',
      path: p('last_seen'),
      description: `When a span ${what} was last seen.`,
    },
    ...(['p50', 'p75', 'p90', 'p95', 'p99'] as const).map(
      (q): ColumnSpec => ({
        name: `${prefix}duration_${q}`,
        type: 'real',
        path: p('duration_statistics', q),
        description: `The ${q} duration ${what}, in ms.`,
      }),
    ),
  ];
}

export const spanGroups = defineListStream({
  name: 'span_groups',
  description: "The project's span groups (app starts, page loads, network requests…), each with its statistics.",
  endpoint: 'GET /projects/{project_id}/span_groups',
  schema: SpanGroupSchema.extend({ project_id: z.string() }),
  primaryKey: ['project_id', 'id'],
  partition: 'project',
  heavy: true,
  // Statistics move with every span: read whole, once an hour by default (docs/sync.md, Stream intervals).
  refreshEvery: '1h',
  columns: [
    { name: 'project_id', type: 'text', description: 'The project (projects.id).' },
    { name: 'id', type: 'text', description: 'The span group id (`<n>.<category>.<name>`).' },
    { name: 'category', type: 'text', description: 'Its category (app_start, full_page_load, network…).' },
    { name: 'name', type: 'text', description: 'Its name.' },
    { name: 'display_name', type: 'text', description: 'Its name as the dashboard shows it.' },
    { name: 'is_starred', type: 'boolean', description: 'Whether the token’s user starred it.' },
    ...statisticsColumns('', [], 'in it'),
    { name: 'statistics', type: 'json', description: 'Its whole statistics (JSON).' },
    { name: 'performance_target', type: 'json', description: 'Its performance target, if any (JSON).' },
  ],
  list: (api) => api.performance.spanGroups,
});

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
