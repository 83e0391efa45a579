import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { queuedExecutor, startWorker, type WorkerHandle } from '../../src/engine/cluster/index.js';
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
});
