import type { ApiContext, CallOptions, ListOptions } from '../context.js';
import { Collaborator, Team } from '../models/collaborator.js';
import { pageSize } from '../page-sizes.js';
import type { Paginator } from '../paginator.js';
import { queryPairs, seg } from '../query.js';

export interface CollaboratorsResource {
  /** `GET /organizations/{org}/collaborators`: organization administrators only (403 `forbidden` otherwise). */
  listForOrganization(organizationId: string, options?: ListOptions & { q?: string }): Paginator<Collaborator>;
  getForOrganization(organizationId: string, collaboratorId: string, options?: CallOptions): Promise<Collaborator>;
  /** `GET /projects/{p}/collaborators`: needs access to the project only. */
  listForProject(projectId: string, options?: ListOptions): Paginator<Collaborator>;
  getForProject(projectId: string, collaboratorId: string, options?: CallOptions): Promise<Collaborator>;
}

export interface TeamsResource {
  /**
   * `GET /organizations/{org}/teams`: organization administrators only. Bugsnag documents a token `offset` but no
   * Link header for teams; a Link is followed when present.
   */
  list(organizationId: string, options?: ListOptions & { q?: string }): Paginator<Team>;
  get(organizationId: string, teamId: string, options?: CallOptions): Promise<Team>;
}

export function collaboratorsResource(api: ApiContext): CollaboratorsResource {
  return {
    listForOrganization: (organizationId, o = {}) =>
      api.paginate(
        `/organizations/${seg('organization id', organizationId)}/collaborators`,
        queryPairs({ q: o.q, per_page: pageSize('collaborators', o.perPage) }),
        Collaborator,
        o,
      ),
    getForOrganization: async (organizationId, collaboratorId, o) =>
      api.get(
        `/organizations/${seg('organization id', organizationId)}/collaborators/${seg('collaborator id', collaboratorId)}`,
        [],
        Collaborator,
        o,
      ),
    listForProject: (projectId, o = {}) =>
      api.paginate(
        `/projects/${seg('project id', projectId)}/collaborators`,
        queryPairs({ per_page: pageSize('collaborators', o.perPage) }),
        Collaborator,
        o,
      ),
    getForProject: async (projectId, collaboratorId, o) =>
      api.get(
        `/projects/${seg('project id', projectId)}/collaborators/${seg('collaborator id', collaboratorId)}`,
        [],
        Collaborator,
        o,
      ),
  };
}

export function teamsResource(api: ApiContext): TeamsResource {
  return {
    list: (organizationId, o = {}) =>
      api.paginate(
        `/organizations/${seg('organization id', organizationId)}/teams`,
        queryPairs({ q: o.q, per_page: pageSize('teams', o.perPage) }),
        Team,
        o,
      ),
    get: async (organizationId, teamId, o) =>
      api.get(`/organizations/${seg('organization id', organizationId)}/teams/${seg('team id', teamId)}`, [], Team, o),
  };
}
