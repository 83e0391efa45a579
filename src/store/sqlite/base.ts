import type { Statement } from 'better-sqlite3';
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
