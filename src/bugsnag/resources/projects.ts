import type { ApiContext, CallOptions, ListOptions } from '../context.js';
import { Project } from '../models/project.js';
import { pageSize } from '../page-sizes.js';
import type { Paginator } from '../paginator.js';
import { queryPairs, seg } from '../query.js';

export interface ProjectListOptions extends ListOptions {
  /** Name search. */
  q?: string;
  sort?: 'created_at' | 'name' | 'favorite';
  /** Bugsnag rejects `desc` with `favorite`. */
  direction?: 'asc' | 'desc';
}

export interface ProjectsResource {
  /** `GET /organizations/{org}/projects`. */
  list(organizationId: string, options?: ProjectListOptions): Paginator<Project>;
  get(projectId: string, options?: CallOptions): Promise<Project>;
  /** `GET /organizations/{org}/collaborators/{id}/projects` (organization administrators only). */
  listForCollaborator(organizationId: string, collaboratorId: string, options?: ListOptions): Paginator<Project>;
}

export function projectsResource(api: ApiContext): ProjectsResource {
  return {
    list: (organizationId, o = {}) =>
      api.paginate(
        `/organizations/${seg('organization id', organizationId)}/projects`,
        queryPairs({ q: o.q, sort: o.sort, direction: o.direction, per_page: pageSize('projects', o.perPage) }),
        Project,
        o,
      ),
    get: async (projectId, o) => api.get(`/projects/${seg('project id', projectId)}`, [], Project, o),
    listForCollaborator: (organizationId, collaboratorId, o = {}) =>
      api.paginate(
        `/organizations/${seg('organization id', organizationId)}/collaborators/${seg('collaborator id', collaboratorId)}/projects`,
        queryPairs({ per_page: pageSize('projects', o.perPage) }),
        Project,
        o,
      ),
  };
}
