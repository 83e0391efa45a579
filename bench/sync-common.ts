// Shared by the sync benchmarks: a simulator in its own process (so its CPU and memory are not the sync's), and a
// snagsync home with a credential and a source for it.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSource, type SourceInput } from '../src/engine/index.js';
import { openRuntime, type Runtime } from '../src/runtime.js';
import type { Simulator } from '../src/sim/index.js';
import { newCredentialId } from '../src/store/index.js';

export const BIN = fileURLToPath(new URL('../bin/snagsync.js', import.meta.url));
export const ANCHOR = '2026-01-15T00:00:00Z';

export interface SimProcess {
  url: string;
  tokens: Array<{ token: string; role: string; organizations: string[] }>;
  child: ChildProcess;
  stats(): Promise<{
    requests: number;
    rateLimited: number;
    endpoints: Record<string, number>;
    byToken: Record<string, { requests: number; rateLimited: number; endpoints: Record<string, number> }>;
  }>;
  resetStats(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A simulator started in this process, seen as a SimProcess (for benches that count requests rather than time
 * them, so sharing the process costs nothing they measure).
 */
export function inProcess(sim: Simulator): SimProcess {
  return {
    url: sim.url,
    tokens: sim.tokens,
    child: undefined as never,
    stats: async () => sim.stats() as never,
    resetStats: async () => sim.resetStats(),
    close: () => sim.close(),
  };
}

/** `snagsync sim --json` in a child process (needs `npm run build`). */
export function startSimProcess(args: Record<string, string | number>): Promise<SimProcess> {
  const argv = [BIN, 'sim', '--json', '--anchor', ANCHOR];
  for (const [k, v] of Object.entries(args)) argv.push(`--${k}`, String(v));
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      const info = JSON.parse(out.slice(0, nl)) as { url: string; tokens: SimProcess['tokens'] };
      child.removeAllListeners('exit');
      resolve({
        url: info.url,
        tokens: info.tokens,
        child,
        stats: async () => (await fetch(`${info.url}/__sim/stats`)).json() as ReturnType<SimProcess['stats']>,
        resetStats: async () => {
          await fetch(`${info.url}/__sim/stats/reset`, { method: 'POST' });
        },
        close: () =>
          new Promise<void>((done) => {
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

export interface BenchHome {
  home: string;
  env: NodeJS.ProcessEnv;
  runtime: Runtime;
  source(input: Omit<SourceInput, 'credential'>): Promise<string>;
  cleanup(): Promise<void>;
}

export async function benchHome(sim: SimProcess, role = 'admin'): Promise<BenchHome> {
  const home = mkdtempSync(join(tmpdir(), 'snagsync-bench-'));
  const env = { ...process.env, SNAGSYNC_HOME: home, SNAGSYNC_MASTER_KEY: randomBytes(32).toString('base64') };
  const runtime = openRuntime({ env, home });
  const t = sim.tokens.find((x) => x.role === role)!;
  const id = newCredentialId();
  await runtime.store.credentials.create({
    id,
    name: 'bench',
    host: sim.url,
    ...(await runtime.vault.seal(id, t.token)),
    verified_status: 'VERIFIED',
    verified_at: new Date(),
    organizations: t.organizations.map((o) => ({ id: o, name: o, slug: null })),
  });
  return {
    home,
    env,
    runtime,
    source: async (input) =>
      (await createSource(runtime, { credential: 'bench', ...input }, { cwd: home })).source.name,
    cleanup: async () => {
      await runtime.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export function verdict(ok: boolean): string {
  return ok ? 'PASS' : 'FAIL';
}
