import { SnagError } from '../core/errors.js';
import { recordJsonSchema as typedSchema } from '../streams/json-schema.js';
import { DEFAULT_STREAMS, findStream, STREAM_NAMES, STREAMS } from '../streams/catalog.js';
import type { StreamDefinition } from '../streams/types.js';
import type { StreamChoice, SyncModeChoice } from './destination.js';

/** What both protocols say about a stream, from its declaration. */

export { STREAMS, DEFAULT_STREAMS };

/**
 * The stream's record schema as JSON Schema draft-07 (the dialect Airbyte and Singer targets read), generated from
 * the same zod model as `snagsync streams --json` and typed the same way (streams/json-schema.ts); `airbyte` adds
 * Airbyte's `airbyte_type` to timestamps.
 */
export function recordJsonSchema(
  stream: StreamDefinition,
  options: { airbyte?: boolean } = {},
): Record<string, unknown> {
  return typedSchema(stream, { target: 'draft-7', ...options });
}

/** Incremental where the stream supports it, else full refresh. */
export function defaultMode(stream: StreamDefinition): SyncModeChoice {
  return stream.syncModes.includes('incremental') ? 'incremental' : 'full_refresh';
}

/** Checks a stream choice against the catalog: a known stream, in a mode it supports. */
export function checkChoice(name: string, mode: SyncModeChoice, field: string): StreamChoice {
  const s = findStream(name);
  if (!s) {
    throw new SnagError('config', `The catalog names a stream snagsync does not have: "${name}".`, {
      hint: `The streams are ${STREAM_NAMES.join(', ')}; discover the catalog again.`,
      details: { field },
    });
  }
  if (!s.syncModes.includes(mode)) {
    throw new SnagError('config', `The stream "${name}" cannot be read in ${mode} mode.`, {
      hint: `It supports ${s.syncModes.join(', ')}.`,
      details: { field },
    });
  }
  return { name, mode };
}
