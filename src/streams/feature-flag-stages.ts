import type { FeatureFlag } from '../bugsnag/models/feature-flag.js';
import type { Project } from '../bugsnag/models/project.js';
import type { ColumnSpec } from '../core/stream-shape.js';
import { isSnagError } from '../core/errors.js';
import { refreshSteps, type RefreshStep } from './refresh.js';
import type { ReadContext, StreamRecord } from './types.js';

/**
 * What the two feature-flag streams (feature-flags.ts, feature-flag-variants.ts) share: Bugsnag keeps flags per
 * release stage and answers 400 without one (docs/bugsnag-api.md §20), so a pass reads one list of flags per stage of
 * the project, inactive ones too, and each page of flags becomes records through further calls per flag.
 */

/** The error overview of a flag or variant, as columns. */
export const ERROR_COLUMNS: readonly ColumnSpec[] = [
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
];

/** One list of flags per release stage (inactive ones too), each page turned into records by `toRecords`. */
export function perStage(
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
export async function gone<T>(call: () => Promise<T>): Promise<T | null> {
  try {
    return await call();
  } catch (err) {
    if (isSnagError(err, 'not_found')) return null;
    throw err;
  }
}
