/**
 * The destination contract the sync engine writes through. A destination knows nothing about Bugsnag or the engine:
 * streams are described to it as plain descriptors, records are plain JSON objects, checkpoints are opaque JSON.
 *
 * Guarantee every implementation gives: `writePage` stores the page's records AND the checkpoint atomically — after a
 * crash (even kill -9) at any moment, either both are there or neither is — and writing the same page again (the
 * engine replays from the last checkpoint) creates no duplicates.
 */

// The stream shape is a contract between streams and destinations, so it lives in core (neither imports the other).
import type { ColumnType, ColumnSpec, HistorySpec, ObservedBy, StreamDescriptor } from '../core/stream-shape.js';

export type { ColumnType, ColumnSpec, HistorySpec, ObservedBy, StreamDescriptor };

/** A record as the engine read it: a JSON object. */
export type DestinationRecord = Readonly<Record<string, unknown>>;

export interface CheckpointWrite {
  sourceId: string;
  /** `project:<id>`, `organization:<id>`, or '' for global streams. */
  partition: string;
  /** Opaque, JSON-serialisable state; what `readCheckpoint` returns afterwards. */
  state: unknown;
  /**
   * The run writing the page: stored in each row's `_run_id`, and the page's records counted for the run, stream and
   * partition (`_snagsync_run_streams`) in the same transaction. Absent: `_run_id` is NULL and nothing is counted.
   */
  runId?: string;
  /**
   * When and how the page's records were observed (the page's fetch time, the pass that read it): a stream with a
   * `history` records each changed state from this time. Absent: the time of the write, `incremental`.
   */
  observed?: { at: string; by: ObservedBy };
}

export type RunRecordStatus = 'running' | 'succeeded' | 'partial' | 'failed' | 'cancelled';

/** A run as the destination records it in `_snagsync_runs`: written when it starts (running) and when it ends. */
export interface RunRecord {
  runId: string;
  sourceId: string;
  sourceName: string;
  /** What started it: cli, schedule, api… (the store's trigger). */
  trigger: string;
  startedAt: string;
  /** Null while it runs. */
  endedAt: string | null;
  status: RunRecordStatus;
  /** The run's error, in words, when it did not succeed. */
  error: string | null;
}

/** A run's records per stream and partition, as committed with its pages (`_snagsync_run_streams`). */
export interface RunStreamCounts {
  stream: string;
  partition: string;
  recordsRead: number;
  recordsWritten: number;
  pages: number;
}

/** Options of `writeRecords`: records pushed to the destination outside a run's pages. */
export interface PushWrite {
  sourceId: string;
  /** When and how they were observed (a webhook: the time Bugsnag states, else the receipt). */
  observed: { at: string; by: ObservedBy };
  /** A timestamp column: a stored row with a later value there is kept, the record skipped. */
  newerBy?: string;
  /** Stored in each row's `_run_id`; absent (webhooks): NULL. */
  runId?: string;
}

/** A change of some tracked fields of one record, learned without the whole record. */
export interface Observation {
  sourceId: string;
  /** The stream's key columns and values, e.g. `{ project_id: 'p1', id: 'e1' }`. */
  key: Readonly<Record<string, string>>;
  /** Tracked fields (the history's `fields`) and their new values, e.g. `{ status: 'fixed' }`. */
  changes: Readonly<Record<string, string | null>>;
  /** When the change happened (Bugsnag's stated time, or when snagsync applied it). */
  at: string;
  by: ObservedBy;
  runId?: string;
}

/**
 * What a completed full pass of a stream over one partition found missing: the rows of that partition it did not
 * write. Only a pass that read the whole partition (not an incremental window, not a pass cut short) may ask.
 */
export interface DeletionMark {
  sourceId: string;
  /**
   * The partition's rows: each column equal to its value (`{ project_id: 'p1' }`); `{}`: the whole table. The columns
   * are part of the stream's key (JSONL skips the lines of other values unread).
   */
  scope: Readonly<Record<string, string>>;
  /** When the pass began, by the writer's clock: a row of the scope not written since was not seen by it. */
  seenSince: string;
  /** The pass reached only rows whose `column` (a timestamp) is at or after `from` (the source's start date). */
  within?: { column: string; from: string };
  /** Stored in `_deleted_at`. */
  at: string;
  /** Remove those rows instead (the source's `purge_deleted`). */
  purge?: boolean;
}

export interface DeletionResult {
  /** Rows newly marked `_deleted_at` (rows already marked keep their first mark). */
  marked: number;
  /** Rows removed (purge). */
  purged: number;
}

export interface StoredCheckpoint {
  sourceId: string;
  stream: string;
  partition: string;
  state: unknown;
  updatedAt: string;
}

export interface WriteResult {
  /** Records stored by this page (inserted, updated, or appended). */
  written: number;
  /** Records that were already stored exactly as they are (JSONL skips them; SQLite always upserts: 0). */
  unchanged: number;
}

export interface PrepareResult {
  /** Tables (or files) created. */
  created: string[];
  /** Columns added to existing tables because the descriptor gained fields. */
  addedColumns: Array<{ stream: string; column: string }>;
}

export interface DestinationSchema {
  kind: DestinationKind;
  location: string;
  streams: Array<{
    name: string;
    records: number;
    /** SQLite, PostgreSQL: the table's columns as created (declared type, part of the key). JSONL: the key. */
    columns: Array<{ name: string; type: string; primaryKey: boolean }>;
    /** SQLite: the CREATE TABLE statement; JSONL: the file. */
    definition: string;
  }>;
}

/** `stdout`: protocol messages (Airbyte, Singer) for an orchestrator to load, not a store of its own. */
export type DestinationKind = 'sqlite' | 'jsonl' | 'postgres' | 'stdout';

export interface Destination {
  readonly kind: DestinationKind;
  /** Absolute path of the file (SQLite) or folder (JSONL); PostgreSQL: the URL without its password. */
  readonly location: string;
  /** Creates the stream's table/file, or adds the columns it lacks (never drops or rewrites data). */
  prepare(streams: readonly StreamDescriptor[]): Promise<PrepareResult>;
  /** Upserts (SQLite, PostgreSQL) or appends (JSONL) the records and stores the checkpoint, atomically. */
  writePage(stream: string, records: readonly DestinationRecord[], checkpoint: CheckpointWrite): Promise<WriteResult>;
  readCheckpoint(sourceId: string, stream: string, partition: string): Promise<unknown>;
  readCheckpoints(sourceId: string): Promise<StoredCheckpoint[]>;
  /** Forgets the checkpoints of a source (all streams, or the ones given) — for `--full-refresh`. Returns how many. */
  resetCheckpoints(sourceId: string, streams?: readonly string[]): Promise<number>;
  /** Records currently stored for the stream (JSONL: distinct keys). */
  countRecords(stream: string): Promise<number>;
  /** The stored records (latest version per key), oldest first; for tests, previews and the demo. */
  listRecords(stream: string, options?: { limit?: number }): Promise<Array<Record<string, unknown>>>;
  describe(): Promise<DestinationSchema>;
  /**
   * Records a run in `_snagsync_runs` (inserted, or updated by its id), in its own transaction. A run that starts
   * marks the runs of the same source still `running` here as `failed`: one sync per source runs at a time, so those
   * were killed. Absent on destinations that store nothing (the protocol modes).
   */
  recordRun?(run: RunRecord): Promise<void>;
  /**
   * Upserts records that arrived outside a run's pages (a webhook's error and event), in one transaction, without
   * touching any checkpoint: the next incremental pass reads past them as usual. A record whose stored row is newer by
   * `newerBy` (a timestamp column, e.g. `last_seen_unfiltered`, `received_at`) is left as it is, so a late or replayed
   * message never moves a row back in time. A stream with a `history` records the state at `observed`.
   * Absent on destinations that store nothing (the protocol modes).
   */
  writeRecords?(stream: string, records: readonly DestinationRecord[], options: PushWrite): Promise<WriteResult>;
  /**
   * Records changes of tracked fields that snagsync learned without a full record (a write-back it applied, a
   * webhook's `errorStateManualChange`): each is merged onto the key's open interval in the stream's history (the
   * fields it does not name keep their values) and opens a new interval at `at` — unless the open interval already
   * holds those values, or began after `at` (a newer state is never overwritten by an older message). The stream's
   * own row gets the changed columns too, when it exists. Returns how many intervals were opened.
   */
  recordObservations?(stream: string, observations: readonly Observation[]): Promise<number>;
  /**
   * Marks the rows a completed full pass did not find (`_deleted_at` = `at`; JSONL: a copy of the last line with
   * `_deleted_at`), or removes them with `purge`. Rows written again later clear their mark. Absent on destinations
   * that store nothing (the protocol modes).
   */
  markDeleted?(stream: string, mark: DeletionMark): Promise<DeletionResult>;
  /** The runs recorded, oldest first, each with its counts; for tests and the docs' queries. */
  listRuns?(): Promise<Array<RunRecord & { streams: RunStreamCounts[] }>>;
  close(): Promise<void>;
}
