import { z } from 'zod';
import { bool, count, defineModel, dict, id, num, str, strList, timestamp } from './common.js';

/**
 * BugSnag Performance: span groups (with their statistics), page-load span groups and the network endpoint grouping
 * (docs/bugsnag-api.md, Performance). Shapes: SmartBear's OpenAPI description (SpanGroup, SpanGroupStatistics,
 * PageLoadSpanGroup, ProjectNetworkGroupingRuleset). Statistics hold durations in ms and span counts.
 */
const SpanGroupDurationStatisticsSchema = z.looseObject({
  p50: num(),
  p75: num(),
  p90: num(),
  p95: num(),
  p99: num(),
});

const SpanGroupStatisticsSchema = z.looseObject({
  duration_statistics: SpanGroupDurationStatisticsSchema.nullish(),
  total_spans: count(),
  estimated_spans: count(),
  last_seen: timestamp(),
  category_statistics: dict(),
  rendering_statistics: dict(),
  system_metrics_statistics: dict(),
  http_statistics: dict(),
});

export const SpanGroupSchema = z.looseObject({
  id: id(),
  category: str(),
  name: str(),
  display_name: str(),
  is_starred: bool(),
  statistics: SpanGroupStatisticsSchema.nullish(),
  performance_target: dict(),
});
export type SpanGroup = z.infer<typeof SpanGroupSchema>;
export const SpanGroup = defineModel('a span group', SpanGroupSchema);

export const PageLoadSpanGroupSchema = z.looseObject({
  id: id(),
  display_name: str(),
  is_starred: bool(),
  full_page_load_span_group: SpanGroupSchema.nullish(),
  route_change_span_group: SpanGroupSchema.nullish(),
});
export type PageLoadSpanGroup = z.infer<typeof PageLoadSpanGroupSchema>;
export const PageLoadSpanGroup = defineModel('a page load span group', PageLoadSpanGroupSchema);

export const NetworkEndpointGroupingSchema = z.looseObject({
  project_id: id(),
  endpoints: strList(),
});
export type NetworkEndpointGrouping = z.infer<typeof NetworkEndpointGroupingSchema>;
export const NetworkEndpointGrouping = defineModel('a network endpoint grouping', NetworkEndpointGroupingSchema);
