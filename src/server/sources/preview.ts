import { previewStream, type PreviewResult, type PreviewTarget } from '../../engine/index.js';
import type { Runtime } from '../../runtime.js';
import { interactiveClientOptions } from '../interactive.js';

/**
 * The wizard's **Test** and the API's preview: a few records of one stream read with the source's (or the draft's)
 * settings, nothing saved. A person is waiting for the answer, so it follows the interactive policy (interactive.ts).
 */

export const PREVIEW_LIMIT_MAX = 20;

export async function previewFor(
  runtime: Runtime,
  target: PreviewTarget,
  stream: string,
  limit = 5,
  signal?: AbortSignal,
): Promise<PreviewResult> {
  const { onEvent, signal: interactive, ...client } = interactiveClientOptions(runtime.env, signal);
  return previewStream(runtime, target, stream, {
    limit: Math.max(1, Math.min(limit, PREVIEW_LIMIT_MAX)),
    signal: interactive,
    onEvent,
    client,
  });
}
