import type { Statement } from 'better-sqlite3';
import { nameTaken, notFound } from '../errors.js';
import { nameKey } from '../names.js';
import { sqliteCode, storeError, type Db } from './connection.js';

/** What every SQLite repository shares: a statement cache, IMMEDIATE transactions, and error mapping. */
export abstract class SqliteRepo {
  private readonly statements = new Map<string, Statement>();

  constructor(
    protected readonly db: Db,
    protected readonly location: string,
  ) {}

  protected stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /**
   * One IMMEDIATE transaction: the write lock is taken up front (waiting up to the busy timeout), so a read followed
   * by a write never fails midway with SQLITE_BUSY because another process wrote in between. Nested calls join the
   * outer transaction (better-sqlite3 turns them into savepoints).
   */
  protected tx<T>(fn: () => T): T {
    return this.guard(() => (this.db.inTransaction ? this.db.transaction(fn)() : this.db.transaction(fn).immediate()));
  }

  /**
   * Database and file-system failures (they carry a `code`) become SnagErrors that say what to do; anything else —
   * a SnagError, or an error thrown by a caller's callback inside a transaction — passes through untouched.
   */
  protected guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (sqliteCode(err) === undefined) throw err;
      throw storeError(err, this.location);
    }
  }
}

/**
 * A repository of named things (credentials, sources): lookups by id or by name (case- and Unicode-insensitively, via
 * `name_key`), and the unique-name check, written once for both tables.
 */
export abstract class NamedSqliteRepo<Row extends { id: string }, T> extends SqliteRepo {
  protected abstract readonly table: 'credentials' | 'sources' | 'data_sinks';
  protected abstract readonly entity: 'credential' | 'source' | 'destination';
  /** The columns a row is read with. */
  protected abstract readonly columns: string;
  protected abstract toModel(row: Row): T;

  async get(id: string): Promise<T | null> {
    const row = this.guard(() => this.row(id));
    return row ? this.toModel(row) : null;
  }

  /** By exact id first, then by name. Unknown → SnagError('missing'). */
  async findByNameOrId(ref: string): Promise<T> {
    const wanted = ref.trim();
    const row = this.guard(
      () =>
        this.row(wanted) ??
        (this.stmt(`SELECT ${this.columns} FROM ${this.table} WHERE name_key = ?`).get(nameKey(wanted)) as
          | Row
          | undefined),
    );
    if (!row) throw notFound(this.entity, wanted);
    return this.toModel(row);
  }

  protected row(id: string): Row | undefined {
    return this.stmt(`SELECT ${this.columns} FROM ${this.table} WHERE id = ?`).get(id) as Row | undefined;
  }

  protected mustGet(id: string): T {
    const row = this.guard(() => this.row(id));
    if (!row) throw notFound(this.entity, id);
    return this.toModel(row);
  }

  protected assertNameFree(name: string, ownId: string | null): void {
    const existing = this.stmt(`SELECT id, name FROM ${this.table} WHERE name_key = ? OR name = ?`).get(
      nameKey(name),
      name,
    ) as { id: string; name: string } | undefined;
    if (existing && existing.id !== ownId) throw nameTaken(this.entity, name, existing);
  }
}
