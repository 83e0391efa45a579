import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { newCredentialId } from '../../src/store/index.js';
import type { Simulator, SimToken } from '../../src/sim/index.js';
import { startSimulator, type SimulatorOptions } from '../../src/sim/index.js';
import { createSource, type SourceInput } from '../../src/engine/sources.js';
import type { Source } from '../../src/store/models.js';

/** A fixed anchor: the same data on every day. */
export const ANCHOR = '2026-01-15T00:00:00Z';

export interface Home {
  home: string;
  env: NodeJS.ProcessEnv;
  runtime: Runtime;
  /** Credential name for each sim token role. */
  credential(role?: SimToken['role']): Promise<string>;
  source(input: Omit<SourceInput, 'credential' | 'name'> & { name?: string; role?: SimToken['role'] }): Promise<Source>;
  cleanup(): Promise<void>;
}

export function startSim(opts: SimulatorOptions = {}): Promise<Simulator> {
  return startSimulator({ anchor: ANCHOR, rateLimit: 1_000_000, ...opts });
}

/** A snagsync home in a temp folder, with the simulator's tokens as credentials (sealed by the real vault). */
export async function makeHome(sim: Simulator): Promise<Home> {
  const home = mkdtempSync(join(tmpdir(), 'snagsync-engine-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SNAGSYNC_HOME: home,
    SNAGSYNC_MASTER_KEY: randomBytes(32).toString('base64'),
    SNAGSYNC_RATE_WINDOW_MS: '',
    SNAGSYNC_RETRY_BASE_MS: '20',
  };
  const runtime = openRuntime({ env, home });
  const made = new Map<string, string>();
  let n = 0;
  const credential = async (role: SimToken['role'] = 'admin') => {
    const hit = made.get(role);
    if (hit) return hit;
    const t = sim.tokens.find((x) => x.role === role)!;
    const id = newCredentialId();
    const sealed = await runtime.vault.seal(id, t.token);
    const info = sim.info();
    await runtime.store.credentials.create({
      id,
      name: `sim-${role}`,
      host: sim.url,
      ...sealed,
      verified_status: 'VERIFIED',
      verified_at: new Date(),
      organizations: t.organizations.map((oid) => ({
        id: oid,
        name: info.organizations.find((o) => o.id === oid)?.name ?? oid,
        slug: null,
      })),
    });
    made.set(role, `sim-${role}`);
    return `sim-${role}`;
  };
  return {
    home,
    env,
    runtime,
    credential,
    source: async ({ role, name, ...input }) => {
      const cred = await credential(role);
      const { source } = await createSource(
        runtime,
        { name: name ?? `src-${++n}`, credential: cred, ...input },
        { cwd: home },
      );
      return source;
    },
    cleanup: async () => {
      await runtime.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
