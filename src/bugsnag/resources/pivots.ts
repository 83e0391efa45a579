import type { ApiContext, ListOptions } from '../context.js';
import { filterPairs, type Filters } from '../filters.js';
import { Pivot, PivotValue } from '../models/pivot.js';
import { pageSize } from '../page-sizes.js';
import type { Paginator } from '../paginator.js';
import { absoluteTime } from '../params.js';
import { queryPairs, seg } from '../query.js';

export interface PivotListOptions extends Omit<ListOptions, 'perPage'> {
  filters?: Filters;
  /** Values summarised per pivot (Bugsnag's default is 10). */
  summarySize?: number;
  /** Only these event fields (display ids). */
  pivots?: readonly string[];
}

export interface PivotValueListOptions extends ListOptions {
  filters?: Filters;
  base?: string | Date;
  sort?: 'unsorted';
}

export interface PivotsResource {
  /** `GET /projects/{p}/pivots`: a snapshot of counts per event field. */
  list(projectId: string, options?: PivotListOptions): Paginator<Pivot>;
  /** `GET /projects/{p}/pivots/{display_id}/values`. */
  values(projectId: string, eventFieldDisplayId: string, options?: PivotValueListOptions): Paginator<PivotValue>;
}

export function pivotsResource(api: ApiContext): PivotsResource {
  return {
    list: (projectId, o = {}) =>
      api.paginate(
        `/projects/${seg('project id', projectId)}/pivots`,
        [...queryPairs({ summary_size: o.summarySize, pivots: o.pivots }), ...filterPairs(o.filters, api.now())],
        Pivot,
        o,
      ),
    values: (projectId, displayId, o = {}) =>
      api.paginate(
        `/projects/${seg('project id', projectId)}/pivots/${seg('event field display id', displayId)}/values`,
        [
          ...queryPairs({
            base: absoluteTime(o.base, 'base'),
            sort: o.sort,
            per_page: pageSize('pivotValues', o.perPage),
          }),
          ...filterPairs(o.filters, api.now()),
        ],
        PivotValue,
        o,
      ),
  };
}
