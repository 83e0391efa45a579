import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseBugsnagCreate } from '../credentials/bugsnag-type.js';
import { MASTER_KEY_ENV } from '../credentials/keyfile.js';
import { createCredentialService } from '../credentials/service.js';
import { verifyBugsnagToken, type Verification } from '../credentials/verify.js';
import type { RunEvent, RunSummary } from '../engine/events.js';
import { startRun } from '../engine/run.js';
import { createSource } from '../engine/sources.js';
import { openRuntime } from '../runtime.js';
import type { ConnectorConfig } from './config.js';
import { ProtocolDestination, type PartitionStates, type ProtocolSink, type StreamChoice } from './destination.js';
import { makeTempHome, removeAbandonedHomes } from './temp-homes.js';

/**
 * One orchestrator-driven sync, run by the engine as any other: a throwaway snagsync home (removed afterwards) holds
 * the credential — sealed by the vault as usual, never written in the clear — and a source built from the config;
 * the run writes into a ProtocolDestination. Nothing of the home outlives the call: the orchestrator keeps the state.
 */

export interface ProtocolSyncOptions {
  config: ConnectorConfig;
  streams: readonly StreamChoice[];
  state: PartitionStates;
  sink: ProtocolSink;
  /** Every run event, as the engine emits it (in order, synchronously). */
  onEvent(event: RunEvent): void;
  /** Homes of killed runs removed before this one started (temp-homes.ts). */
  onCleaned?(paths: readonly string[]): void;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

const NAME = 'orchestrator';

export async function runProtocolSync(o: ProtocolSyncOptions): Promise<RunSummary> {
  // The temp folder as the orchestrator's environment names it (the process's own otherwise).
  const root = o.env.TMPDIR || tmpdir();
  const cleaned = removeAbandonedHomes(root);
  if (cleaned.length) o.onCleaned?.(cleaned);
  const home = makeTempHome(root);
  // The throwaway home's master key lives in this process only: a home left behind by a kill -9 holds a sealed token
  // that nothing can open. (The user's own key and home are neither needed nor touched.)
  const env: NodeJS.ProcessEnv = {
    ...o.env,
    SNAGSYNC_HOME: home,
    [MASTER_KEY_ENV]: randomBytes(32).toString('base64'),
  };
  const runtime = openRuntime({ home, env });
  try {
    const credentials = createCredentialService({
      store: runtime.store,
      vault: runtime.vault,
      home,
      env,
      logger: undefined,
    });
    await credentials.createCredential({ name: NAME, token: o.config.token, host: o.config.host }, { verify: false });
    await createSource(runtime, {
      ...o.config.options,
      name: NAME,
      credential: NAME,
      streams: o.streams.map((s) => s.name),
    });
    const destination = new ProtocolDestination(o.streams, o.state, o.sink);
    const handle = await startRun(runtime, NAME, { destination, ...(o.signal ? { signal: o.signal } : {}) });
    // Events emitted before this line are in the history; later ones arrive live, in order, as they are emitted.
    for (const e of handle.events.history()) o.onEvent(e);
    const last = handle.events.history().at(-1)?.seq ?? 0;
    handle.events.subscribe((e) => {
      if (e.seq > last) o.onEvent(e);
    });
    return await handle.done;
  } finally {
    await runtime.close().catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  }
}

/** The connection check: the credential type's own verification, as `credentials add` makes it. */
export async function checkConnection(config: ConnectorConfig, signal?: AbortSignal): Promise<Verification> {
  // The same input checks (token cleaned, host resolved) and the same verification as a credential being added.
  const { input } = parseBugsnagCreate({ name: NAME, token: config.token, host: config.host });
  return verifyBugsnagToken(input.token, input.host.baseUrl, {}, { logger: false, ...(signal ? { signal } : {}) });
}
