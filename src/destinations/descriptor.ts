import { createHash } from 'node:crypto';
import { SnagError } from '../core/errors.js';
import { historyTable } from '../core/stream-shape.js';
import { parseTimestamp } from '../core/time.js';
import type { ColumnSpec, ColumnType, DestinationRecord, HistorySpec, StreamDescriptor } from './types.js';

/** Columns every stream table gets besides its typed ones. */
export const SYSTEM_COLUMNS = ['_record', '_synced_at', '_source_id', '_run_id', '_deleted_at'] as const;

/** What each system column holds: PostgreSQL's comments, the docs. */
export const SYSTEM_COLUMN_DESCRIPTIONS: Record<(typeof SYSTEM_COLUMNS)[number], string> = {
  _record: 'The whole record as Bugsnag sent it, plus the parent ids snagsync adds (JSON).',
  _synced_at: 'When a sync last wrote this row.',
  _source_id: 'The snagsync source that last wrote this row.',
  _run_id:
    'The snagsync run that last wrote this row (_snagsync_runs.run_id); NULL for rows written before runs were recorded.',
  _deleted_at:
    'When a completed full pass no longer found this row in Bugsnag (deleted there, or out of reach); NULL while it is there.',
};

const STREAM_NAME = /^[a-z][a-z0-9_]{0,62}$/;
const COLUMN_NAME = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;
const TYPES: readonly ColumnType[] = ['text', 'integer', 'real', 'boolean', 'timestamp', 'json'];

/** A value better-sqlite3 can bind (booleans are not among them). */
export type SqlValue = string | number | bigint | null;

export interface CompiledColumn {
  name: string;
  type: ColumnType;
  path: readonly string[];
  /** Further paths tried in order when `path` holds nothing (ColumnSpec.or). */
  or: readonly (readonly string[])[];
  /** Reads the column's value out of a record and converts it for storage. */
  read(record: DestinationRecord): SqlValue;
}

export interface CompiledStream {
  descriptor: StreamDescriptor;
  columns: CompiledColumn[];
  keyColumns: CompiledColumn[];
  /** The declared secondary indexes, each with its name (unique per database or schema). */
  indexes: Array<{ name: string; columns: readonly string[] }>;
  /** The record's key as one string (JSON array of the key values), for indexes and messages. */
  keyOf(record: DestinationRecord): string;
  /** The history the stream keeps of some of its columns (errors: `error_history`), or null. */
  history: CompiledHistory | null;
}

export interface CompiledHistory {
  spec: HistorySpec;
  name: string;
  /** The history's key columns, each with the stream column it is read from. */
  key: Array<{ name: string; from: CompiledColumn }>;
  /** The tracked columns of the stream (a state). */
  fields: CompiledColumn[];
  /** Every column of the history table in order: key, fields, valid_from, valid_to, observed_by, _run_id. */
  columns: Array<{ name: string; type: ColumnType; description: string }>;
  /** key + valid_from. */
  primaryKey: string[];
  /** Declared secondary indexes, named. */
  indexes: Array<{ name: string; columns: readonly string[] }>;
  /** The unique index on the key WHERE valid_to IS NULL: at most one open interval per key, enforced. */
  openIndex: { name: string; columns: readonly string[] };
  firstFrom: { column: CompiledColumn; when: CompiledColumn; equals: string } | null;
  /** The record's history key as one string. */
  keyOf(record: DestinationRecord): string;
}

/**
 * Where the interval of a state observed at `at` starts. After an open interval (from `openFrom`): at `at`, but
 * always after `openFrom` (1 ms after when `at` is not later — another worker's clock, a first state dated from
 * Bugsnag's), so intervals never overlap nor are empty. A key's first state: see HistorySpec.firstFrom.
 */
export function intervalStart(
  h: CompiledHistory,
  record: DestinationRecord,
  at: string,
  openFrom: string | null,
): string {
  const atMs = Date.parse(at);
  if (openFrom !== null) {
    const fromMs = Date.parse(openFrom);
    return atMs > fromMs ? new Date(atMs).toISOString() : new Date(fromMs + 1).toISOString();
  }
  const f = h.firstFrom;
  if (f && f.when.read(record) === f.equals) {
    const since = f.column.read(record);
    const sinceMs = typeof since === 'string' ? Date.parse(since) : Number.NaN;
    if (Number.isFinite(sinceMs) && sinceMs <= atMs) return new Date(sinceMs).toISOString();
  }
  return new Date(atMs).toISOString();
}

/** Checks a descriptor (names safe to use as SQL identifiers and file names, key columns declared) and compiles it. */
export function compileStream(d: StreamDescriptor): CompiledStream {
  const bad = (why: string) =>
    new SnagError('internal', `Stream descriptor "${String(d?.name)}" is invalid: ${why}.`, {
      hint: 'This is a bug in snagsync (a stream definition); please report it.',
    });
  if (typeof d?.name !== 'string' || !STREAM_NAME.test(d.name))
    throw bad('the name must be snake_case (a-z, 0-9, _), at most 63 characters');
  if (!Array.isArray(d.columns) || d.columns.length === 0) throw bad('it has no columns');
  const seen = new Set<string>();
  const columns = d.columns.map((c: ColumnSpec) => {
    if (typeof c?.name !== 'string' || !COLUMN_NAME.test(c.name))
      throw bad(`column "${String(c?.name)}" must be letters, digits and _ (not starting with _ or a digit)`);
    if (seen.has(c.name.toLowerCase())) throw bad(`column "${c.name}" appears twice`);
    seen.add(c.name.toLowerCase());
    if (!TYPES.includes(c.type)) throw bad(`column "${c.name}" has unknown type "${String(c.type)}"`);
    const path = c.path ?? [c.name];
    if (!Array.isArray(path) || path.length === 0 || path.some((p) => typeof p !== 'string' || p === ''))
      throw bad(`column "${c.name}" has an empty path`);
    const or = c.or ?? [];
    if (
      !Array.isArray(or) ||
      or.some((p) => !Array.isArray(p) || p.length === 0 || p.some((k) => typeof k !== 'string' || k === ''))
    )
      throw bad(`column "${c.name}" has an empty alternative path`);
    return compileColumn(c.name, c.type, path, or);
  });
  if (!Array.isArray(d.primaryKey) || d.primaryKey.length === 0) throw bad('it has no primary key');
  const keyColumns = d.primaryKey.map((k) => {
    const col = columns.find((c) => c.name === k);
    if (!col) throw bad(`primary key column "${k}" is not among its columns`);
    return col;
  });
  if (new Set(d.primaryKey).size !== d.primaryKey.length) throw bad('a primary key column is repeated');
  for (const c of d.columns)
    for (const old of c.formerNames ?? []) {
      if (typeof old !== 'string' || !COLUMN_NAME.test(old)) throw bad(`column "${c.name}" has a bad former name`);
      if (seen.has(old.toLowerCase())) throw bad(`the former name "${old}" of "${c.name}" is a column too`);
    }
  const indexes = (d.indexes ?? []).map((cols) => {
    if (!Array.isArray(cols) || cols.length === 0) throw bad('an index has no columns');
    for (const k of cols) if (!columns.some((c) => c.name === k)) throw bad(`index column "${k}" is not a column`);
    return { name: indexName(d.name, cols), columns: cols };
  });
  return {
    descriptor: d,
    columns,
    keyColumns,
    indexes,
    keyOf(record) {
      return JSON.stringify(keyColumns.map((c) => requireKey(d.name, c, record)));
    },
    history: d.history ? compileHistory(d.history, d.columns, columns, bad) : null,
  };
}

function compileHistory(
  h: HistorySpec,
  streamColumns: readonly ColumnSpec[],
  columns: readonly CompiledColumn[],
  bad: (why: string) => SnagError,
): CompiledHistory {
  if (typeof h.name !== 'string' || !STREAM_NAME.test(h.name)) throw bad('its history has a bad table name');
  const column = (name: string, what: string) => {
    const c = columns.find((x) => x.name === name);
    if (!c) throw bad(`its history's ${what} "${name}" is not a column of the stream`);
    return c;
  };
  if (h.key.length === 0 || h.fields.length === 0) throw bad('its history needs a key and fields');
  const key = h.key.map((k) => {
    if (!COLUMN_NAME.test(k.name)) throw bad(`its history's key column "${k.name}" has a bad name`);
    return { name: k.name, from: column(k.from, 'key column') };
  });
  const fields = h.fields.map((f) => column(f.name, 'field'));
  const { columns: tableColumns, primaryKey } = historyTable(h, streamColumns);
  const names = tableColumns.map((c) => c.name.toLowerCase());
  if (new Set(names).size !== names.length) throw bad('its history has a column twice');
  const indexes = (h.indexes ?? []).map((cols) => {
    for (const k of cols)
      if (!names.includes(k.toLowerCase())) throw bad(`history index column "${k}" is not a column`);
    return { name: indexName(h.name, cols), columns: cols };
  });
  const keyNames = key.map((k) => k.name);
  return {
    spec: h,
    name: h.name,
    key,
    fields,
    columns: tableColumns,
    primaryKey,
    indexes,
    openIndex: { name: indexName(`${h.name}_open`, keyNames), columns: keyNames },
    firstFrom: h.firstFrom
      ? {
          column: column(h.firstFrom.column, 'first interval column'),
          when: column(h.firstFrom.when.column, 'first interval condition'),
          equals: h.firstFrom.when.equals,
        }
      : null,
    keyOf(record) {
      return JSON.stringify(key.map((k) => requireKey(h.name, k.from, record)));
    },
  };
}

/**
 * `<table>_<columns>_idx`, at most 63 characters (PostgreSQL's limit): a longer name is cut and ends with a hash of
 * the whole, so two indexes never share a name.
 */
export function indexName(table: string, columns: readonly string[]): string {
  const full = `${table}_${columns.join('_')}_idx`;
  if (full.length <= 63) return full;
  return `${full.slice(0, 54)}_${createHash('sha1').update(full).digest('hex').slice(0, 8)}`;
}

/** Key values are never null: a NULL in a composite key would defeat the upsert and duplicate the record. */
function requireKey(stream: string, column: CompiledColumn, record: DestinationRecord): SqlValue {
  const v = column.read(record);
  if (v === null) throw missingKey(stream, column.name);
  return v;
}

/** A record without a value for a key column (see requireKey); the SQLite destination checks its bound row. */
export function missingKey(stream: string, column: string): SnagError {
  return new SnagError('internal', `A record of stream "${stream}" has no value for its key column "${column}".`, {
    hint: 'This is a bug in snagsync or an unexpected API answer; please report it with the stream name.',
    details: { stream, column },
  });
}

function compileColumn(
  name: string,
  type: ColumnType,
  path: readonly string[],
  or: readonly (readonly string[])[],
): CompiledColumn {
  const convert = CONVERTERS[type];
  const first = path[0]!;
  const at = (r: DestinationRecord, p: readonly string[]): unknown => {
    let v: unknown = r;
    for (const k of p) {
      if (v === null || typeof v !== 'object') return undefined;
      v = (v as Record<string, unknown>)[k];
    }
    return v;
  };
  const read =
    or.length > 0
      ? (r: DestinationRecord) => {
          let v = at(r, path);
          for (let i = 0; (v === undefined || v === null) && i < or.length; i++) v = at(r, or[i]!);
          return convert(v);
        }
      : path.length === 1
        ? (r: DestinationRecord) => convert(r[first])
        : (r: DestinationRecord) => {
            const v = at(r, path);
            return v === undefined ? null : convert(v);
          };
  return { name, type, path, or, read };
}

/**
 * How a JSON value is stored in a typed column. Nothing is ever dropped: a value of an unexpected shape is stored
 * as text (the whole record is in `_record` anyway).
 */
export const CONVERTERS: Record<ColumnType, (v: unknown) => SqlValue> = {
  text: (v) =>
    v === undefined || v === null
      ? null
      : typeof v === 'string'
        ? v
        : typeof v === 'object'
          ? JSON.stringify(v)
          : String(v),
  integer: numeric,
  real: numeric,
  boolean: (v) => {
    if (v === undefined || v === null) return null;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'number') return v ? 1 : 0;
    if (v === 'true') return 1;
    if (v === 'false') return 0;
    return fallback(v);
  },
  timestamp: (v) => {
    if (v === undefined || v === null || v === '') return null;
    // Fast path for the usual UTC shapes, without a Date per value (this runs for every record written).
    if (typeof v === 'string') {
      const m = UTC.exec(v);
      if (m) return `${m[1]}T${m[2]}${m[3] ?? '.000'}Z`;
    }
    const d = typeof v === 'string' || typeof v === 'number' ? parseTimestamp(v) : null;
    // Bugsnag writes times in four formats (docs/bugsnag-api.md §15); stored as one sortable form, or as-is if unparseable.
    return d ? d.toISOString() : fallback(v);
  },
  json: (v) => (v === undefined ? null : JSON.stringify(v)),
};

const UTC = /^(\d{4}-[01]\d-[0-3]\d)T([0-2]\d:[0-5]\d:[0-5]\d)(\.\d{3})?(?:Z|\+00:?00)$/;

function numeric(v: unknown): SqlValue {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return fallback(v);
}

function fallback(v: unknown): SqlValue {
  return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** JSON path for SQLite's `->`/`->>` operators, quoting keys that are not plain identifiers. */
export function jsonPath(path: readonly string[]): string {
  return (
    '$' +
    path
      .map((p) =>
        /^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? `.${p}` : `."${p.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`,
      )
      .join('')
  );
}
