import { clientOptionsFromEnv, previewStream, type PreviewResult, type PreviewTarget } from '../../engine/index.js';
import type { Runtime } from '../../runtime.js';
import { INTERACTIVE_RETRY, INTERACTIVE_TIMEOUT_MS } from '../interactive.js';

/**
 * The wizard's **Test** and the API's preview: a few records of one stream read with the source's (or the draft's)
 * settings, nothing saved. A person is waiting for the answer, so it gives up sooner than a sync (interactive.ts).
 */

export const PREVIEW_LIMIT_MAX = 20;

export async function previewFor(runtime: Runtime, target: PreviewTarget, stream: string, limit = 5, signal?: AbortSignal): Promise<PreviewResult> {
  return previewStream(runtime, target, stream, {
    limit: Math.max(1, Math.min(limit, PREVIEW_LIMIT_MAX)),
    ...(signal ? { signal } : {}),
    client: {
      ...clientOptionsFromEnv(runtime.env),
      timeoutMs: INTERACTIVE_TIMEOUT_MS,
      retry: INTERACTIVE_RETRY,
    },
  });
}
