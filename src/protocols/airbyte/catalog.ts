import { z } from 'zod';
import { SnagError } from '../../core/errors.js';
import type { PartitionStates, StreamChoice } from '../destination.js';
import { checkChoice, recordJsonSchema, STREAMS } from '../streams.js';
import { recordKeyOf } from '../../streams/catalog.js';

/** The Airbyte catalog (every stream), and the configured catalog and state an Airbyte `read` is given. */

export function airbyteCatalog(): Array<Record<string, unknown>> {
  return STREAMS.map((s) => ({
    name: s.name,
    json_schema: recordJsonSchema(s, { airbyte: true }),
    supported_sync_modes: [...s.syncModes],
    source_defined_cursor: s.cursor !== undefined,
    ...(s.cursor ? { default_cursor_field: [s.cursor.field] } : {}),
    source_defined_primary_key: recordKeyOf(s).map((k) => [k]),
    // Every stream checkpoints each page, full refresh included (streams/refresh.ts), so an attempt cut short resumes.
    is_resumable: true,
  }));
}

const ConfiguredCatalog = z.object({
  streams: z.array(
    z.looseObject({
      stream: z.looseObject({ name: z.string() }),
      sync_mode: z.enum(['full_refresh', 'incremental']).default('full_refresh'),
    }),
  ),
});

export function parseConfiguredCatalog(raw: unknown): StreamChoice[] {
  const r = ConfiguredCatalog.safeParse(raw);
  if (!r.success) {
    const iss = r.error.issues[0]!;
    throw new SnagError(
      'config',
      `The catalog is not a configured Airbyte catalog: ${iss.path.join('.') || 'catalog'}: ${iss.message}.`,
      {
        hint: 'Give the ConfiguredAirbyteCatalog the platform writes (streams[].stream.name, streams[].sync_mode).',
        details: { field: 'catalog' },
      },
    );
  }
  if (r.data.streams.length === 0)
    throw new SnagError('config', 'The catalog selects no stream.', { details: { field: 'catalog' } });
  return r.data.streams.map((s, i) => checkChoice(s.stream.name, s.sync_mode, `catalog.streams.${i}`));
}

const StreamState = z.looseObject({
  type: z.string().optional(),
  stream: z.looseObject({
    stream_descriptor: z.looseObject({ name: z.string() }),
    stream_state: z
      .looseObject({ partitions: z.record(z.string(), z.unknown()).optional() })
      .nullable()
      .optional(),
  }),
});

/**
 * The state given back: a list of per-stream STATE bodies (what the platform keeps), or one legacy object
 * `{stream: {partitions}}`. Global state is not something this connector emits, so it is refused. What a legacy
 * object holds that is not such a stream state is not used — `warn` says so, and which streams read from the start.
 */
export function parseAirbyteState(raw: unknown, warn: (message: string) => void = () => {}): PartitionStates {
  const out: PartitionStates = {};
  if (raw === null || raw === undefined) return out;
  if (Array.isArray(raw)) {
    raw.forEach((item, i) => {
      const body =
        item && typeof item === 'object' && 'state' in item && (item as { type?: unknown }).type === 'STATE'
          ? (item as { state: unknown }).state
          : item;
      const r = StreamState.safeParse(body);
      if (!r.success || (r.data.type !== undefined && r.data.type !== 'STREAM')) {
        throw new SnagError(
          'config',
          `State entry ${i} is not a per-stream Airbyte state (type STREAM with stream.stream_descriptor).`,
          {
            hint: 'Give the state this connector emitted last, or none to start over.',
            details: { field: 'state' },
          },
        );
      }
      out[r.data.stream.stream_descriptor.name] = { ...(r.data.stream.stream_state?.partitions ?? {}) };
    });
    return out;
  }
  if (typeof raw === 'object') {
    const ignored: string[] = [];
    for (const [stream, v] of Object.entries(raw as Record<string, unknown>)) {
      const parts = v && typeof v === 'object' ? (v as { partitions?: unknown }).partitions : undefined;
      if (parts && typeof parts === 'object' && !Array.isArray(parts))
        out[stream] = { ...(parts as Record<string, unknown>) };
      else ignored.push(stream);
    }
    if (ignored.length) {
      const what = ignored.map((k) => `"${k}"`).join(', ');
      warn(
        `The state is a legacy (object) Airbyte state, and ${what} in it ${ignored.length === 1 ? 'is' : 'are'} not a stream state this connector wrote (no "partitions"): ${Object.keys(out).length ? 'those parts are' : 'it is'} ignored, and the streams they would concern are read from the start. This connector emits per-stream states (type STREAM); give back the last ones it emitted.`,
      );
    }
    return out;
  }
  throw new SnagError('config', 'The state is neither a list of stream states nor an object.', {
    details: { field: 'state' },
  });
}
