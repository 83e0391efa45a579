import { SnagError } from '../../core/errors.js';
import { redactUrlPassword, registerSecret } from '../../core/redact.js';

export const DATABASE_URL_ENV = 'SNAGSYNC_DATABASE_URL';
/** The schema the store's tables live in unless the URL says `?schema=…`; apart from a warehouse's stream tables. */
export const DEFAULT_STORE_SCHEMA = 'snagsync';

export interface StoreDatabaseUrl {
  /** The URL given to the driver, without snagsync's own query options. */
  connectionString: string;
  schema: string;
  /** The URL with its password masked: the only form that may appear in messages and logs. */
  display: string;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value.trim());
}

/**
 * Parses `postgres://user:password@host:port/db?schema=NAME`. The password is registered as a secret at once, so
 * that no error or log line can carry it, and `display` masks it.
 */
export function parseStoreDatabaseUrl(raw: string, field = DATABASE_URL_ENV): StoreDatabaseUrl {
  const text = raw.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badUrl(field, 'it is not a URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')
    throw badUrl(field, `its scheme is ${url.protocol.replace(/:$/, '')}, not postgres`);
  if (url.password) {
    registerSecret(url.password);
    try {
      registerSecret(decodeURIComponent(url.password));
    } catch {
      // A stray % is not percent-encoding: the raw form is registered, and the driver's own parsing refuses it.
    }
  }
  const schema = url.searchParams.get('schema') ?? DEFAULT_STORE_SCHEMA;
  if (!IDENTIFIER.test(schema)) {
    throw new SnagError('config', `The schema "${schema}" in ${field} is not a plain PostgreSQL name.`, {
      hint: 'Use lower-case letters, digits and underscores (at most 63), starting with a letter or underscore.',
      details: { field },
    });
  }
  url.searchParams.delete('schema');
  const connectionString = url.toString();
  const shown = new URL(url.toString());
  shown.searchParams.set('schema', schema);
  // The one way passwords in URLs are shown everywhere (store, destinations, logs): user:[REDACTED]@.
  return { connectionString, schema, display: redactUrlPassword(shown.toString()) };
}

function badUrl(field: string, why: string): SnagError {
  return new SnagError(
    'config',
    `${field} must be a PostgreSQL URL (postgres://user@host:5432/database), but ${why}.`,
    {
      hint: 'Give a URL such as postgres://snagsync@127.0.0.1:5432/snagsync (add ?schema=NAME to use another schema than snagsync).',
      details: { field },
    },
  );
}
