import { z } from 'zod';
import { FeatureFlagErrorOverviewSchema, FeatureFlagVariantSchema } from '../bugsnag/models/feature-flag.js';
import { ERROR_COLUMNS, gone, perStage } from './feature-flag-stages.js';
import { defineStream, type StreamRecord } from './types.js';
import { projectPartition, withParents } from './util.js';

/**
 * The variants of each feature flag, per release stage, each with its error overview (errors seen with the variant
 * on): for each flag of a stage's list, its variants and one overview call for all of them (docs/bugsnag-api.md §20).
 * Read whole, hourly by default, off unless named; skipped with a warning on a plan without features-experiments.
 */
export const featureFlagVariants = defineStream({
  name: 'feature_flag_variants',
  description: "The variants of the project's feature flags in each release stage, each with its error overview.",
  endpoint:
    'GET /projects/{project_id}/feature_flags/{id}/variants?release_stage_name=… + GET …/variants/error_overview',
  schema: FeatureFlagVariantSchema.extend({
    project_id: z.string(),
    release_stage_name: z.string(),
    feature_flag_id: z.string(),
    feature_flag_name: z.string().nullish(),
    error_overview: FeatureFlagErrorOverviewSchema.nullable(),
  }),
  primaryKey: ['project_id', 'release_stage_name', 'feature_flag_id', 'id'],
  partition: 'project',
  syncModes: ['full_refresh'],
  heavy: true,
  refreshEvery: '1h',
  columns: [
    { name: 'project_id', type: 'text', description: 'The project (projects.id).' },
    { name: 'release_stage_name', type: 'text', description: 'The release stage it was listed for.' },
    { name: 'feature_flag_id', type: 'text', description: 'Its feature flag (feature_flags.id).' },
    { name: 'feature_flag_name', type: 'text', description: 'Its feature flag’s name.' },
    { name: 'id', type: 'text', description: 'The variant id.' },
    { name: 'name', type: 'text', description: 'Its name, as the app reports it.' },
    { name: 'first_seen', type: 'timestamp', description: 'When it was first seen in this release stage.' },
    ...ERROR_COLUMNS,
  ],
  read: (ctx) => {
    const { project } = projectPartition(ctx, 'feature_flag_variants');
    return perStage(ctx, project, async (stage, flags) => {
      const out: StreamRecord[] = [];
      for (const f of flags) {
        const variants = await gone(() =>
          ctx.api.featureFlags.variants(project.id, f.id, { releaseStageName: stage, signal: ctx.signal }).all(),
        );
        if (!variants || variants.length === 0) continue;
        const overviews =
          (await gone(() =>
            ctx.api.featureFlags.variantsErrorOverview(
              project.id,
              f.id,
              variants.map((v) => v.id),
              { releaseStageName: stage, signal: ctx.signal },
            ),
          )) ?? [];
        for (const v of variants) {
          const o = overviews.find((x) => x.variant_id === v.id);
          const overview = o
            ? { errors_seen: o.errors_seen, exclusive_errors: o.exclusive_errors, last_seen: o.last_seen }
            : null;
          out.push(
            withParents(
              {
                release_stage_name: stage,
                feature_flag_id: f.id,
                feature_flag_name: f.name,
                ...v,
                error_overview: overview,
              },
              { project_id: project.id },
            ),
          );
        }
      }
      return out;
    });
  },
});
