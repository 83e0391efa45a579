import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueRun } from '../../src/engine/cluster/index.js';
import { startRun } from '../../src/engine/index.js';
import { memoryQueue } from '../../src/queue/index.js';
import { type PollerHandle, startPoller } from '../../src/engine/poller/index.js';
import type { Simulator } from '../../src/sim/index.js';
import type { Source } from '../../src/store/models.js';
import { makeHome, startSim, type Home } from './helpers.js';

/**
 * `snagsync sync SOURCE` of a continuously polled source: the poller stands aside for it through the store (its run
 * record is ended by the sync, which the poller sees before its next look), so the manual sync runs instead of being
 * refused as "being synced", and the poller goes on afterwards in a new run. The same path serves a poller in another
 * process or on another machine sharing the store: nothing here is in-process.
 */
const WINDOW_MS = 500;
const client = { rateWindowMs: WINDOW_MS, retry: { baseDelayMs: 10, retries: 6, rateLimitRetries: 8 } };
let sim: Simulator;
let h: Home;
let source: Source;
let dbPath: string;
let poller: PollerHandle;

async function until<T>(what: string, check: () => T | undefined | false, windows = 40): Promise<T> {
  const deadline = Date.now() + windows * WINDOW_MS;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  sim = await startSim({
    orgs: 1,
    projects: 2,
    errors: 5,
    events: 30,
    releases: 1,
    rateLimit: 30,
    rateWindowMs: WINDOW_MS,
  });
  h = await makeHome(sim);
  dbPath = join(h.home, 'manual.db');
  source = await h.source({ destination: `sqlite:${dbPath}`, streams: ['events', 'errors'], schedule: 'continuous' });
  const first = await (await startRun(h.runtime, source.name, { client })).done;
  expect(first.status, JSON.stringify(first.error)).toBe('succeeded');
  poller = startPoller(h.runtime, source.id, { client, maxIntervalMs: 5 * WINDOW_MS });
}, 60_000);

afterAll(async () => {
  poller?.stop();
  await poller?.done;
  await h?.cleanup();
  await sim?.close();
});

describe('a manual sync of a continuously polled source', () => {
  it('runs (the poller stands aside), then the poller goes on in a new run', async () => {
    const polling = () => {
      const st = poller.status();
      return st.state === 'polling' && st.looks > 0 ? st.run_id : undefined;
    };
    const first = await until('the poller looking', polling);

    const summary = await (await startRun(h.runtime, source.name, { client, trigger: 'cli' })).done;
    expect(summary.status, JSON.stringify(summary.error)).toBe('succeeded');
    const ended = await h.runtime.store.runs.get(first!);
    expect(ended?.status).toBe('succeeded');
    expect(Date.parse(ended!.finished_at!)).toBeLessThanOrEqual(Date.parse(summary.finished_at));

    const second = await until('the poller back in a new run', () => {
      const id = polling();
      return id && id !== first ? id : undefined;
    });
    // The poller waited for the manual run: its new run started after the manual one ended, and nothing failed.
    const runs = await h.runtime.store.runs.list({ sourceId: source.id });
    const manual = runs.find((r) => r.id === summary.run_id)!;
    const next = runs.find((r) => r.id === second)!;
    expect(Date.parse(next.started_at)).toBeGreaterThanOrEqual(Date.parse(manual.finished_at!));
    expect(runs.filter((r) => r.status === 'failed')).toEqual([]);
    expect(poller.status().last_error).toBeNull();
  }, 60_000);

  it('a sync enqueued for the workers (PostgreSQL cluster) gets the source too, and the poller waits for it', async () => {
    const polling = () => {
      const st = poller.status();
      return st.state === 'polling' && st.looks > 0 ? st.run_id : undefined;
    };
    const first = await until('the poller looking', polling);
    const queue = memoryQueue();
    try {
      const queued = await enqueueRun(h.runtime, queue, source.name, { trigger: 'cli' });
      expect((await h.runtime.store.runs.get(first!))?.status).toBe('succeeded');
      expect((await h.runtime.store.runs.get(queued.runId))?.status).toBe('running');
      // No worker takes it here: the poller stands aside for as long as the run lives, then polls on.
      await until('the poller standing aside', () => poller.status().state === 'standing-aside');
      await h.runtime.store.runs.finish(queued.runId, { status: 'cancelled', error: null });
      await until('the poller back', () => {
        const id = polling();
        return id && id !== first ? id : undefined;
      });
    } finally {
      await queue.close();
    }
  }, 60_000);
});
