import { ensureHome, metadataDbPath, resolveHome } from './home.js';
import type { Store } from './repository.js';
import { openSqliteStore } from './sqlite/store.js';
import { newId } from '../core/ids.js';

export * from './home.js';
export * from './models.js';
export * from './names.js';
export type * from './repository.js';
export { isStaleRun, pidAlive, DEFAULT_STALE_AFTER_MS } from './stale.js';
export { openSqliteStore } from './sqlite/store.js';
export { LATEST_SCHEMA_VERSION } from './sqlite/migrations.js';

export interface OpenStoreOptions {
  /** The snagsync home; default `resolveHome(env)`. */
  home?: string;
  env?: NodeJS.ProcessEnv;
}

/** Opens the metadata store in the snagsync home (`<home>/snagsync.db`), creating the home and the schema on first use. */
export function openStore(options: OpenStoreOptions = {}): Store {
  const home = ensureHome(options.home ?? resolveHome(options.env ?? process.env));
  return openSqliteStore(metadataDbPath(home));
}

/** Credential ids are chosen before the row exists, because the sealed token is bound to the id. */
export function newCredentialId(): string {
  return newId('cred');
}
