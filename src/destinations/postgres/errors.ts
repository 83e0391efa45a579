import { SnagError } from '../../core/errors.js';
import type { PgEndpoint } from './connect.js';

const RESUME = 'The next sync resumes from the last checkpoint; nothing committed is lost.';
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);
const LOST = new Set(['ECONNRESET', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);

/**
 * Turns a `pg` failure into SnagError('destination') that says what happened and what to do, with `field:
 * 'destination'`. SnagErrors pass through. The password never appears: messages name the endpoint, not the URL.
 */
export function pgDestinationError(err: unknown, at: PgEndpoint): SnagError {
  if (err instanceof SnagError) return err;
  const code = errorCode(err);
  const text = err instanceof Error ? err.message : String(err);
  const server = `the PostgreSQL server at ${at.host}:${at.port}`;
  const make = (message: string, hint: string) =>
    new SnagError('destination', message, {
      cause: err,
      hint,
      details: { field: 'destination', location: at.location, ...(code ? { code } : {}) },
    });
  if ((code && UNREACHABLE.has(code)) || /timeout expired|connection timeout/i.test(text)) {
    return make(
      `Cannot reach ${server} (destination ${at.location}): ${code ?? text}.`,
      `Check that PostgreSQL is running and accepts TCP connections there (pg_isready -h ${at.host} -p ${at.port}), and that the host and port of the destination URL are right.`,
    );
  }
  switch (code) {
    case '3D000':
      return make(
        `The database "${at.database}" does not exist on ${server}.`,
        `Create it (CREATE DATABASE "${at.database}"), or name an existing database in the destination URL.`,
      );
    case '28P01':
    case '28000':
      return make(
        `${server[0]!.toUpperCase()}${server.slice(1)} refused the login of user "${at.user}": ${text}.`,
        'Check the user name and password (in the URL, in PGPASSWORD or in ~/.pgpass) and that pg_hba.conf lets this user connect from here.',
      );
    case '42501':
      return make(
        `The PostgreSQL user "${at.user}" lacks a privilege in database "${at.database}" (schema "${at.schema}"): ${text}.`,
        `Grant it (GRANT CREATE ON DATABASE "${at.database}" TO "${at.user}" to let snagsync create its schema, or create the schema "${at.schema}" and GRANT USAGE, CREATE ON SCHEMA "${at.schema}" TO "${at.user}"), or use another schema with ?schema=NAME.`,
      );
    case '53100':
      return make(
        `The disk of ${server} is full.`,
        `Free some space on the database server, then run the sync again. ${RESUME}`,
      );
    case '53300':
      return make(
        `${server[0]!.toUpperCase()}${server.slice(1)} has no free connection slot.`,
        `Close idle connections or raise max_connections, then run the sync again. ${RESUME}`,
      );
    case '25006':
      return make(
        `${server[0]!.toUpperCase()}${server.slice(1)} accepts only reads (a standby, or a read-only user).`,
        'Point the destination at the primary server, or at a user that may write.',
      );
  }
  if ((code && LOST.has(code)) || /Connection terminated/i.test(text)) {
    return make(
      `The connection to ${server} was lost: ${text}.`,
      `Check that the server is running, then run the sync again. ${RESUME}`,
    );
  }
  return make(
    `Writing the destination ${at.location} failed: ${text}`,
    `Run the sync again once the cause is fixed. ${RESUME}`,
  );
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
