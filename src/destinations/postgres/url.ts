import type { SnagError } from '../../core/errors.js';
import { registerSecret } from '../../core/redact.js';

export { redactUrlPassword } from '../../core/redact.js';

/** A PostgreSQL destination: the URL as given (password included, to connect) and the schema its tables live in. */
export interface PostgresTarget {
  kind: 'postgres';
  url: string;
  schema: string;
}

export const DEFAULT_PG_SCHEMA = 'bugsnag';

/** Schema names are used quoted, but kept to plain identifiers so that they read the same in psql without quotes. */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Reads `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE?schema=NAME` (or `postgresql://`). Other query options
 * (sslmode, application_name…) are passed to the driver unchanged. The password, if any, is registered as a secret
 * at once so that no message or log line can carry it.
 */
export function parsePostgresUrl(raw: string, bad: (extra: string) => SnagError): PostgresTarget {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw bad(
      'It is not a valid URL: check the host and port, and %-encode special characters in the user name or password.',
    );
  }
  if (u.password) {
    registerSecret(u.password);
    try {
      registerSecret(decodeURIComponent(u.password));
    } catch {
      // An undecodable password is refused just below by the driver's own parsing; the raw form is registered.
    }
  }
  if (!u.hostname && !u.searchParams.get('host'))
    throw bad('A PostgreSQL destination needs a host, e.g. postgres://postgres@127.0.0.1:5432/bugsnag.');
  const schemas = u.searchParams.getAll('schema');
  if (schemas.length > 1) throw bad('Give the schema once (?schema=NAME).');
  const schema = schemas[0] ?? DEFAULT_PG_SCHEMA;
  if (!SCHEMA_NAME.test(schema)) {
    throw bad(
      `The schema "${schema}" must be letters, digits and _ (not starting with a digit), at most 63 characters.`,
    );
  }
  return { kind: 'postgres', url: raw, schema };
}

/** The URL handed to the driver: the same, without snagsync's own `schema` option. */
export function connectionString(target: PostgresTarget): string {
  const u = new URL(target.url);
  u.searchParams.delete('schema');
  return u.toString();
}
