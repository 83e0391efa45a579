import pg from 'pg';
import { redactUrlPassword } from '../../core/redact.js';
import { connectionString, type PostgresTarget } from './url.js';

/** Where a postgres URL points, for messages (no password). */
export interface PgEndpoint {
  user: string;
  host: string;
  port: string;
  database: string;
  schema: string;
  /** The URL without its password. */
  location: string;
}

export function endpointOf(target: PostgresTarget): PgEndpoint {
  const u = new URL(target.url);
  const user = decodeSafe(u.username) || process.env.PGUSER || 'the default user';
  return {
    user,
    host: u.hostname || u.searchParams.get('host') || 'localhost',
    port: u.port || '5432',
    database:
      decodeSafe(u.pathname.replace(/^\//, '')) ||
      (u.username ? decodeSafe(u.username) : (process.env.PGDATABASE ?? 'the default database')),
    schema: target.schema,
    location: redactUrlPassword(target.url),
  };
}

export interface PgPoolOptions {
  /** Connections kept open at most (default 4: a sync writes a few streams at a time, not dozens). */
  max?: number;
  /** How long to wait for a connection (default 10 s). */
  connectTimeoutMs?: number;
  /** Every transaction read-only: for readers that must never write (the Overview). */
  readOnly?: boolean;
}

/** A small pool; errors of idle connections (a server restart) are kept for the next query to report, not thrown. */
export function createPool(target: PostgresTarget, options: PgPoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: connectionString(target),
    max: options.max ?? 4,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    idleTimeoutMillis: 10_000,
    application_name: 'snagsync',
    ...(options.readOnly ? { options: '-c default_transaction_read_only=on' } : {}),
  });
  // Without a listener an idle connection's error (server restart) would crash the process; the next query fails
  // with its own error, which is what gets reported.
  pool.on('error', () => undefined);
  // The same for a connection checked out between two queries (killed while a page is being prepared): its query
  // fails with the error, which is what gets reported; the event itself must not be left without a listener.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
