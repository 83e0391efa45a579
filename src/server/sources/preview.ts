import { toSnagError } from '../../core/errors.js';
import { estimateFirstSyncOf, previewStream, type PreviewResult, type PreviewTarget } from '../../engine/index.js';
import type { Runtime } from '../../runtime.js';
import { serverHintOf } from '../errors.js';
import { interactiveClientOptions } from '../interactive.js';

/**
 * The wizard's **Test** and the API's preview: a few records of one stream read with the source's (or the draft's)
 * settings, nothing saved. A person is waiting for the answer, so it follows the interactive policy (interactive.ts).
 *
 * For the events stream it also estimates the first sync by each path (`first_sync`), unless `estimate` is false.
 * The estimate costs the organization and project lists and one request per project (at most 50): more than a
 * token's budget for the minute in a large account (30 requests a minute on Bugsnag), where the interactive policy
 * gives up at once. So the records are read first on their own, and the estimate (`estimateFirstSyncOf`) is asked
 * for after, best effort: when it cannot be made, the answer keeps its records and says why in `first_sync_error`.
 */

export const PREVIEW_LIMIT_MAX = 20;

export interface PreviewForOptions {
  limit?: number;
  signal?: AbortSignal;
  /** Estimate the first sync (events stream only); default true. */
  estimate?: boolean;
}

/** Why the first sync estimate is missing from an events preview (the error as the API shows one). */
export interface FirstSyncError {
  error: string;
  message: string;
  hint?: string;
}

export interface ServerPreview extends PreviewResult {
  first_sync_error?: FirstSyncError;
}

export async function previewFor(
  runtime: Runtime,
  target: PreviewTarget,
  stream: string,
  options: PreviewForOptions = {},
): Promise<ServerPreview> {
  // Each call its own interactive signal: one aborted for a long rate-limit wait does not abort the other.
  const interactive = () => {
    const { onEvent, signal, ...client } = interactiveClientOptions(runtime.env, options.signal);
    return { onEvent, signal, client };
  };
  const limit = Math.max(1, Math.min(options.limit ?? 5, PREVIEW_LIMIT_MAX));
  const result = await previewStream(runtime, target, stream, { limit, ...interactive() });
  if (result.stream !== 'events' || options.estimate === false) return result;
  try {
    const estimated = await estimateFirstSyncOf(runtime, target, interactive());
    return { ...result, requests: result.requests + estimated.requests, first_sync: estimated.first_sync };
  } catch (err) {
    const e = toSnagError(err);
    // A bug, or the person gone: not something to report inside an answer.
    if (e.code === 'internal' || options.signal?.aborted) throw err;
    const hint = serverHintOf(e);
    return { ...result, first_sync_error: { error: e.code, message: e.message, ...(hint ? { hint } : {}) } };
  }
}
