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
}
