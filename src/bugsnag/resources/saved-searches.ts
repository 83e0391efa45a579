import type { ApiContext, CallOptions, ListOptions } from '../context.js';
import { SavedSearch, SavedSearchUsageSummary } from '../models/saved-search.js';
import type { Paginator } from '../paginator.js';
import { queryPairs, seg } from '../query.js';

export interface SavedSearchesResource {
  /** `GET /projects/{p}/saved_searches`; 403 `plan_feature` on plans without the feature. */
  list(projectId: string, options?: Omit<ListOptions, 'perPage'> & { shared?: boolean }): Paginator<SavedSearch>;
  get(savedSearchId: string, options?: CallOptions): Promise<SavedSearch>;
  /** `GET /saved_searches/{id}/usage_summary` (the summary has no id of its own). */
  usageSummary(savedSearchId: string, options?: CallOptions): Promise<SavedSearchUsageSummary>;
}

export function savedSearchesResource(api: ApiContext): SavedSearchesResource {
  return {
    list: (projectId, o = {}) =>
      api.paginate(
        `/projects/${seg('project id', projectId)}/saved_searches`,
        queryPairs({ shared: o.shared }),
        SavedSearch,
        o,
      ),
    get: async (id, o) => api.get(`/saved_searches/${seg('saved search id', id)}`, [], SavedSearch, o),
    usageSummary: async (id, o) =>
      api.get(`/saved_searches/${seg('saved search id', id)}/usage_summary`, [], SavedSearchUsageSummary, o),
  };
}
