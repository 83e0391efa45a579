import { SnagError } from '../../core/errors.js';
import type { ApiContext, CallOptions, ListOptions } from '../context.js';
import { Release, ReleaseGroup } from '../models/release.js';
import { pageSize } from '../page-sizes.js';
import type { Paginator } from '../paginator.js';
import { absoluteTime } from '../params.js';
import { queryPairs, seg } from '../query.js';

export interface ReleaseListOptions extends ListOptions {
  releaseStage?: string;
  /** Only releases before this time. */
  base?: string | Date;
  sort?: 'timestamp' | 'percent_of_sessions';
}

export interface ReleaseGroupListOptions extends ListOptions {
  /** Required by Bugsnag (400 without); take the names from `project.release_stages`. */
  releaseStageName: string;
  topOnly?: boolean;
  visibleOnly?: boolean;
}

export interface ReleasesResource {
  /** `GET /projects/{p}/releases`; 10 per page at most (Bugsnag answers 400 above). */
  list(projectId: string, options?: ReleaseListOptions): Paginator<Release>;
  get(projectId: string, releaseId: string, options?: CallOptions): Promise<Release>;
}

export interface ReleaseGroupsResource {
  /** `GET /projects/{p}/release_groups?release_stage_name=…`. */
  list(projectId: string, options: ReleaseGroupListOptions): Paginator<ReleaseGroup>;
  get(releaseGroupId: string, options?: CallOptions): Promise<ReleaseGroup>;
  /** `GET /release_groups/{id}/releases`. */
  releases(releaseGroupId: string, options?: ListOptions): Paginator<Release>;
}

export function releasesResource(api: ApiContext): ReleasesResource {
  return {
    list: (projectId, o = {}) =>
      api.paginate(
        `/projects/${seg('project id', projectId)}/releases`,
        queryPairs({
          release_stage: o.releaseStage,
          base: absoluteTime(o.base, 'base'),
          sort: o.sort,
          per_page: pageSize('releases', o.perPage),
        }),
        Release,
        o,
      ),
    get: async (projectId, releaseId, o) =>
      api.get(`/projects/${seg('project id', projectId)}/releases/${seg('release id', releaseId)}`, [], Release, o),
  };
}

export function releaseGroupsResource(api: ApiContext): ReleaseGroupsResource {
  return {
    list: (projectId, o) => {
      if (!o.resumeFrom && (typeof o.releaseStageName !== 'string' || o.releaseStageName.trim() === '')) {
        throw new SnagError('config', 'Listing release groups needs a release stage name.', {
          hint: 'Give one of the project\'s release stages (project.release_stages), e.g. "production".',
        });
      }
      return api.paginate(
        `/projects/${seg('project id', projectId)}/release_groups`,
        queryPairs({
          release_stage_name: o.releaseStageName,
          top_only: o.topOnly,
          visible_only: o.visibleOnly,
          per_page: pageSize('releaseGroups', o.perPage),
        }),
        ReleaseGroup,
        o,
      );
    },
    get: async (releaseGroupId, o) =>
      api.get(`/release_groups/${seg('release group id', releaseGroupId)}`, [], ReleaseGroup, o),
    releases: (releaseGroupId, o = {}) =>
      api.paginate(
        `/release_groups/${seg('release group id', releaseGroupId)}/releases`,
        queryPairs({ per_page: pageSize('releaseGroupReleases', o.perPage) }),
        Release,
        o,
      ),
  };
}
