import { SnagError } from '../../core/errors.js';
import type { ApiContext, CallOptions, ListOptions } from '../context.js';
import {
  FeatureFlag,
  FeatureFlagErrorOverview,
  FeatureFlagVariant,
  FeatureFlagVariantErrorOverview,
} from '../models/feature-flag.js';
import { pageSize } from '../page-sizes.js';
import type { Paginator } from '../paginator.js';
import { queryPairs, seg } from '../query.js';

/** Every feature-flag call is per release stage: Bugsnag answers 400 without `release_stage_name`. */
export interface ReleaseStageOptions {
  /** Take the names from `project.release_stages`. */
  releaseStageName: string;
}

export interface FeatureFlagListOptions extends ListOptions, ReleaseStageOptions {
  /** Each flag with `variant_summary` (how many variants, the first one's name). */
  includeVariantSummary?: boolean;
  /** Flags not seen in the last 7 days too (Bugsnag leaves them out by default). */
  includeInactive?: boolean;
}

export interface FeatureFlagsResource {
  /**
   * `GET /projects/{p}/feature_flags?release_stage_name=…`. Plans without the features-experiments feature are
   * refused (403 `plan_feature`, or 404 on a path the host does not route).
   */
  list(projectId: string, options: FeatureFlagListOptions): Paginator<FeatureFlag>;
  /** `GET /projects/{p}/feature_flags/{id}/variants?release_stage_name=…`. */
  variants(
    projectId: string,
    flagId: string,
    options: ListOptions & ReleaseStageOptions,
  ): Paginator<FeatureFlagVariant>;
  /** `GET /projects/{p}/feature_flags/{id}/error_overview?release_stage_name=…`: errors seen with the flag on. */
  errorOverview(
    projectId: string,
    flagId: string,
    options: CallOptions & ReleaseStageOptions,
  ): Promise<FeatureFlagErrorOverview>;
  /** `GET /projects/{p}/feature_flags/{id}/variants/error_overview?variant_ids[]=…`: errors per variant. */
  variantsErrorOverview(
    projectId: string,
    flagId: string,
    variantIds: readonly string[],
    options: CallOptions & ReleaseStageOptions,
  ): Promise<FeatureFlagVariantErrorOverview[]>;
}

function stage(o: Partial<ReleaseStageOptions> & { resumeFrom?: string }): string | undefined {
  if (o.resumeFrom) return undefined;
  if (typeof o.releaseStageName !== 'string' || o.releaseStageName.trim() === '')
    throw new SnagError('config', 'Reading feature flags needs a release stage name.', {
      hint: "Bugsnag keeps feature flags per release stage: pass one of the project's release_stages.",
    });
  return o.releaseStageName;
}

export function featureFlagsResource(api: ApiContext): FeatureFlagsResource {
  const base = (projectId: string) => `/projects/${seg('project id', projectId)}/feature_flags`;
  return {
    list: (projectId, o) =>
      api.paginate(
        base(projectId),
        queryPairs({
          release_stage_name: stage(o),
          include_variant_summary: o.includeVariantSummary,
          include_inactive: o.includeInactive,
          per_page: o.resumeFrom ? undefined : pageSize('featureFlags', o.perPage),
        }),
        FeatureFlag,
        o,
      ),
    variants: (projectId, flagId, o) =>
      api.paginate(
        `${base(projectId)}/${seg('feature flag id', flagId)}/variants`,
        queryPairs({
          release_stage_name: stage(o),
          per_page: o.resumeFrom ? undefined : pageSize('featureFlagVariants', o.perPage),
        }),
        FeatureFlagVariant,
        o,
      ),
    errorOverview: async (projectId, flagId, o) =>
      api.get(
        `${base(projectId)}/${seg('feature flag id', flagId)}/error_overview`,
        queryPairs({ release_stage_name: stage(o) }),
        FeatureFlagErrorOverview,
        o,
      ),
    variantsErrorOverview: async (projectId, flagId, variantIds, o) =>
      api.getArray(
        `${base(projectId)}/${seg('feature flag id', flagId)}/variants/error_overview`,
        queryPairs({ variant_ids: variantIds, release_stage_name: stage(o) }),
        FeatureFlagVariantErrorOverview,
        o,
      ),
  };
}
