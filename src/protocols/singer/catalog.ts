import { z } from 'zod';
import { SnagError } from '../../core/errors.js';
import type { PartitionStates, StreamChoice } from '../destination.js';
import { checkChoice, defaultMode, DEFAULT_STREAMS, recordJsonSchema, STREAMS } from '../streams.js';
import { recordKeyOf } from '../../streams/catalog.js';

/**
 * Singer discovery and selection, as Meltano does them: a catalog whose streams carry `metadata` entries keyed by
 * `breadcrumb` (`[]` for the stream, `["properties", FIELD]` for a field), with `selected`, `inclusion`,
 * `replication-method` and the keys. A stream runs when its `[]` entry says `selected: true`; a field whose entry says
 * `selected: false` (and is not `inclusion: automatic`) is left out of the records.
 */

type Metadata = { breadcrumb: string[]; metadata: Record<string, unknown> };

export function singerCatalog(): { streams: Array<Record<string, unknown>> } {
  return {
    streams: STREAMS.map((s) => {
      const schema = recordJsonSchema(s);
      const props = Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {});
      const automatic = new Set([...recordKeyOf(s), ...(s.cursor ? [s.cursor.field] : [])]);
      const incremental = s.syncModes.includes('incremental');
      const metadata: Metadata[] = [
        {
          breadcrumb: [],
          metadata: {
            inclusion: 'available',
            'selected-by-default': DEFAULT_STREAMS.includes(s.name),
            'table-key-properties': recordKeyOf(s),
            ...(s.cursor ? { 'valid-replication-keys': [s.cursor.field] } : {}),
            ...(incremental ? {} : { 'forced-replication-method': 'FULL_TABLE' }),
          },
        },
        ...props.map((p) => ({
          breadcrumb: ['properties', p],
          metadata: { inclusion: automatic.has(p) ? 'automatic' : 'available' },
        })),
      ];
      return {
        tap_stream_id: s.name,
        stream: s.name,
        schema,
        key_properties: recordKeyOf(s),
        ...(s.cursor && incremental
          ? { replication_key: s.cursor.field, replication_method: 'INCREMENTAL' }
          : { replication_method: 'FULL_TABLE' }),
        metadata,
      };
    }),
  };
}

const CatalogStream = z.looseObject({
  tap_stream_id: z.string().optional(),
  stream: z.string().optional(),
  selected: z.boolean().optional(),
  replication_method: z.string().optional(),
  schema: z.looseObject({ selected: z.boolean().optional() }).optional(),
  metadata: z
    .array(z.looseObject({ breadcrumb: z.array(z.string()), metadata: z.record(z.string(), z.unknown()) }))
    .default([]),
});
const Catalog = z.looseObject({ streams: z.array(CatalogStream) });

export interface SingerSelection {
  streams: StreamChoice[];
  /** Per stream, the fields deselected in the catalog (left out of SCHEMA and RECORDs). */
  excluded: Map<string, Set<string>>;
}

/** No catalog: the default streams, each incremental where it can be. */
export function defaultSelection(): SingerSelection {
  return {
    streams: STREAMS.filter((s) => DEFAULT_STREAMS.includes(s.name)).map((s) => ({
      name: s.name,
      mode: defaultMode(s),
    })),
    excluded: new Map(),
  };
}

export function parseSingerCatalog(raw: unknown): SingerSelection {
  const r = Catalog.safeParse(raw);
  if (!r.success) {
    const iss = r.error.issues[0]!;
    throw new SnagError(
      'config',
      `The catalog is not a Singer catalog: ${iss.path.join('.') || 'catalog'}: ${iss.message}.`,
      {
        hint: 'Give the catalog `snagsync singer --discover` printed, with the streams to read marked selected.',
        details: { field: 'catalog' },
      },
    );
  }
  const streams: StreamChoice[] = [];
  const excluded = new Map<string, Set<string>>();
  r.data.streams.forEach((s, i) => {
    const name = s.tap_stream_id ?? s.stream;
    if (!name)
      throw new SnagError('config', `Catalog stream ${i} has no tap_stream_id.`, {
        details: { field: `catalog.streams.${i}` },
      });
    const root = s.metadata.find((m) => m.breadcrumb.length === 0)?.metadata ?? {};
    const selected = root.selected ?? s.selected ?? s.schema?.selected ?? false;
    if (selected !== true) return;
    const method = String(root['replication-method'] ?? s.replication_method ?? '').toUpperCase();
    const choice = checkChoice(
      name,
      method === 'FULL_TABLE'
        ? 'full_refresh'
        : method === 'INCREMENTAL'
          ? 'incremental'
          : defaultMode(STREAMS.find((x) => x.name === name) ?? STREAMS[0]!),
      `catalog.streams.${i}`,
    );
    streams.push(choice);
    const off = new Set(
      s.metadata
        .filter(
          (m) =>
            m.breadcrumb[0] === 'properties' &&
            m.breadcrumb.length === 2 &&
            m.metadata.selected === false &&
            m.metadata.inclusion !== 'automatic',
        )
        .map((m) => m.breadcrumb[1]!),
    );
    if (off.size) excluded.set(name, off);
  });
  if (streams.length === 0) {
    throw new SnagError('config', 'The catalog selects no stream.', {
      hint: 'Mark the streams to read with "selected": true in their metadata entry whose breadcrumb is [] (meltano select does this).',
      details: { field: 'catalog' },
    });
  }
  return { streams, excluded };
}

/** The Singer state (the last STATE message's value): `{bookmarks: {stream: {partitions}}}`. */
export function parseSingerState(raw: unknown): PartitionStates {
  const out: PartitionStates = {};
  if (raw === null || raw === undefined) return out;
  const bookmarks =
    typeof raw === 'object' && !Array.isArray(raw) ? (raw as { bookmarks?: unknown }).bookmarks : undefined;
  if (bookmarks === undefined && typeof raw === 'object' && !Array.isArray(raw) && Object.keys(raw).length === 0)
    return out;
  if (!bookmarks || typeof bookmarks !== 'object') {
    throw new SnagError('config', 'The state has no "bookmarks" object.', {
      hint: 'Give the value of the last STATE message this tap emitted, or none to start over.',
      details: { field: 'state' },
    });
  }
  for (const [stream, v] of Object.entries(bookmarks as Record<string, unknown>)) {
    const parts = v && typeof v === 'object' ? (v as { partitions?: unknown }).partitions : undefined;
    if (parts && typeof parts === 'object') out[stream] = { ...(parts as Record<string, unknown>) };
  }
  return out;
}
