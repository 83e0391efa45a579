import { clientOptionsFromEnv, previewStream, type PreviewResult, type PreviewTarget } from '../../engine/index.js';
import type { Runtime } from '../../runtime.js';

/**
 * The wizard's **Test** and the API's preview: a few records of one stream read with the source's (or the draft's)
 * settings, nothing saved. A person is waiting for the answer, so it gives up sooner than a sync: one quick retry,
 * a rate limit reported rather than waited out, a 15 s timeout per request.
 */

export const PREVIEW_LIMIT_MAX = 20;

export async function previewFor(runtime: Runtime, target: PreviewTarget, stream: string, limit = 5, signal?: AbortSignal): Promise<PreviewResult> {
  return previewStream(runtime, target, stream, {
    limit: Math.max(1, Math.min(limit, PREVIEW_LIMIT_MAX)),
    ...(signal ? { signal } : {}),
    client: {
      ...clientOptionsFromEnv(runtime.env),
      timeoutMs: 15_000,
      retry: { retries: 1, baseDelayMs: 500, maxDelayMs: 1000, rateLimitRetries: 0 },
    },
  });
}
