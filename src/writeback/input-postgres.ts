import pg from 'pg';
import { SnagError } from '../core/errors.js';
import { endpointOf } from '../destinations/postgres/connect.js';
import { quoteId } from '../destinations/postgres/schema.js';
import { connectionString, parsePostgresUrl, type PostgresTarget } from '../destinations/postgres/url.js';
import {
  abortedError,
  type InputRead,
  multipleStatements,
  type QueryOptions,
  requireSelect,
  rowsOf,
  splitQuery,
  timeoutError,
  timeoutOf,
} from './input-query.js';

/**
 * `postgres://USER@HOST/DB?schema=NAME[&statement_timeout=MS]&query=SELECT …`: rows from one query on a synced
 * PostgreSQL destination, which must not be able to change anything:
 *
 * - one statement: the query goes through the extended protocol (Parse/Bind/Execute), which refuses several
 *   statements — so `…; COMMIT; DROP TABLE t` never reaches a second statement, and no COMMIT can end the
 *   transaction below;
 * - one query: it must start with SELECT or WITH (a lone COPY … TO PROGRAM would run even in a read-only transaction);
 * - read-only: inside BEGIN READ ONLY, which the single statement cannot leave (`transaction_read_only` cannot be
 *   switched off once a query ran; `default_transaction_read_only` only applies to later transactions);
 * - bounded: `statement_timeout` (30 s unless the URL says) and `idle_in_transaction_session_timeout`, set for the
 *   transaction before the query; it is armed when the query starts, so the query cannot lift it. An abort (or the
 *   timeout not firing) ends the server's backend from a second connection;
 * - always ROLLBACK, and the connection closed, whatever happened.
 *
 * A role that is a superuser, or can write in the schema, gets a warning: the transaction stops writes to tables, not
 * everything a superuser's functions can do outside them (lo_export writes server files).
 */

/** Extra time given to the server to stop the query itself before the backend is ended from here. */
const GRACE_MS = 5_000;

export async function readPostgres(spec: string, options: QueryOptions = {}): Promise<InputRead> {
  const split = splitQuery(spec);
  const query = requireSelect(split.query, 'postgres://USER@HOST:PORT/DATABASE?schema=NAME&query=SELECT …');
  const { url, timeoutMs } = takeTimeout(split.base);
  const target = parsePostgresUrl(
    url,
    (extra) =>
      new SnagError('config', `The PostgreSQL input URL is not valid. ${extra}`, {
        hint: 'Give postgres://USER@HOST:PORT/DATABASE?schema=NAME&query=SELECT ….',
        details: { field: 'from' },
      }),
  );
  const where = endpointOf(target);
  const signal = options.signal;
  if (signal?.aborted) throw abortedError();

  const config: pg.ClientConfig = {
    connectionString: connectionString(target),
    application_name: 'snagsync-writeback',
    connectionTimeoutMillis: 10_000,
    options: '-c default_transaction_read_only=on',
  };
  const client = new pg.Client(config);
  let ended = false;
  client.on('end', () => {
    ended = true;
  });
  // An ended backend (timeout backstop, abort) is reported by the query it breaks, not as an unhandled event.
  client.on('error', () => undefined);
  let stopped: 'timeout' | 'aborted' | null = null;
  let pid: number | undefined;
  const stop = (why: 'timeout' | 'aborted') => {
    if (stopped) return;
    stopped = why;
    void terminateBackend(config, pid).finally(() => {
      if (!ended) client.end().catch(() => undefined);
    });
  };
  const onAbort = () => stop('aborted');
  signal?.addEventListener('abort', onAbort, { once: true });
  const backstop = setTimeout(() => stop('timeout'), timeoutMs + GRACE_MS);
  backstop.unref?.();
  let connected = false;
  try {
    await client.connect().catch((err: unknown) => {
      if (stopped === 'aborted') throw abortedError();
      throw new SnagError('config', `Cannot connect to PostgreSQL at ${where.location}: ${(err as Error).message}.`, {
        hint: 'Check the host, port, user and database of the input URL.',
        details: { field: 'from' },
      });
    });
    connected = true;
    await client.query(
      `BEGIN READ ONLY; SET LOCAL statement_timeout = ${timeoutMs}; SET LOCAL idle_in_transaction_session_timeout = ${Math.max(timeoutMs, 10_000)}; SET LOCAL search_path TO ${quoteId(target.schema)}, public`,
    );
    const role = await roleOf(client, target.schema);
    pid = role.pid;
    const warnings = roleWarnings(role, target.schema);
    for (const w of warnings) options.onWarning?.(w);
    // `queryMode: 'extended'` even without values: Parse/Bind/Execute, which takes one statement only.
    const statement: pg.QueryConfig & { queryMode: 'extended' } = {
      text: query,
      values: [...(options.queryValues ?? [])],
      queryMode: 'extended',
    };
    const result = await client.query(statement).catch((err: unknown) => {
      throw queryError(err, stopped, timeoutMs, target);
    });
    const rows = result.rows as Array<Record<string, unknown>>;
    return {
      rows: rowsOf(rows),
      text: `${where.location}\n${query}\n${JSON.stringify(options.queryValues ?? [])}\n${JSON.stringify(rows)}`,
      warnings,
    };
  } catch (err) {
    if (stopped === 'aborted') throw abortedError();
    if (stopped === 'timeout') throw timeoutError(timeoutMs, 'PostgreSQL');
    throw err;
  } finally {
    clearTimeout(backstop);
    signal?.removeEventListener('abort', onAbort);
    if (connected && !stopped && !ended) await client.query('ROLLBACK').catch(() => undefined);
    if (!ended) await client.end().catch(() => undefined);
  }
}

/** Removes snagsync's `statement_timeout` from the URL (the driver would send it on); the rest goes to the driver. */
function takeTimeout(base: string): { url: string; timeoutMs: number } {
  let u: URL;
  try {
    u = new URL(base);
  } catch {
    return { url: base, timeoutMs: timeoutOf(null) };
  }
  const timeoutMs = timeoutOf(u.searchParams.get('statement_timeout'));
  if (!u.searchParams.has('statement_timeout')) return { url: base, timeoutMs };
  u.searchParams.delete('statement_timeout');
  return { url: u.toString(), timeoutMs };
}

const ROLE_QUERY = `SELECT current_user AS role, pg_backend_pid() AS pid,
  r.rolsuper AS superuser,
  EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = $1 AND has_schema_privilege(n.oid, 'CREATE')) AS can_create,
  EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
            AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')) AS can_write
FROM pg_roles r WHERE r.rolname = current_user`;

interface Role {
  role: string;
  pid: number;
  superuser: boolean;
  can_create: boolean;
  can_write: boolean;
}

async function roleOf(client: pg.Client, schema: string): Promise<Role> {
  const { rows } = await client.query<Role>({ text: ROLE_QUERY, values: [schema] });
  const r = rows[0];
  // No pg_roles row: the role cannot read the catalog; nothing to warn about, but the backend can still be ended.
  if (r) return r;
  const { rows: p } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return { role: '', pid: p[0]!.pid, superuser: false, can_create: false, can_write: false };
}

/** What the input's role could do if the query were not held in a read-only transaction. */
function roleWarnings(r: Role, schema: string): string[] {
  if (!r.role) return [];
  const safer = `An input only needs to read: give it a role with SELECT on the schema's tables (GRANT USAGE ON SCHEMA ${quoteId(schema)}, SELECT ON ALL TABLES IN SCHEMA ${quoteId(schema)} TO a role of its own).`;
  if (r.superuser) {
    return [
      `The PostgreSQL input's role "${r.role}" is a superuser. Its query runs as one statement in a read-only transaction, but a superuser's functions can still act outside the tables (write server files with lo_export, end other sessions). ${safer}`,
    ];
  }
  if (r.can_create || r.can_write) {
    const what = [r.can_create ? 'create objects in' : '', r.can_write ? 'write to the tables of' : '']
      .filter(Boolean)
      .join(' and ');
    return [
      `The PostgreSQL input's role "${r.role}" can ${what} the schema ${schema}. Its query runs read-only, but a role that cannot write is safer. ${safer}`,
    ];
  }
  return [];
}

function queryError(err: unknown, stopped: string | null, timeoutMs: number, target: PostgresTarget): SnagError {
  if (stopped === 'aborted') return abortedError();
  const e = err as { code?: string; message?: string };
  const message = e.message ?? String(err);
  if (stopped === 'timeout' || (e.code === '57014' && /statement timeout/.test(message)))
    return timeoutError(timeoutMs, 'PostgreSQL');
  if (e.code === '42601' && /multiple commands/.test(message)) return multipleStatements();
  if (e.code === '25006') {
    return new SnagError('config', `The write-back query tried to change the database (${message}).`, {
      hint: 'An input is only read: give a SELECT that reads (no INSERT, UPDATE, DELETE, SELECT INTO or locks).',
      details: { field: 'from' },
    });
  }
  return new SnagError('config', `The write-back query failed: ${message}.`, {
    hint: `Check the query against the destination (schema ${target.schema}: table and column names).`,
    details: { field: 'from' },
  });
}

/** Ends the backend from a second connection (same role: allowed without privileges); failures leave the server's timeout. */
async function terminateBackend(config: pg.ClientConfig, pid: number | undefined): Promise<void> {
  if (!pid) return;
  const killer = new pg.Client({ ...config, application_name: 'snagsync-writeback-stop', options: undefined });
  killer.on('error', () => undefined);
  try {
    await killer.connect();
    await killer.query('SELECT pg_terminate_backend($1)', [pid]);
  } catch {
    // The server's own statement_timeout still stops the query.
  } finally {
    await killer.end().catch(() => undefined);
  }
}
