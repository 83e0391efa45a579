import { z } from 'zod';
import {
  FeatureFlagErrorOverviewSchema,
  FeatureFlagSchema,
  FeatureFlagVariantSchema,
  type FeatureFlag,
} from '../bugsnag/models/feature-flag.js';
import type { Project } from '../bugsnag/models/project.js';
import { isSnagError } from '../core/errors.js';
import { refreshSteps, type RefreshStep } from './refresh.js';
import { defineStream, type ReadContext, type StreamRecord } from './types.js';
import { projectPartition, withParents } from './util.js';

/**
 * Feature flags and their variants, each with its error overview (errors seen with it on, and only with it), per
 * release stage: Bugsnag keeps flags per stage and answers 400 without one, so a pass reads one list per stage of
 * the project. The API offers no filter on change (only `first_seen` by this week or today), and the overviews change
 * with every error, so both streams are read whole, hourly by default (docs/sync.md). Plans without the
 * features-experiments feature answer 403: the streams are skipped for that project with a warning.
 */

const ERROR_COLUMNS = [
  {
    name: 'errors_seen',
    type: 'integer',
    path: ['error_overview', 'errors_seen'],
    description: 'Errors seen with it on, in this release stage.',
  },
  {
    name: 'exclusive_errors',
    type: 'integer',
    path: ['error_overview', 'exclusive_errors'],
    description: 'Errors seen only with it on.',
  },
  {
    name: 'last_error_seen_at',
    type: 'timestamp',
    path: ['error_overview', 'last_seen'],
    description: 'When an error last came with it on.',
  },
  { name: 'error_overview', type: 'json', description: 'Its whole error overview (JSON).' },
] as const;

export const featureFlags = defineStream({
  name: 'feature_flags',
  description: "The project's feature flags in each release stage, each with its error overview.",
  endpoint:
    'GET /projects/{project_id}/feature_flags?release_stage_name=… + GET /projects/{project_id}/feature_flags/{id}/error_overview',
  schema: FeatureFlagSchema.extend({
    project_id: z.string(),
    release_stage_name: z.string(),
    error_overview: FeatureFlagErrorOverviewSchema.nullable(),
  }),
  primaryKey: ['project_id', 'release_stage_name', 'id'],
  partition: 'project',
  syncModes: ['full_refresh'],
  // Off unless asked for: it needs a plan feature, and costs a request per flag.
  heavy: true,
  refreshEvery: '1h',
  columns: [
    { name: 'project_id', type: 'text', description: 'The project (projects.id).' },
    { name: 'release_stage_name', type: 'text', description: 'The release stage it was listed for.' },
    { name: 'id', type: 'text', description: 'The feature flag id.' },
    { name: 'name', type: 'text', description: 'Its name, as the app reports it.' },
    { name: 'first_seen', type: 'timestamp', description: 'When it was first seen in this release stage.' },
    {
      name: 'is_active',
      type: 'boolean',
      description: 'Whether it was seen in this release stage in the last 7 days.',
    },
    { name: 'is_starred', type: 'boolean', description: 'Whether the token’s user starred it.' },
    {
      name: 'variant_count',
      type: 'integer',
      path: ['variant_summary', 'variant_count'],
      description: 'Variants seen in this release stage.',
    },
    ...ERROR_COLUMNS,
  ],
  read: (ctx) => {
    const { project } = projectPartition(ctx, 'feature_flags');
    return perStage(ctx, project, async (stage, flags) => {
      const out: StreamRecord[] = [];
      for (const f of flags) {
        const overview = await gone(() =>
          ctx.api.featureFlags.errorOverview(project.id, f.id, { releaseStageName: stage, signal: ctx.signal }),
        );
        out.push(
          withParents({ release_stage_name: stage, ...f, error_overview: overview }, { project_id: project.id }),
        );
      }
      return out;
    });
  },
});

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

/** One list of flags per release stage (inactive ones too), each page turned into records by `toRecords`. */
function perStage(
  ctx: ReadContext,
  project: Project,
  toRecords: (stage: string, flags: FeatureFlag[]) => Promise<StreamRecord[]>,
) {
  const stages = [...new Set(project.release_stages ?? [])];
  return refreshSteps(
    ctx,
    stages.map(
      (stage): RefreshStep<FeatureFlag> => ({
        open: (resumeFrom?: string) =>
          ctx.api.featureFlags.list(
            project.id,
            resumeFrom
              ? { resumeFrom, releaseStageName: stage }
              : { releaseStageName: stage, includeVariantSummary: true, includeInactive: true },
          ),
        toRecords: (items) => toRecords(stage, items),
      }),
    ),
    // A saved position is a stage index: only valid for the same list of stages.
    { mode: `stages:${stages.join('|')}` },
  );
}

/** A flag removed between the list and this call has nothing more to say; the flag's row is still true. */
async function gone<T>(call: () => Promise<T>): Promise<T | null> {
  try {
    return await call();
  } catch (err) {
    if (isSnagError(err, 'not_found')) return null;
    throw err;
  }
}
