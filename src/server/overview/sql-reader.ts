import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { createPool, endpointOf } from '../../destinations/postgres/connect.js';
import { pgDestinationError } from '../../destinations/postgres/errors.js';
import { qualified } from '../../destinations/postgres/schema.js';
import type { PostgresTarget } from '../../destinations/postgres/url.js';
import { quoteId } from '../../destinations/sqlite/schema.js';
import type { DestinationTarget } from '../../destinations/url.js';

/**
 * One read-only connection to a SQLite or PostgreSQL destination for the server's small reads of synced data
 * (freshness, error history, time to fix): queries written once with `?` placeholders, tables named through
 * `table()` (PostgreSQL's schema), timestamps answered as ISO text whatever the database. Like the Overview's charts
 * (aggregate.ts, postgres.ts): a connection that cannot write, never blocking a sync that writes.
 */
export interface SqlReader {
  kind: 'sqlite' | 'postgres';
  /** The table or view as the query names it. */
  table(name: string): string;
  /** Whether a table (not a view) has every one of these columns. */
  has(table: string, ...columns: string[]): boolean;
  /** Whether a view of this name exists. */
  hasView(name: string): boolean;
  all<T extends Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

/** Runs `fn` over the destination; null when the SQLite file does not exist yet (nothing synced). */
export async function withSqlReader<T>(
  target: Exclude<DestinationTarget, { kind: 'jsonl' }>,
  fn: (r: SqlReader) => Promise<T>,
): Promise<T | null> {
  return target.kind === 'sqlite' ? withSqlite(target.path, fn) : withPostgres(target, fn);
}

async function withSqlite<T>(path: string, fn: (r: SqlReader) => Promise<T>): Promise<T | null> {
  if (!existsSync(path)) return null;
  const db = new Database(path, { fileMustExist: true, timeout: 2000 });
  try {
    db.pragma('query_only = ON');
    const objects = db.prepare(`SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view')`).all() as Array<{
      name: string;
      type: string;
    }>;
    const views = new Set(objects.filter((o) => o.type === 'view').map((o) => o.name));
    const tables = new Set(objects.filter((o) => o.type === 'table').map((o) => o.name));
    const columns = new Map<string, Set<string>>();
    const columnsOf = (table: string) => {
      let c = columns.get(table);
      if (!c) {
        const info = db.prepare('SELECT name FROM pragma_table_info(?)').all(table) as Array<{ name: string }>;
        c = new Set(info.map((i) => i.name));
        columns.set(table, c);
      }
      return c;
    };
    return await fn({
      kind: 'sqlite',
      table: quoteId,
      has: (table, ...cols) => tables.has(table) && cols.every((c) => columnsOf(table).has(c)),
      hasView: (name) => views.has(name),
      all: async <R>(sql: string, params: readonly unknown[] = []) =>
        db.prepare(sql).all(...(params as unknown[])) as R[],
    });
  } finally {
    db.close();
  }
}

async function withPostgres<T>(target: PostgresTarget, fn: (r: SqlReader) => Promise<T>): Promise<T> {
  const pool = createPool(target, { max: 1, readOnly: true, connectTimeoutMs: 5000 });
  try {
    const cols = await pool.query<{ table_name: string; column_name: string }>(
      `SELECT c.table_name, c.column_name FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
       WHERE c.table_schema = $1 AND t.table_type = 'BASE TABLE'`,
      [target.schema],
    );
    const views = await pool.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.views WHERE table_schema = $1',
      [target.schema],
    );
    const columns = new Map<string, Set<string>>();
    for (const r of cols.rows) columns.set(r.table_name, (columns.get(r.table_name) ?? new Set()).add(r.column_name));
    const viewNames = new Set(views.rows.map((r) => r.table_name));
    return await fn({
      kind: 'postgres',
      table: (name) => qualified(target.schema, name),
      has: (table, ...c) => columns.has(table) && c.every((x) => columns.get(table)!.has(x)),
      hasView: (name) => viewNames.has(name),
      all: async <R extends Record<string, unknown>>(sql: string, params: readonly unknown[] = []) => {
        let n = 0;
        const r = await pool.query(
          sql.replace(/\?/g, () => `$${++n}`),
          params as unknown[],
        );
        return r.rows.map((row) => isoDates(row)) as R[];
      },
    });
  } catch (err) {
    throw pgDestinationError(err, endpointOf(target));
  } finally {
    await pool.end();
  }
}

/** PostgreSQL answers timestamptz as Date: the pages and the API speak ISO text, as SQLite stores it. */
function isoDates(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = v instanceof Date ? v.toISOString() : v;
  return out;
}
