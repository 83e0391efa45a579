import type { ColumnType } from '../types.js';
import { jsonPath, type CompiledColumn, type CompiledHistory, type CompiledStream } from '../descriptor.js';

/** SQLite storage class per column type. Types without one of their own are named in a comment kept by `.schema`. */
const AFFINITY: Record<ColumnType, string> = {
  text: 'TEXT',
  integer: 'INTEGER',
  real: 'REAL',
  boolean: 'INTEGER /* boolean: 0 or 1 */',
  timestamp: 'TEXT /* timestamp: ISO 8601 UTC */',
  json: 'TEXT /* json */',
};

export const STATE_TABLE = '_snagsync_state';

export const STATE_DDL = `CREATE TABLE IF NOT EXISTS ${STATE_TABLE} (
  source_id  TEXT NOT NULL,
  stream     TEXT NOT NULL,
  partition  TEXT NOT NULL,
  state      TEXT NOT NULL /* json: the engine's checkpoint, committed with the records */,
  updated_at TEXT NOT NULL /* timestamp */,
  PRIMARY KEY (source_id, stream, partition)
)`;

export const RUNS_TABLE = '_snagsync_runs';
export const RUN_STREAMS_TABLE = '_snagsync_run_streams';

/**
 * Lineage: a row per run, written when it starts and when it ends; its records per stream and partition in a child
 * table, counted in the transaction of each page (so they are exact even after a kill -9).
 */
export const RUNS_DDL = `CREATE TABLE IF NOT EXISTS ${RUNS_TABLE} (
  run_id      TEXT PRIMARY KEY,
  source_id   TEXT NOT NULL,
  source_name TEXT,
  trigger     TEXT,
  started_at  TEXT NOT NULL /* timestamp */,
  ended_at    TEXT /* timestamp: NULL while running, or when the run was killed */,
  status      TEXT NOT NULL /* running, succeeded, partial, failed, cancelled */,
  error       TEXT
);
CREATE TABLE IF NOT EXISTS ${RUN_STREAMS_TABLE} (
  run_id          TEXT NOT NULL,
  stream          TEXT NOT NULL,
  partition       TEXT NOT NULL,
  records_read    INTEGER NOT NULL,
  records_written INTEGER NOT NULL,
  pages           INTEGER NOT NULL,
  updated_at      TEXT NOT NULL /* timestamp */,
  PRIMARY KEY (run_id, stream, partition)
)`;

export const COUNT_PAGE_SQL = `INSERT INTO ${RUN_STREAMS_TABLE} (run_id, stream, partition, records_read, records_written, pages, updated_at)
  VALUES (?, ?, ?, ?, ?, 1, ?)
  ON CONFLICT (run_id, stream, partition) DO UPDATE SET records_read = records_read + excluded.records_read,
    records_written = records_written + excluded.records_written, pages = pages + 1, updated_at = excluded.updated_at`;

export function quoteId(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function createTableSql(s: CompiledStream): string {
  const keys = new Set(s.descriptor.primaryKey);
  const cols = s.columns.map((c) => `  ${quoteId(c.name)} ${AFFINITY[c.type]}${keys.has(c.name) ? ' NOT NULL' : ''}`);
  cols.push(
    `  "_record" TEXT NOT NULL /* json: the full record as read */`,
    `  "_synced_at" TEXT NOT NULL /* timestamp: when a sync last wrote this row */`,
    `  "_source_id" TEXT /* the snagsync source that wrote it */`,
    `  "_run_id" TEXT /* the snagsync run that last wrote it (_snagsync_runs) */`,
    `  "_deleted_at" TEXT /* timestamp: when a full pass no longer found it in Bugsnag; NULL while there */`,
    `  PRIMARY KEY (${s.descriptor.primaryKey.map(quoteId).join(', ')})`,
  );
  return `CREATE TABLE ${quoteId(s.descriptor.name)} (\n${cols.join(',\n')}\n)`;
}

export function addColumnSql(table: string, c: CompiledColumn): string {
  return `ALTER TABLE ${quoteId(table)} ADD COLUMN ${quoteId(c.name)} ${AFFINITY[c.type]}`;
}

export function indexSql(table: string, index: { name: string; columns: readonly string[] }): string {
  return `CREATE INDEX IF NOT EXISTS ${quoteId(index.name)} ON ${quoteId(table)} (${index.columns.map(quoteId).join(', ')})`;
}

/**
 * Fills a column added to an existing table from the records already stored, with the same conversion as new writes
 * (through the `snagsync_value` SQL function the destination registers).
 */
export function backfillSql(table: string, c: CompiledColumn): string {
  const lit = (p: readonly string[]) => `'${jsonPath(p).replace(/'/g, "''")}'`;
  const value = (p: readonly string[]) =>
    c.type === 'json' ? `"_record" -> ${lit(p)}` : `snagsync_value("_record" ->> ${lit(p)}, '${c.type}')`;
  // Alternative paths (ColumnSpec.or): the first that holds a value, as new writes read it.
  const expr = c.or.length
    ? `CASE ${[c.path, ...c.or].map((p) => `WHEN "_record" ->> ${lit(p)} IS NOT NULL THEN ${value(p)}`).join(' ')} END`
    : value(c.path);
  return `UPDATE ${quoteId(table)} SET ${quoteId(c.name)} = ${expr}`;
}

/** One upsert per stream, with positional parameters: the typed columns, then _record, _synced_at, _source_id, _run_id. */
export function upsertSql(s: CompiledStream): string {
  const names = [...s.columns.map((c) => c.name), '_record', '_synced_at', '_source_id', '_run_id'];
  const keys = new Set(s.descriptor.primaryKey);
  const updates = names.filter((n) => !keys.has(n)).map((n) => `${quoteId(n)} = excluded.${quoteId(n)}`);
  // A row read again is in Bugsnag again: a deletion mark it carried is cleared.
  updates.push('"_deleted_at" = NULL');
  return (
    `INSERT INTO ${quoteId(s.descriptor.name)} (${names.map(quoteId).join(', ')}) VALUES (${names.map(() => '?').join(', ')}) ` +
    `ON CONFLICT (${s.descriptor.primaryKey.map(quoteId).join(', ')}) DO UPDATE SET ${updates.join(', ')}`
  );
}

/**
 * A stream's history table (see HistorySpec): the key, the tracked fields, the interval and who observed it; keyed by
 * key + valid_from, with at most one open interval (valid_to NULL) per key enforced by a partial unique index.
 */
export function historyDdl(h: CompiledHistory): string[] {
  const cols = h.columns.map((c) => {
    const notNull = h.primaryKey.includes(c.name) || c.name === 'observed_by';
    return `  ${quoteId(c.name)} ${AFFINITY[c.type]}${notNull ? ' NOT NULL' : ''}`;
  });
  cols.push(`  PRIMARY KEY (${h.primaryKey.map(quoteId).join(', ')})`);
  return [
    `CREATE TABLE IF NOT EXISTS ${quoteId(h.name)} (\n${cols.join(',\n')}\n)`,
    `CREATE UNIQUE INDEX IF NOT EXISTS ${quoteId(h.openIndex.name)} ON ${quoteId(h.name)} (${h.openIndex.columns.map(quoteId).join(', ')}) WHERE "valid_to" IS NULL`,
    ...h.indexes.map((i) => indexSql(h.name, i)),
  ];
}
