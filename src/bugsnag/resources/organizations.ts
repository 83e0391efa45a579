import type { ApiContext, CallOptions, ListOptions } from '../context.js';
import { Organization } from '../models/organization.js';
import { pageSize } from '../page-sizes.js';
import type { Paginator } from '../paginator.js';
import { queryPairs, seg } from '../query.js';

export interface OrganizationsResource {
  /** `GET /user/organizations`: the organizations the token reaches (often one; never assume so). */
  list(options?: ListOptions & { admin?: boolean }): Paginator<Organization>;
  get(organizationId: string, options?: CallOptions): Promise<Organization>;
}

export function organizationsResource(api: ApiContext): OrganizationsResource {
  return {
    list: (o = {}) =>
      api.paginate(
        '/user/organizations',
        queryPairs({ admin: o.admin, per_page: pageSize('organizations', o.perPage) }),
        Organization,
        o,
      ),
    get: async (organizationId, o) =>
      api.get(`/organizations/${seg('organization id', organizationId)}`, [], Organization, o),
  };
}
