import { toSnagError } from '../core/errors.js';
import { applyModels, type ApplyModelsResult } from '../destinations/models/index.js';
import { parseDestinationUrl } from '../destinations/url.js';
import type { Runtime } from '../runtime.js';
import type { Source } from '../store/models.js';
import type { FinalStatus } from './events.js';
import { optionValue } from './source-config.js';

/**
 * The analytics views of a source's destination (destinations/models): `snagsync models apply`, and after every
 * successful sync of a source with `models: true`.
 */
export async function applySourceModels(runtime: Runtime, source: Source): Promise<ApplyModelsResult> {
  return applyModels(source.destination, { home: runtime.home });
}

/**
 * After a run: re-applies the views when the source asks for them (`models: true`) and the run succeeded — a failed
 * or partial run leaves the views as they were, over tables still as consistent as their last page. Returns a
 * warning's words when they could not be applied (the run's own outcome stands), null otherwise.
 */
export async function modelsAfterRun(runtime: Runtime, source: Source, status: FinalStatus): Promise<string | null> {
  if (status !== 'succeeded' || optionValue<boolean>(source.config, 'models') !== true) return null;
  try {
    if (parseDestinationUrl(source.destination).kind === 'jsonl')
      return 'The source sets models: true, but a JSONL destination holds files, not SQL views: no views were applied.';
    const r = await applySourceModels(runtime, source);
    const skipped = r.views.filter((v) => v.status === 'skipped');
    return skipped.length ? `Views skipped: ${skipped.map((v) => `${v.name} (${v.reason})`).join('; ')}.` : null;
  } catch (err) {
    return `The analytics views could not be applied: ${toSnagError(err).message}`;
  }
}
