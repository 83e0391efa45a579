import { ensureHome, metadataDbPath, resolveHome } from './home.js';
import type { Store } from './repository.js';
import { openSqliteStore } from './sqlite/store.js';
import { openPostgresStore } from './postgres/store.js';
import { DATABASE_URL_ENV } from './postgres/url.js';
import { newId } from '../core/ids.js';

export * from './home.js';
export * from './models.js';
export * from './names.js';
export type * from './repository.js';
export type * from './writebacks.js';
export type * from './webhooks.js';
export * from './notifications.js';
export * from './users.js';
export type * from './audit.js';
export * from './sinks.js';
export { isStaleRun, pidAlive, DEFAULT_STALE_AFTER_MS } from './stale.js';
export { applyingNow } from './writebacks.js';
export { openSqliteStore } from './sqlite/store.js';
export { LATEST_SCHEMA_VERSION } from './sqlite/migrations.js';
export { openPostgresStore, type PostgresStore } from './postgres/store.js';
export { PG_LATEST_SCHEMA_VERSION } from './postgres/migrations.js';
export { DATABASE_URL_ENV, DEFAULT_STORE_SCHEMA, isPostgresUrl, parseStoreDatabaseUrl } from './postgres/url.js';
export type { ImportSummary, TableSummary } from './postgres/import.js';

export interface OpenStoreOptions {
  /** The snagsync home; default `resolveHome(env)`. */
  home?: string;
  env?: NodeJS.ProcessEnv;
}

/** The PostgreSQL URL the store is configured with (SNAGSYNC_DATABASE_URL, which --database-url sets), if any. */
export function configuredDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const url = env[DATABASE_URL_ENV]?.trim();
  return url ? url : undefined;
}

/**
 * Opens the metadata store: the shared PostgreSQL one when a database URL is configured, else the SQLite file in the
 * snagsync home (`<home>/snagsync.db`). The home is created either way: it holds the master key file unless
 * SNAGSYNC_MASTER_KEY is set. A PostgreSQL store connects and migrates on first use.
 */
export function openStore(options: OpenStoreOptions = {}): Store {
  const env = options.env ?? process.env;
  const home = ensureHome(options.home ?? resolveHome(env));
  const url = configuredDatabaseUrl(env);
  if (url) return openPostgresStore(url);
  return openSqliteStore(metadataDbPath(home));
}

/** Credential ids are chosen before the row exists, because the sealed token is bound to the id. */
export function newCredentialId(): string {
  return newId('cred');
}
