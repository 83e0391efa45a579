import { ensureHome, homeExposureWarnings, resolveHome } from './store/home.js';
import { openStore } from './store/index.js';
import type { Store } from './store/repository.js';
import { createVault, type Vault } from './credentials/vault.js';

/**
 * What every face (CLI command, HTTP server, library user) needs to work with a snagsync home: the folder, the
 * metadata store and the vault over it. Opened once per process (or per test with its own home and env).
 */
export interface Runtime {
  home: string;
  env: NodeJS.ProcessEnv;
  store: Store;
  vault: Vault;
  /** Problems worth telling the person at once (a home or store readable by other users), each with its fix. */
  warnings: string[];
  close(): Promise<void>;
}

export interface RuntimeOptions {
  env?: NodeJS.ProcessEnv;
  /** Overrides SNAGSYNC_HOME. */
  home?: string;
}

export function openRuntime(options: RuntimeOptions = {}): Runtime {
  const env = options.env ?? process.env;
  const home = ensureHome(options.home ?? resolveHome(env));
  const store = openStore({ home, env });
  const vault = createVault({ home, env, store: store.credentials });
  return { home, env, store, vault, warnings: homeExposureWarnings(home), close: () => store.close() };
}
