import { z } from 'zod';
import { bool, count, defineModel, id, normalizeTimestamps, str, timestamp } from './common.js';

/**
 * Feature flags and their variants, per release stage (docs/bugsnag-api.md, Feature flags). Shapes: SmartBear's
 * OpenAPI description (FeatureFlag, FeatureFlagVariant, FeatureFlagErrorSummary, FeatureFlagVariantErrorSummary).
 */
const FeatureFlagVariantSummarySchema = z.looseObject({
  variant_count: count(),
  first_variant_name: str(),
});

export const FeatureFlagSchema = z.looseObject({
  id: id(),
  name: str(),
  first_seen: timestamp(),
  is_starred: bool(),
  is_active: bool(),
  variant_summary: FeatureFlagVariantSummarySchema.nullish(),
});
export type FeatureFlag = z.infer<typeof FeatureFlagSchema>;
export const FeatureFlag = defineModel('a feature flag', FeatureFlagSchema, (f) =>
  normalizeTimestamps(f, ['first_seen']),
);

export const FeatureFlagVariantSchema = z.looseObject({
  id: id(),
  name: str(),
  first_seen: timestamp(),
});
export type FeatureFlagVariant = z.infer<typeof FeatureFlagVariantSchema>;
export const FeatureFlagVariant = defineModel('a feature flag variant', FeatureFlagVariantSchema, (v) =>
  normalizeTimestamps(v, ['first_seen']),
);

/** Errors seen with a flag (or one of its variants) on, in a release stage; has no id of its own. */
export const FeatureFlagErrorOverviewSchema = z.looseObject({
  errors_seen: count(),
  exclusive_errors: count(),
  last_seen: timestamp(),
});
export type FeatureFlagErrorOverview = z.infer<typeof FeatureFlagErrorOverviewSchema>;
export const FeatureFlagErrorOverview = defineModel("a feature flag's error overview", FeatureFlagErrorOverviewSchema);

export const FeatureFlagVariantErrorOverviewSchema = FeatureFlagErrorOverviewSchema.extend({ variant_id: id() });
export type FeatureFlagVariantErrorOverview = z.infer<typeof FeatureFlagVariantErrorOverviewSchema>;
export const FeatureFlagVariantErrorOverview = defineModel(
  "a feature flag variant's error overview",
  FeatureFlagVariantErrorOverviewSchema,
);
