import pg from 'pg';
import { SnagError } from '../../core/errors.js';
import type { StoreDatabaseUrl } from './url.js';

export type Pool = pg.Pool;
export type Client = pg.PoolClient;
/** Anything that runs a query: the pool, or the client holding a transaction. */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/**
 * One small pool per process. Every connection starts with the store's schema first on its search path, so the
 * repositories name tables without a schema and the same SQL serves any `?schema=`.
 */
export function createPool(url: StoreDatabaseUrl): Pool {
  const pool = new pg.Pool({
    connectionString: url.connectionString,
    max: 4,
    application_name: 'snagsync-store',
    options: `-c search_path=${url.schema}`,
    connectionTimeoutMillis: 10_000,
  });
  // An idle connection dropped by the server must not crash the process; the next query reports the failure.
  pool.on('error', () => {});
  // A checked-out connection killed between two queries: the next query reports it; the event needs a listener.
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

export function pgCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether an error came from the driver or the network (it carries a code) rather than from our own checks. */
export function isDriverError(err: unknown): boolean {
  return !(err instanceof SnagError) && pgCode(err) !== undefined;
}

const NETWORK = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/** Turns a driver or network failure into a SnagError that says what to do. SnagErrors pass through. */
export function storeError(err: unknown, location: string): SnagError {
  if (err instanceof SnagError) return err;
  const code = pgCode(err) ?? '';
  const where = `the snagsync metadata store (${location})`;
  const details = code ? { postgres: code } : {};
  if (
    NETWORK.has(code) ||
    code.startsWith('08') ||
    code === '57P01' ||
    code === '57P03' ||
    /timeout exceeded when trying to connect|Connection terminated/i.test(String(err))
  ) {
    return new SnagError('config', `Cannot reach ${where}: ${code || 'the connection failed'}.`, {
      cause: err,
      hint: 'Check that PostgreSQL is running and reachable at that host and port, and that SNAGSYNC_DATABASE_URL (or --database-url) is right.',
      details,
    });
  }
  if (code === '28P01' || code === '28000') {
    return new SnagError('config', `PostgreSQL refused the login to ${where}.`, {
      cause: err,
      hint: 'Check the user and password in the database URL (and the server’s pg_hba.conf).',
      details,
    });
  }
  if (code === '3D000') {
    return new SnagError('config', `The database of ${where} does not exist.`, {
      cause: err,
      hint: 'Create it first (createdb NAME), or point the URL at an existing database.',
      details,
    });
  }
  if (code === '42501') {
    return new SnagError('config', `The database user may not create or change the tables of ${where}.`, {
      cause: err,
      hint: 'Grant the user CREATE on the database (or on the schema named by ?schema=), or use a user that has it.',
      details,
    });
  }
  if (code === '23505') {
    return new SnagError('conflict', `The record already exists in ${where}.`, {
      cause: err,
      hint: 'Use another name or id.',
      details,
    });
  }
  if (code === '23503') {
    return new SnagError('missing', `A record referred to no longer exists in ${where}.`, {
      cause: err,
      hint: 'It was probably removed by another command; list what exists and try again.',
      details,
    });
  }
  if (code === '40001' || code === '40P01' || code === '55P03') {
    return new SnagError('conflict', `Another snagsync process changed ${where} at the same moment.`, {
      cause: err,
      hint: 'Try again.',
      details,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new SnagError('internal', `Unexpected failure of ${where}: ${message}`, {
    cause: err,
    hint: 'This is a bug in snagsync; please report it with the command you ran (never include your token or database password).',
    details,
  });
}
