import { historyTable, type StreamDescriptor } from '../core/stream-shape.js';
import { linkChildren } from './children.js';
import { recordJsonSchema } from './json-schema.js';
import { collaborators } from './collaborators.js';
import { comments } from './comments.js';
import { errors } from './errors.js';
import { eventFields } from './event-fields.js';
import { events } from './events.js';
import { featureFlagVariants } from './feature-flag-variants.js';
import { featureFlags } from './feature-flags.js';
import { networkEndpointGroupings } from './network-endpoint-groupings.js';
import { organizations } from './organizations.js';
import { pageLoadSpanGroups } from './page-load-span-groups.js';
import { pivotValues } from './pivot-values.js';
import { pivots } from './pivots.js';
import { projects } from './projects.js';
import { releaseGroups } from './release-groups.js';
import { releases } from './releases.js';
import { savedSearches } from './saved-searches.js';
import { spanGroups } from './span-groups.js';
import { stabilityTrend } from './stability-trend.js';
import { supportedIntegrations } from './supported-integrations.js';
import { teams } from './teams.js';
import { traceFields } from './trace-fields.js';
import { trends } from './trends.js';
import type { StreamDefinition } from './types.js';

/** Every stream, in the order a sync reads them within a partition; child streams wired into their parents. */
export const STREAMS: readonly StreamDefinition[] = linkChildren([
  organizations,
  supportedIntegrations,
  projects,
  collaborators,
  teams,
  errors,
  comments,
  events,
  releases,
  releaseGroups,
  eventFields,
  traceFields,
  featureFlags,
  featureFlagVariants,
  spanGroups,
  pageLoadSpanGroups,
  networkEndpointGroupings,
  savedSearches,
  stabilityTrend,
  trends,
  pivots,
  pivotValues,
]);

export const STREAM_NAMES: readonly string[] = STREAMS.map((s) => s.name);

/** What a source reads when it names no streams: everything but the heavy ones. */
export const DEFAULT_STREAMS: readonly string[] = STREAMS.filter((s) => !s.heavy).map((s) => s.name);

export function findStream(name: string): StreamDefinition | undefined {
  return STREAMS.find((s) => s.name === name);
}

export function getStream(name: string): StreamDefinition {
  const s = findStream(name);
  if (!s) throw new Error(`unknown stream ${name}`);
  return s;
}

/** The destination's view of a stream: table name, key, typed columns, what they hold, indexes. */
export function descriptorOf(stream: StreamDefinition): StreamDescriptor {
  return {
    name: stream.name,
    primaryKey: stream.primaryKey,
    columns: stream.columns,
    description: stream.description,
    ...(stream.indexes ? { indexes: stream.indexes } : {}),
    ...(stream.history ? { history: stream.history } : {}),
  };
}

/**
 * The key as fields of the record (what Airbyte and Singer see): a key column named otherwise than the field it
 * reads (trends' `bucket_start` reads Bugsnag's `from`) is named by its field.
 */
export function recordKeyOf(stream: StreamDefinition): string[] {
  return stream.primaryKey.map((k) => stream.columns.find((c) => c.name === k)?.path?.[0] ?? k);
}

/** The record's JSON Schema, typed for loaders (timestamps, counts: json-schema.ts). */
export function jsonSchemaOf(stream: StreamDefinition): Record<string, unknown> {
  return recordJsonSchema(stream);
}

/** One catalog entry as `snagsync streams --json` and the HTTP API show it. */
export interface CatalogEntry {
  name: string;
  description: string;
  endpoint: string;
  partition: StreamDefinition['partition'];
  parent: string | null;
  primary_key: string[];
  sync_modes: string[];
  cursor: {
    field: string;
    type: 'timestamp';
    order: 'newest-first';
    server_filter: string | null;
    note: string | null;
  } | null;
  heavy: boolean;
  default: boolean;
  columns: Array<{ name: string; type: string; description: string | null }>;
  /** Secondary indexes in the destinations, each the columns it covers. */
  indexes: string[][];
  /** The history the destinations keep of some of its columns (errors: error_history), as a table; null: none. */
  history: {
    name: string;
    description: string;
    primary_key: string[];
    columns: Array<{ name: string; type: string; description: string }>;
    indexes: string[][];
  } | null;
  json_schema: Record<string, unknown>;
}

export function catalogEntry(s: StreamDefinition): CatalogEntry {
  return {
    name: s.name,
    description: s.description,
    endpoint: s.endpoint,
    partition: s.partition,
    parent: s.parent ?? null,
    primary_key: [...s.primaryKey],
    sync_modes: [...s.syncModes],
    cursor: s.cursor
      ? {
          field: s.cursor.field,
          type: 'timestamp',
          order: s.cursor.order,
          server_filter: s.cursor.serverFilter ?? null,
          note: s.cursor.note ?? null,
        }
      : null,
    heavy: s.heavy,
    default: DEFAULT_STREAMS.includes(s.name),
    columns: s.columns.map((c) => ({ name: c.name, type: c.type, description: c.description ?? null })),
    indexes: (s.indexes ?? []).map((i) => [...i]),
    history: s.history
      ? {
          name: s.history.name,
          description: s.history.description,
          primary_key: historyTable(s.history, s.columns).primaryKey,
          columns: historyTable(s.history, s.columns).columns,
          indexes: (s.history.indexes ?? []).map((i) => [...i]),
        }
      : null,
    json_schema: jsonSchemaOf(s),
  };
}

export function catalog(): CatalogEntry[] {
  return STREAMS.map(catalogEntry);
}
