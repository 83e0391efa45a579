import type { z } from 'zod';
import type { BugsnagClient } from '../bugsnag/client.js';
import type { Filters } from '../bugsnag/filters.js';
import type { Organization } from '../bugsnag/models/organization.js';
import type { Project } from '../bugsnag/models/project.js';
import { SnagError } from '../core/errors.js';
import type { ColumnSpec, HistorySpec, ObservedBy } from '../core/stream-shape.js';

/**
 * What a stream is: a declaration (name, model, key, partition kind, sync modes, cursor, typed columns) and one
 * `read` function that turns a partition and its stored state into batches. A batch is what the engine commits in
 * one destination transaction: the page's records AND the state that says how far the stream got. Plain lists get
 * their `read` from `defineListStream` (list.ts); child streams have none of their own (`defineChildStream`).
 */
export type PartitionKind = 'global' | 'organization' | 'project';
export type SyncMode = 'full_refresh' | 'incremental';

export type StreamRecord = Record<string, unknown>;

/** One org or project a stream is read for (or the whole account, for global streams). */
export type Partition =
  | { kind: 'global'; key: '' }
  | { kind: 'organization'; key: string; organization: Organization; projects: readonly Project[] }
  | { kind: 'project'; key: string; organization: Organization; project: Project };

export const partitionKey = {
  organization: (id: string) => `organization:${id}`,
  project: (id: string) => `project:${id}`,
};

/** Options resolved once per run from the source's config (times are absolute by then). */
export interface SyncOptions {
  /** Oldest data wanted (`--start-date`); null: all history. */
  startDate: Date | null;
  /** The source's own Bugsnag filters (never event.since / event.before: the engine owns the time window). */
  filters: Filters;
  fullReports: boolean;
  /** How far each incremental pass reaches back before the cursor, for late arrivals. */
  lookbackMs: number;
  /** Errors get a full pass (not just the incremental window) when the last one is older than this. */
  errorsFullPassMs: number;
  /** Errors get a status pass (the errors not open, listed) when the last one is older than this; absent: never. */
  errorsStatusPassMs?: number;
  /** Rows of a stream that its completed full pass no longer found are removed, not just marked `_deleted_at`. */
  purgeDeleted?: boolean;
  /** Releases are read whole again (their session and error counts keep changing) when the last full pass is older. */
  releasesFullPassMs: number;
  /** Trend buckets: resolution and how many days back. */
  trendsResolution: '1m' | '5m' | '30m' | '2h' | '12h';
  trendsDays: number;
  /** How a first events sync reads history: the events list, an event data request (bulk), or chosen by size. */
  eventsBackfill?: 'auto' | 'bulk' | 'list';
  /** `auto` goes bulk above this many events (the list's `X-Total-Count` for the first sync's window). */
  eventsBackfillThreshold?: number;
  /** Per stream with an interval: a sync within this many ms of its last completed pass skips it (0: never). */
  streamIntervalsMs?: Readonly<Record<string, number>>;
}

export interface ReadContext {
  api: BugsnagClient;
  partition: Partition;
  options: SyncOptions;
  /** The stored checkpoint for (source, stream, partition), or null. Streams validate it (a bad one restarts). */
  state: unknown;
  /** When the run started: passes take their upper bound from it, so one run has one notion of "now". */
  now: Date;
  /**
   * Where a pass starting now takes its upper bound, when later than `now`: the clock, for a run that waited (the
   * rate limit) before this partition's turn. Absent: `now`.
   */
  passNow?(): Date;
  signal: AbortSignal;
  /** A non-fatal problem worth recording in the run history (skipped fallback, narrowed window…). */
  warn(code: string, message: string): void;
  /** A phase of a bulk backfill (requested, preparing, downloading, writing…), shown as run progress. */
  progress?(p: BackfillProgress): void;
  /**
   * The read is about to wait this long for Bugsnag (an event data request being prepared), everything before it
   * committed. A cluster's unit yields its worker and its token's lane here when the wait is long, and goes on later
   * from the checkpoint; a local run just waits.
   */
  waiting?(ms: number): void;
  /**
   * Child streams enabled in this run (e.g. comments under errors): their stored checkpoint, and the client to read
   * them with (their own, so the run history counts their requests where they belong).
   */
  children: ReadonlyMap<string, ChildContext>;
}

/** Where a bulk backfill of one partition stands (streams/backfill.ts), for progress displays. */
export interface BackfillProgress {
  phase: 'estimated' | 'requested' | 'preparing' | 'downloading' | 'writing' | 'done' | 'fallback';
  /** The window being read (1-based) and how many are planned so far (a window may still split). */
  window: number;
  windows: number;
  /** The window's time range: `since` (inclusive; null: all history) to `before` (exclusive). */
  since: string | null;
  before: string;
  /** Events the event data request holds (known once it is prepared); for `estimated`, the whole backfill's. */
  total?: number;
  /** Bytes received over the wire for this window's download, and records parsed from it. */
  bytes?: number;
  records?: number;
  /** The event data request's status as Bugsnag reports it (PREPARING, IN_PROGRESS…). */
  status?: string;
}

export interface ChildContext {
  state: unknown;
  api: BugsnagClient;
}

/** Records of a child stream to commit before the parent's batch (see comments.ts for why that order). */
export interface ChildBatch {
  stream: string;
  records: StreamRecord[];
  state: unknown;
  /** Parents whose children were read whole in this batch (comments of one error): what they lack is deleted. */
  completes?: CompletedPass[];
}

export interface Batch {
  records: StreamRecord[];
  /** The checkpoint after this batch: JSON, stored with the records in one transaction. */
  state: unknown;
  /** `X-Total-Count` of the list being read (an estimate for progress bars). */
  total?: number;
  children?: ChildBatch[];
  /** When the page was fetched and by which pass: a stream's `history` dates the states it observes from this. */
  observed?: { at: string; by: ObservedBy };
  /**
   * This batch ends a read of the whole partition (a full pass that completed, never an incremental window or a pass
   * cut short): the partition's rows it did not write are gone from Bugsnag (engine/deletions.ts marks them).
   */
  completes?: CompletedPass;
}

/** A completed read of a whole partition (streams/deletions.ts builds it). */
export interface CompletedPass {
  /** The partition's rows in the stream's table, e.g. `{ project_id: 'p1' }`. */
  scope: Record<string, string>;
  /** When the pass began, by the clock of the machine that began it (rows it wrote are synced after). */
  startedAt: string;
  /** A start date bounded its reach: only rows whose `column` (a timestamp) is at or after `from`. */
  within?: { column: string; from: string };
}

export interface CursorSpec {
  /** The record field that orders the list and that the checkpoint's cursor follows. */
  field: string;
  /** Bugsnag lists are read newest first. */
  order: 'newest-first';
  /** The server-side filter that cuts the list to the window (never walking old pages), when there is one. */
  serverFilter?: 'event.since';
  /** Note for the catalog, e.g. errors' periodic full pass. */
  note?: string;
}

export interface StreamDefinition {
  /** snake_case plural, as users see it in tables and files. */
  name: string;
  description: string;
  /** The stored record's schema (the API model plus the parent ids). JSON Schema comes from it. */
  schema: z.ZodType;
  primaryKey: readonly string[];
  partition: PartitionKind;
  syncModes: readonly SyncMode[];
  cursor?: CursorSpec;
  /** Typed destination columns for the documented fields (the full record is always kept too), each described. */
  columns: readonly ColumnSpec[];
  /** Secondary indexes in the destinations (each the columns it covers), for the usual joins and filters. */
  indexes?: readonly (readonly string[])[];
  /** A history of some of its columns, kept as intervals in a table of its own (errors: `error_history`). */
  history?: HistorySpec;
  /** Off unless asked for: large or costly. */
  heavy: boolean;
  /**
   * How often the stream is worth reading (a duration, e.g. `1d`): a sync within this time of its last completed pass
   * skips it, costing no request. For what changes slowly (fields, saved searches, teams) or is read whole (trends).
   * A source overrides it per stream (`stream_intervals`); absent: read by every sync.
   */
  refreshEvery?: string;
  /** Read through another stream of the same partition in the same pass (comments through errors). */
  parent?: string;
  /** The API endpoint(s), for the catalog. */
  endpoint: string;
  /**
   * The source options this stream owns (built with streams/options.ts): every face validates, documents and offers
   * them from here. Keys are unique across streams (the source config is one flat object).
   */
  options?: z.ZodObject;
  read(ctx: ReadContext): AsyncIterable<Batch>;
  /**
   * A child stream's reading: given its own context (its client and checkpoint), what it reads for each page of its
   * parent. The catalog wires it into the parent's read (children.ts); the parent's declaration does not name it.
   */
  readThrough?(ctx: ReadContext): ChildReader;
}

/** A child stream's records for one page of its parent's records, with its checkpoint after them; null: nothing new. */
export type ChildReader = (parentRecords: StreamRecord[]) => Promise<Omit<ChildBatch, 'stream'> | null>;

export function defineStream(def: StreamDefinition): StreamDefinition {
  for (const k of def.primaryKey) {
    if (!def.columns.some((c) => c.name === k)) throw new Error(`stream ${def.name}: key column ${k} is not a column`);
  }
  const shape = (def.schema as { shape?: Record<string, unknown> }).shape;
  if (def.cursor && !(shape && def.cursor.field in shape)) {
    throw new Error(`stream ${def.name}: cursor ${def.cursor.field} is not a field of its schema`);
  }
  if ((def.parent === undefined) !== (def.readThrough === undefined)) {
    throw new Error(`stream ${def.name}: a child stream declares both its parent and readThrough`);
  }
  return Object.freeze(def);
}

/** A stream read only through its parent (comments through errors): no read of its own. */
export function defineChildStream(
  def: Omit<StreamDefinition, 'read' | 'parent' | 'readThrough'> &
    Required<Pick<StreamDefinition, 'parent' | 'readThrough'>>,
): StreamDefinition {
  return defineStream({
    ...def,
    read: () => {
      throw new SnagError('internal', `The ${def.name} stream is read through the ${def.parent} stream.`, {
        hint: 'This is a bug in snagsync (the engine reads child streams with their parent); please report it.',
      });
    },
  });
}
