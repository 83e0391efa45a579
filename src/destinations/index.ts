import { openJsonlDestination } from './jsonl/destination.js';
import { openPostgresDestination } from './postgres/destination.js';
import { openSqliteDestination } from './sqlite/destination.js';
import type { Destination } from './types.js';
import { checkDestinationPath, createDataFile, makeDataDir } from './paths.js';
import { parseDestinationUrl } from './url.js';
import { dirname } from 'node:path';

export type * from './types.js';
export { SYSTEM_COLUMNS, compileStream } from './descriptor.js';
export { destinationError } from './errors.js';
export {
  parseDestinationUrl,
  formatDestinationUrl,
  normalizeDestinationUrl,
  defaultDestinationUrl,
  displayDestinationUrl,
  DEFAULT_SQLITE_FILE,
  type DestinationTarget,
} from './url.js';
export {
  PostgresDestination,
  openPostgresDestination,
  type PostgresDestinationOptions,
} from './postgres/destination.js';
export { DEFAULT_PG_SCHEMA, type PostgresTarget } from './postgres/url.js';
export { SqliteDestination, openSqliteDestination, type SqliteDestinationOptions } from './sqlite/destination.js';
export { JsonlDestination, openJsonlDestination, type JsonlDestinationOptions } from './jsonl/destination.js';
export { STATE_TABLE } from './sqlite/schema.js';
export { STATE_FILE } from './jsonl/state.js';
export { checkDestinationPath, dataModes, DATA_MODE_ENV } from './paths.js';

export interface OpenDestinationOptions {
  /** Against which relative paths are resolved (default: the current directory). */
  cwd?: string;
  /** SQLite: how long a write waits for another writer (default 5000 ms). */
  busyTimeoutMs?: number;
  /** JSONL: fsync every page (default true). */
  durable?: boolean;
  /** JSONL: read without the folder lock while a sync may be writing; writes are refused. SQLite: no effect. */
  readOnly?: boolean;
  /** The snagsync home: a destination may not be the home itself or the store's files (see paths.ts). */
  home?: string;
  /** PostgreSQL: connections kept open at most (default 4). */
  poolSize?: number;
}

/**
 * Opens the destination a URL names (`sqlite:PATH`, `jsonl:FOLDER`, `postgres://…?schema=NAME`); a bad URL is
 * SnagError('config'), a database that cannot be reached or used SnagError('destination').
 */
export async function openDestination(url: string, options: OpenDestinationOptions = {}): Promise<Destination> {
  const target = parseDestinationUrl(url, { cwd: options.cwd });
  checkDestinationPath(target, { home: options.home });
  if (target.kind === 'sqlite' && !options.readOnly) {
    makeDataDir(dirname(target.path));
    createDataFile(target.path);
  }
  if (target.kind === 'jsonl' && !options.readOnly) makeDataDir(target.dir);
  switch (target.kind) {
    case 'sqlite':
      return openSqliteDestination(target.path, { busyTimeoutMs: options.busyTimeoutMs });
    case 'jsonl':
      return openJsonlDestination(target.dir, { durable: options.durable, readOnly: options.readOnly });
    case 'postgres':
      return openPostgresDestination(target, { ...(options.poolSize ? { max: options.poolSize } : {}) });
  }
}
