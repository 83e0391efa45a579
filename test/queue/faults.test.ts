import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueRun, followRun, openRunQueue } from '../../src/engine/cluster/index.js';
import { createSource } from '../../src/engine/sources.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import type { Simulator } from '../../src/sim/index.js';
import { newCredentialId } from '../../src/store/index.js';
import { BIN } from '../helpers/cli.js';
import { requireService } from '../helpers/services.js';
import { startSim } from '../engine/helpers.js';
import { adminQuery, testSchema, type TestSchema } from '../store/pg.js';

/**
 * A worker that loses its database connection (its only way to PostgreSQL, a proxy, is cut) stops taking work, says
 * why and exits with the network exit code; another worker, still connected, goes on and finishes a run.
 */
describe.runIf(requireService('postgres'))('a worker that loses its database', { timeout: 90_000 }, () => {
  let sim: Simulator;
  let store: TestSchema;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let rt: Runtime;
  let proxy: Server;
  const sockets = new Set<Socket>();
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    sim = await startSim({ orgs: 1, projects: 2, errors: 10, events: 200, releases: 2 });
    store = testSchema('snagfault');
    home = mkdtempSync(join(tmpdir(), 'snagsync-fault-'));
    env = {
      SNAGSYNC_HOME: home,
      SNAGSYNC_MASTER_KEY: randomBytes(32).toString('base64'),
      SNAGSYNC_DATABASE_URL: store.url,
      SNAGSYNC_RETRY_BASE_MS: '20',
    };
    rt = openRuntime({ env: { ...process.env, ...env }, home });
    const t = sim.tokens.find((x) => x.role === 'admin')!;
    const id = newCredentialId();
    await rt.store.credentials.create({
      id,
      name: 'sim',
      host: sim.url,
      ...(await rt.vault.seal(id, t.token)),
      verified_status: 'VERIFIED',
      verified_at: new Date(),
      organizations: [],
    });
    await createSource(
      rt,
      { name: 'src', credential: 'sim', destination: `sqlite:${join(home, 'd.db')}`, streams: ['events', 'errors'] },
      { cwd: home },
    );
    proxy = createServer((client) => {
      const server = connect(5432, '127.0.0.1');
      sockets.add(client);
      sockets.add(server);
      client.pipe(server).pipe(client);
      const drop = () => {
        client.destroy();
        server.destroy();
      };
      client.on('error', drop);
      server.on('error', drop);
      client.on('close', drop);
      server.on('close', drop);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  });

  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    proxy.close();
    for (const s of sockets) s.destroy();
    await rt.close();
    await sim.close();
    await store.drop();
    await adminQuery(`DROP SCHEMA IF EXISTS "${store.schema}_queue" CASCADE`);
    rmSync(home, { recursive: true, force: true });
  });

  const worker = (url: string, extra: NodeJS.ProcessEnv = {}) => {
    const child = spawn(process.execPath, [BIN, 'worker', '--json'], {
      env: { ...process.env, NO_COLOR: '1', ...env, SNAGSYNC_DATABASE_URL: url, ...extra },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    let onLine: (() => void) | undefined;
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      onLine?.();
    });
    const started = new Promise<void>((resolve) => {
      onLine = () => {
        if (stderr.includes('"worker-start"')) resolve();
      };
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    return { started, exited, stderr: () => stderr };
  };

  it('a worker given another master key says so and does not start', async () => {
    const w = worker(store.url, { SNAGSYNC_MASTER_KEY: randomBytes(32).toString('base64') });
    expect(await w.exited).toBe(6);
    expect(w.stderr()).toContain("this store's tokens were sealed with another master key");
  });

  it('stops taking work and says why; the other worker goes on', async () => {
    const proxied = new URL(store.url);
    proxied.port = String((proxy.address() as { port: number }).port);
    const cut = worker(proxied.toString());
    const other = worker(store.url);
    await Promise.all([cut.started, other.started]);

    proxy.close();
    for (const s of sockets) s.destroy();

    const code = await cut.exited;
    expect(code, cut.stderr()).toBe(18);
    expect(cut.stderr()).toMatch(/lost its connection to the queue's database .* stopped taking work/);
    expect(cut.stderr()).toMatch(/taken again by the other workers/);

    const queue = await openRunQueue({ ...process.env, ...env });
    try {
      const queued = await enqueueRun(rt, queue, 'src');
      const summary = await (await followRun(rt, queued.runId, { queue, pollMs: 100 })).done;
      expect(summary.status, JSON.stringify(summary.error)).toBe('succeeded');
      expect(summary.totals.records_written).toBeGreaterThan(0);
    } finally {
      await queue.close();
    }
  });
});
