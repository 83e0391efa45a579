import { join } from 'node:path';
import { SnagError } from '../core/errors.js';
import { expandPath } from '../core/fs.js';
import { parsePostgresUrl, redactUrlPassword, type PostgresTarget } from './postgres/url.js';

export type DestinationTarget = { kind: 'sqlite'; path: string } | { kind: 'jsonl'; dir: string } | PostgresTarget;

export const DEFAULT_SQLITE_FILE = 'bugsnag.db';

const ACCEPTED = [
  'sqlite:PATH      a SQLite file, e.g. sqlite:./bugsnag.db or sqlite:/data/bugsnag.db',
  'jsonl:FOLDER     one JSON-lines file per stream, e.g. jsonl:./bugsnag-data',
  'postgres://USER@HOST:PORT/DATABASE?schema=NAME   a PostgreSQL schema (default schema: bugsnag); postgresql:// also works',
  'Relative paths are taken from the current directory; ~ is your home folder; sqlite:///abs/path also works.',
].join('\n');

/**
 * Reads a destination URL. Relative paths are resolved against `cwd` here, once, so that a source created in one
 * folder and synced by the scheduler from another writes to the same place (store the `formatDestinationUrl` form).
 */
export function parseDestinationUrl(url: string, options: { cwd?: string } = {}): DestinationTarget {
  const cwd = options.cwd ?? process.cwd();
  const raw = typeof url === 'string' ? url.trim() : '';
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(raw);
  if (!m) throw badUrl(raw, /\.(db|sqlite3?)$/i.test(raw) ? `Did you mean sqlite:${raw}?` : undefined);
  const scheme = m[1]!.toLowerCase();
  const rest = m[2]!;
  if (scheme === 'postgres' || scheme === 'postgresql') return parsePostgresUrl(raw, (extra) => badUrl(raw, extra));
  if (scheme !== 'sqlite' && scheme !== 'jsonl') throw badUrl(raw);
  const path = pathPart(rest, raw);
  if (path === '')
    throw badUrl(raw, `The ${scheme}: destination needs a ${scheme === 'sqlite' ? 'file' : 'folder'} path.`);
  if (path.includes('\0')) throw badUrl(raw);
  const abs = expandPath(path, cwd);
  return scheme === 'sqlite' ? { kind: 'sqlite', path: abs } : { kind: 'jsonl', dir: abs };
}

/** `sqlite:///abs` and `sqlite://` forms (URL style, %-encoded), or a plain path after the colon. */
function pathPart(rest: string, raw: string): string {
  if (!rest.startsWith('//')) return rest;
  const afterSlashes = rest.slice(2);
  // An authority (a host) makes no sense for a local file.
  if (
    !afterSlashes.startsWith('/') &&
    afterSlashes !== '' &&
    !afterSlashes.startsWith('.') &&
    !afterSlashes.startsWith('~')
  ) {
    throw badUrl(
      raw,
      'A local destination has no host part: use three slashes for an absolute path (sqlite:///data/bugsnag.db).',
    );
  }
  try {
    return decodeURIComponent(afterSlashes);
  } catch {
    throw badUrl(raw);
  }
}

/** The canonical, absolute form stored with a source. */
export function formatDestinationUrl(target: DestinationTarget): string {
  switch (target.kind) {
    case 'sqlite':
      return `sqlite:${target.path}`;
    case 'jsonl':
      return `jsonl:${target.dir}`;
    case 'postgres':
      return target.url;
  }
}

export function normalizeDestinationUrl(url: string, options: { cwd?: string } = {}): string {
  return formatDestinationUrl(parseDestinationUrl(url, options));
}

/** The destination of a source created without one: a SQLite file in the snagsync home. */
export function defaultDestinationUrl(home: string): string {
  return `sqlite:${join(home, DEFAULT_SQLITE_FILE)}`;
}

function badUrl(raw: string, extra?: string): SnagError {
  // A postgres URL may carry a password: it never appears in the message.
  return new SnagError(
    'config',
    `"${redactUrlPassword(raw)}" is not a destination snagsync understands.${extra ? ` ${extra}` : ''}`,
    {
      hint: `Accepted forms:\n${ACCEPTED}`,
      details: { field: 'destination' },
    },
  );
}

/** The URL as it may be shown (logs, run history, messages): a postgres password replaced by [REDACTED]. */
export function displayDestinationUrl(url: string): string {
  return redactUrlPassword(url);
}
