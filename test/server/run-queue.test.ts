import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  enqueueRun,
  followRun,
  queuedExecutor,
  startWorker,
  type WorkerHandle,
} from '../../src/engine/cluster/index.js';
import { memoryQueue, type JobQueue } from '../../src/queue/index.js';
import type { Simulator } from '../../src/sim/index.js';
import { login } from './helpers.js';
import { parseSse, sourcesServer, startSim, type SourcesServer } from './sources-helpers.js';

/**
 * A server of a cluster (`snagsync serve` with a PostgreSQL store) does not run syncs: Run now enqueues for the
 * workers, and the run's API, SSE feed and page follow it as it executes there. The queue here is the in-process
 * one (the same port as pg-boss's; test/queue/cluster.test.ts runs the real one across processes).
 */

let sim: Simulator;
let s: SourcesServer;
let queue: JobQueue;
let worker: WorkerHandle | null;

beforeAll(async () => {
  sim = await startSim();
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  queue = memoryQueue();
  worker = null;
  s = await sourcesServer({ executor: queuedExecutor(queue, { pollMs: 30 }) });
});
afterEach(async () => {
  await worker?.stop();
  await s.cleanup();
  await queue.close();
});

describe('Run now with workers', () => {
  it('enqueues: nothing runs until a worker takes it, then the API, the SSE feed and the page follow the run', async () => {
    const credentialId = await s.credential(sim);
    const source = await s.source({
      name: 'queued',
      data_credentials_id: credentialId,
      source_config: { streams: ['errors', 'events'] },
    });
    sim.resetStats();
    const res = await s.api('POST', `/api/data_sources/${source.id}/runs`);
    expect(res.statusCode, res.body).toBe(202);
    const runId = res.json().run_id as string;
    const tracked = s.app.snag.runs.get(runId);
    expect(tracked).toBeDefined();
    // Queued, not executed by the server: no request reached Bugsnag yet.
    expect((await s.api('GET', `/api/runs/${runId}`)).json().status).toBe('running');
    expect(sim.stats().requests).toBe(0);

    worker = startWorker(s.runtime, queue, { concurrency: 2, pollMs: 20 });
    const summary = await tracked!.handle.done;
    expect(summary.status, JSON.stringify(summary.error)).toBe('succeeded');
    expect(sim.stats().requests).toBeGreaterThan(0);

    const view = (await s.api('GET', `/api/runs/${runId}`)).json();
    expect(view.status).toBe('succeeded');
    expect(view.totals.records_written).toBe(summary.totals.records_written);
    expect(view.totals.records_written).toBeGreaterThan(0);

    const feed = parseSse((await s.api('GET', `/api/runs/${runId}/events`)).body);
    expect(feed.map((m) => m.event)).toContain('run-start');
    expect(feed.at(-1)?.event).toBe('run-done');

    const b = await login(s.app);
    const page = await s.app.inject({ method: 'GET', url: `/runs/${runId}`, headers: { cookie: b.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('succeeded');
  });

  it('cancels a queued run another process enqueued: its units stop on the worker and it ends cancelled', async () => {
    const credentialId = await s.credential(sim);
    const source = await s.source({
      name: 'enqueued-elsewhere',
      data_credentials_id: credentialId,
      source_config: { streams: ['events'] },
    });
    // What `snagsync sync` does on another machine: the run is queued, and this server does not follow it.
    const queued = await enqueueRun(s.runtime, queue, source.id);
    expect(s.app.snag.runs.get(queued.runId)).toBeUndefined();
    const res = await s.api('POST', `/api/runs/${queued.runId}/cancel`);
    expect(res.statusCode, res.body).toBe(202);
    worker = startWorker(s.runtime, queue, { concurrency: 1, pollMs: 20 });
    const summary = await (await followRun(s.runtime, queued.runId, { pollMs: 20, queue })).done;
    expect(summary.status).toBe('cancelled');
    expect((await s.api('GET', `/api/runs/${queued.runId}`)).json().status).toBe('cancelled');
  });

  it('a server that stops leaves its queued runs to the workers, which finish them', async () => {
    const credentialId = await s.credential(sim);
    const source = await s.source({
      name: 'outlives',
      data_credentials_id: credentialId,
      source_config: { streams: ['errors'] },
    });
    const res = await s.api('POST', `/api/data_sources/${source.id}/runs`);
    expect(res.statusCode, res.body).toBe(202);
    const runId = res.json().run_id as string;
    // No worker yet: closing does not wait for the run, nor cancel it.
    await s.app.close();
    expect((await s.runtime.store.runs.findById(runId)).status).toBe('running');
    expect(s.logs.join('')).toContain('run left to the workers');
    worker = startWorker(s.runtime, queue, { concurrency: 1, pollMs: 20 });
    const summary = await (await followRun(s.runtime, runId, { pollMs: 20, queue })).done;
    expect(summary.status, JSON.stringify(summary.error)).toBe('succeeded');
    expect(summary.totals.records_written).toBeGreaterThan(0);
  });
});
