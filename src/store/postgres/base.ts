import { toIso } from '../../core/time.js';
import { nameTaken, notFound } from '../errors.js';
import { nameKey } from '../names.js';
import { isDriverError, storeError, type Client, type Pool, type Queryable } from './connection.js';

/** What every repository of one PostgreSQL store shares. `ready` connects and migrates once, on first use. */
export interface PgContext {
  pool: Pool;
  /** The masked URL and schema, for messages. */
  location: string;
  schema: string;
  ready(): Promise<void>;
}

/** Columns come back as the driver types them: timestamptz as Date, bigint as a string, jsonb parsed. */
export function isoOrNull(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return toIso(value instanceof Date ? value : new Date(String(value)));
}

export function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

/** What every PostgreSQL repository shares: queries after the store is ready, transactions, and error mapping. */
export abstract class PgRepo {
  constructor(protected readonly ctx: PgContext) {}

  protected get location(): string {
    return this.ctx.location;
  }

  /** Runs one statement on `db` (a transaction's client) or the pool; returns the rows. */
  protected async q<R = Record<string, unknown>>(sql: string, params: unknown[] = [], db?: Queryable): Promise<R[]> {
    if (!db) await this.ctx.ready();
    try {
      const result = await (db ?? this.ctx.pool).query(sql, params);
      return result.rows as R[];
    } catch (err) {
      throw this.mapError(err);
    }
  }

  /**
   * One READ COMMITTED transaction. Rows that a decision depends on are locked with FOR UPDATE by the callers (a
   * source before starting a run, a credential before removing it), which is what SQLite's IMMEDIATE transaction
   * gave for free.
   */
  protected async tx<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    await this.ctx.ready();
    let client: Client;
    try {
      client = await this.ctx.pool.connect();
    } catch (err) {
      throw this.mapError(err);
    }
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw this.mapError(err);
    } finally {
      client.release();
    }
  }

  /** Database and network failures become SnagErrors that say what to do; anything else passes through untouched. */
  protected mapError(err: unknown): unknown {
    if (
      isDriverError(err) ||
      (err instanceof Error && /Connection terminated|timeout exceeded when trying to connect/i.test(err.message))
    ) {
      return storeError(err, this.location);
    }
    return err;
  }
}

/**
 * A repository of named things (credentials, sources): lookups by id or by name (case- and Unicode-insensitively, via
 * `name_key`), and the unique-name check, written once for both tables.
 */
export abstract class NamedPgRepo<T> extends PgRepo {
  protected abstract readonly table: 'credentials' | 'sources' | 'data_sinks';
  protected abstract readonly entity: 'credential' | 'source' | 'destination';
  protected abstract readonly columns: string;
  protected abstract toModel(row: Record<string, unknown>): T;

  async get(id: string): Promise<T | null> {
    const row = await this.row(id);
    return row ? this.toModel(row) : null;
  }

  async findByNameOrId(ref: string): Promise<T> {
    const wanted = ref.trim();
    const row =
      (await this.row(wanted)) ??
      (await this.q(`SELECT ${this.columns} FROM ${this.table} WHERE name_key = $1`, [nameKey(wanted)]))[0];
    if (!row) throw notFound(this.entity, wanted);
    return this.toModel(row);
  }

  protected async row(id: string, db?: Queryable, lock = false): Promise<Record<string, unknown> | undefined> {
    return (
      await this.q(`SELECT ${this.columns} FROM ${this.table} WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id], db)
    )[0];
  }

  protected async mustGet(id: string, db?: Queryable): Promise<T> {
    const row = await this.row(id, db);
    if (!row) throw notFound(this.entity, id);
    return this.toModel(row);
  }

  protected async assertNameFree(name: string, ownId: string | null, db: Queryable): Promise<void> {
    const [existing] = await this.q<{ id: string; name: string }>(
      `SELECT id, name FROM ${this.table} WHERE name_key = $1 OR name = $2`,
      [nameKey(name), name],
      db,
    );
    if (existing && existing.id !== ownId) throw nameTaken(this.entity, name, existing);
  }

  /** A unique-name race lost to another process (both checked, the other committed first) reads like the check. */
  protected async nameRace(err: unknown, name: string, ownId: string | null): Promise<unknown> {
    if ((err as { details?: { postgres?: string } }).details?.postgres !== '23505') return err;
    const [existing] = await this.q<{ id: string; name: string }>(
      `SELECT id, name FROM ${this.table} WHERE name_key = $1`,
      [nameKey(name)],
    ).catch(() => []);
    return existing && existing.id !== ownId ? nameTaken(this.entity, name, existing) : err;
  }
}
