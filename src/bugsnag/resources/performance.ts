import type { ApiContext, CallOptions, ListOptions } from '../context.js';
import { NetworkEndpointGrouping, PageLoadSpanGroup, SpanGroup } from '../models/performance.js';
import { pageSize } from '../page-sizes.js';
import type { Paginator } from '../paginator.js';
import { queryPairs, seg } from '../query.js';

/**
 * BugSnag Performance, read side. Plans without Performance are refused (403 `plan_feature`, or 404 on a path the
 * host does not route). No performance filters are sent: the statistics are the ones Bugsnag computes by default.
 */
export interface PerformanceResource {
  /** `GET /projects/{p}/span_groups`: each span group with its statistics; numeric `offset` paging. */
  spanGroups(projectId: string, options?: ListOptions): Paginator<SpanGroup>;
  /** `GET /projects/{p}/page_load_span_groups`: full page loads with their route changes (browser projects). */
  pageLoadSpanGroups(projectId: string, options?: ListOptions): Paginator<PageLoadSpanGroup>;
  /** `GET /projects/{p}/network_endpoint_grouping`: the URL patterns network spans are grouped by (one object). */
  networkEndpointGrouping(projectId: string, options?: CallOptions): Promise<NetworkEndpointGrouping>;
}

export function performanceResource(api: ApiContext): PerformanceResource {
  const base = (projectId: string) => `/projects/${seg('project id', projectId)}`;
  return {
    spanGroups: (projectId, o = {}) =>
      api.paginate(
        `${base(projectId)}/span_groups`,
        queryPairs({ per_page: o.resumeFrom ? undefined : pageSize('spanGroups', o.perPage) }),
        SpanGroup,
        o,
      ),
    pageLoadSpanGroups: (projectId, o = {}) =>
      api.paginate(
        `${base(projectId)}/page_load_span_groups`,
        queryPairs({ per_page: o.resumeFrom ? undefined : pageSize('spanGroups', o.perPage) }),
        PageLoadSpanGroup,
        o,
      ),
    networkEndpointGrouping: async (projectId, o) =>
      api.get(`${base(projectId)}/network_endpoint_grouping`, [], NetworkEndpointGrouping, o),
  };
}
