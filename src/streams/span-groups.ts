import { z } from 'zod';
import { SpanGroupSchema } from '../bugsnag/models/performance.js';
import type { ColumnSpec } from '../core/stream-shape.js';
import { defineListStream } from './list.js';

/**
 * BugSnag Performance's span groups, each with its statistics (docs/bugsnag-api.md §21). Statistics cover a window
 * Bugsnag computes and no filter says "changed since", so the list is read whole, hourly by default. Spans themselves
 * are not read: a span group's spans and a trace's spans are per-request samples, large, and need a trace id or a
 * time window per call. Plans without BugSnag Performance answer 403: the stream is skipped for that project with a
 * warning. Off unless a source asks for it.
 */

/** The statistics columns of a span group found at `at` in the record (`[]`: the record is the group). */
export function statisticsColumns(prefix: string, at: string[], what: string): ColumnSpec[] {
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
