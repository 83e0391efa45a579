import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queuedExecutor, startWorker } from '../../src/engine/cluster/index.js';
import { runDue, startRun } from '../../src/engine/index.js';
import { memoryQueue } from '../../src/queue/index.js';
import { createSource } from '../../src/engine/sources.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import type { Simulator } from '../../src/sim/index.js';
import { newCredentialId } from '../../src/store/index.js';
import { requireService } from '../helpers/services.js';
import { startSim } from '../engine/helpers.js';
import { testSchema, type TestSchema } from '../store/pg.js';

/**
 * Two schedulers sharing one PostgreSQL store (two runtimes: two connections, as two processes have) sweep the same
 * due source at once: exactly one starts its run; the other never calls its starter, even when it would start only
 * after the first run has ended (when "a run is already going" no longer protects the slot).
 */
describe.runIf(requireService('postgres'))('two schedulers on one PostgreSQL store', () => {
  let sim: Simulator;
  let store: TestSchema;
  let home: string;
  const runtimes: Runtime[] = [];

  beforeAll(async () => {
    sim = await startSim({ orgs: 1, projects: 1, errors: 5, events: 20, releases: 2 });
    store = testSchema('snagsched');
    home = mkdtempSync(join(tmpdir(), 'snagsync-sched-'));
    const env = {
      ...process.env,
      SNAGSYNC_HOME: home,
      SNAGSYNC_MASTER_KEY: randomBytes(32).toString('base64'),
      SNAGSYNC_DATABASE_URL: store.url,
    };
    for (let i = 0; i < 2; i++) runtimes.push(openRuntime({ env, home }));
    const rt = runtimes[0]!;
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
      {
        name: 'hourly',
        credential: 'sim',
        destination: `sqlite:${join(home, 'd.db')}`,
        streams: ['errors'],
        schedule: '1h',
      },
      { cwd: home },
    );
  });

  afterAll(async () => {
    for (const rt of runtimes) await rt.close();
    await sim.close();
    await store.drop();
    rmSync(home, { recursive: true, force: true });
  });

  it('a scheduler with the queued starter enqueues the due run, and a worker executes it', async () => {
    const [a] = runtimes as [Runtime];
    const queue = memoryQueue();
    const worker = startWorker(a, queue, { concurrency: 1, pollMs: 20 });
    const source = await a.store.sources.findByNameOrId('hourly');
    await a.store.sources.update(source.id, { next_run_at: new Date(Date.now() - 1000) });
    const [result] = await runDue(a, { executor: queuedExecutor(queue, { pollMs: 50 }) });
    await worker.stop();
    expect(result?.status, JSON.stringify(result?.error)).toBe('succeeded');
    const run = await a.store.runs.findById(result!.run_id!);
    expect(run.trigger).toBe('schedule');
    expect(run.options.queued).toBe(true);
  });

  it("a cluster's scheduler starts every due run before waiting for any: the workers run them side by side", async () => {
    const [a] = runtimes as [Runtime];
    await createSource(
      a,
      {
        name: 'hourly-2',
        credential: 'sim',
        destination: `sqlite:${join(home, 'd2.db')}`,
        streams: ['errors'],
        schedule: '1h',
      },
      { cwd: home },
    );
    const queue = memoryQueue();
    const queued = queuedExecutor(queue, { pollMs: 30 });
    for (const name of ['hourly', 'hourly-2']) {
      const s = await a.store.sources.findByNameOrId(name);
      await a.store.sources.update(s.id, { next_run_at: new Date(Date.now() - 1000) });
    }
    // The worker starts only once both runs were handed over: a scheduler that waited for the first run's end
    // before starting the second would never see it end.
    let started = 0;
    let worker: ReturnType<typeof startWorker> | null = null;
    const results = await runDue(a, {
      executor: {
        ...queued,
        start: async (rt, id, options) => {
          const handle = await queued.start(rt, id, options);
          if (++started === 2) worker = startWorker(a, queue, { concurrency: 2, pollMs: 20 });
          return handle;
        },
      },
    });
    await (worker as ReturnType<typeof startWorker> | null)?.stop();
    expect(started).toBe(2);
    expect(results.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    await a.store.sources.remove((await a.store.sources.findByNameOrId('hourly-2')).id);
  });

  it('start each due slot once', async () => {
    const [a, b] = runtimes as [Runtime, Runtime];
    for (let round = 0; round < 4; round++) {
      const source = await a.store.sources.findByNameOrId('hourly');
      await a.store.sources.update(source.id, { next_run_at: new Date(Date.now() - 1000) });
      const before = (await a.store.runs.list({ sourceId: source.id })).length;
      let firstDone!: () => void;
      const firstEnded = new Promise<void>((r) => (firstDone = r));
      let lateStarts = 0;
      const [ra, rb] = await Promise.all([
        runDue(a).finally(() => firstDone()),
        runDue(b, {
          executor: {
            kind: 'late',
            start: async (rt, id, options) => {
              lateStarts++;
              await firstEnded;
              return startRun(rt, id, options);
            },
          },
        }),
      ]);
      const runs = (await a.store.runs.list({ sourceId: source.id })).length - before;
      expect(runs, `round ${round}`).toBe(1);
      expect(ra.length + rb.length).toBe(1);
      expect(lateStarts + ra.length).toBe(1);
    }
  });
});
