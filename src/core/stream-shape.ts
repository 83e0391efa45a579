/**
 * How a stream's records are laid out in a destination: the contract between `streams` (which declare it) and
 * `destinations` (which create tables and files from it). It lives in core so that neither imports the other.
 */

export type ColumnType = 'text' | 'integer' | 'real' | 'boolean' | 'timestamp' | 'json';

export interface ColumnSpec {
  /** Column name: letters, digits and `_`, not starting with a digit; names starting with `_` are reserved. */
  name: string;
  type: ColumnType;
  /** Where the value is in the record; default `[name]`. */
  path?: readonly string[];
  /**
   * Where else the value may be, tried in order when the path holds nothing (undefined or null): the record is kept
   * as the API sent it, so a field some answers spell differently is reconciled here, in the typed column only.
   */
  or?: readonly (readonly string[])[];
  /** What the column holds, in a sentence: PostgreSQL's `COMMENT ON COLUMN`, the catalog. */
  description?: string;
  /**
   * Names the column had before (oldest first): a destination whose table still has one renames it in place
   * (`ALTER TABLE … RENAME COLUMN`), keeping its values.
   */
  formerNames?: readonly string[];
}

export interface StreamDescriptor {
  /** Table or file name: snake_case (`events`, `release_groups`). */
  name: string;
  /** Column names (all in `columns`) that identify a record; composite where ids are unique only per parent. */
  primaryKey: readonly string[];
  /** Typed columns for the documented fields; the whole record is always kept too (`_record`). */
  columns: readonly ColumnSpec[];
  /** What a row is, in a sentence: PostgreSQL's `COMMENT ON TABLE`. */
  description?: string;
  /** Secondary indexes, each the columns it covers in order, for the usual joins and filters. */
  indexes?: readonly (readonly string[])[];
  /** A history of some of its columns, kept as intervals in a table of its own (errors: `error_history`). */
  history?: HistorySpec;
}

/** How a state of a record came to be observed: the pass that read it, or the write-back that made it. */
export type ObservedBy = 'incremental' | 'full_pass' | 'status_pass' | 'webhook' | 'writeback';

/**
 * A history of some columns of a stream, kept as intervals (dbt snapshots, Fivetran's history mode): a row per
 * observed state of a key, `valid_from` … `valid_to` (NULL while current), one open interval per key, contiguous. A
 * destination writes it in the transaction of the stream's page that observed the state (declared on the stream).
 */
export interface HistorySpec {
  /** Table (file) name, e.g. `error_history`. */
  name: string;
  /** What a row is, in a sentence: PostgreSQL's `COMMENT ON TABLE`. */
  description: string;
  /** The history's key: each column named here, read from a column of the stream (`error_id` from `id`). */
  key: readonly { name: string; from: string; description: string }[];
  /** Columns of the stream (same names) whose values make a state: a change in any of them opens a new interval. */
  fields: readonly { name: string; description: string }[];
  /**
   * Where a key's FIRST interval starts when the record says more than the observation time: at this timestamp
   * column of the stream, when `when` holds (errors: an error first seen open starts at `first_seen_unfiltered`).
   * Otherwise, and when the column is empty or after the observation, at the observation time.
   */
  firstFrom?: { column: string; when: { column: string; equals: string } };
  /** Secondary indexes besides the key + valid_from primary key. */
  indexes?: readonly (readonly string[])[];
}

/** What each of a history table's own columns holds (after the key and the tracked fields). */
export const HISTORY_COLUMN_DESCRIPTIONS = {
  valid_from:
    'When this state began: when a sync (or a write-back) first observed it; a first state of an error seen open starts at its first_seen_unfiltered.',
  valid_to: "When the next state began (exclusive; the next row's valid_from); NULL while this is the current state.",
  observed_by:
    'What observed the state: incremental (an incremental pass), full_pass (a full pass or --full-refresh), status_pass, webhook, or writeback (a change snagsync applied).',
  _run_id: 'The snagsync run that observed the state (_snagsync_runs.run_id).',
} as const;

/**
 * A history table's columns in order — its key, the tracked fields (typed as the stream's columns they come from),
 * valid_from, valid_to, observed_by, _run_id — and its primary key (key + valid_from): what the destinations create
 * and the catalog shows. A name the stream does not have is typed text (the destinations refuse such a declaration).
 */
export function historyTable(
  h: HistorySpec,
  streamColumns: readonly ColumnSpec[],
): { columns: Array<{ name: string; type: ColumnType; description: string }>; primaryKey: string[] } {
  const typeOf = (name: string): ColumnType => streamColumns.find((c) => c.name === name)?.type ?? 'text';
  const own = HISTORY_COLUMN_DESCRIPTIONS;
  return {
    columns: [
      ...h.key.map((k) => ({ name: k.name, type: typeOf(k.from), description: k.description })),
      ...h.fields.map((f) => ({ name: f.name, type: typeOf(f.name), description: f.description })),
      { name: 'valid_from', type: 'timestamp', description: own.valid_from },
      { name: 'valid_to', type: 'timestamp', description: own.valid_to },
      { name: 'observed_by', type: 'text', description: own.observed_by },
      { name: '_run_id', type: 'text', description: own._run_id },
    ],
    primaryKey: [...h.key.map((k) => k.name), 'valid_from'],
  };
}
