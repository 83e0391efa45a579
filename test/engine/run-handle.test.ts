import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Simulator } from '../../src/sim/index.js';
import { activeRun, startRun, type RunEvent } from '../../src/engine/index.js';
import { makeHome, startSim, type Home } from './helpers.js';
import { diffKeys, keyOf, simTruth, stored } from './truth.js';

/** What the server builds on: the run handle (events live and replayed, active runs by id) and project concurrency. */
let sim: Simulator;
let h: Home;

beforeAll(async () => {
  sim = await startSim({ orgs: 1, projects: 4, errors: 20, events: 600, releases: 5 });
  h = await makeHome(sim);
});

afterAll(async () => {
  await h.cleanup();
  await sim.close();
});

describe('a run handle', () => {
  it('is found by id while it runs; its events replay from any point and end with run-done', async () => {
    const source = await h.source({ destination: `sqlite:${join(h.home, 'h.db')}`, streams: ['events'] });
    const run = await startRun(h.runtime, source.name, { trigger: 'api' });
    expect(activeRun(run.runId)).toBe(run);
    const live: RunEvent[] = [];
    for await (const e of run.events) live.push(e);
    const summary = await run.done;
    expect(activeRun(run.runId)).toBeUndefined();
    expect(live[0]!.type).toBe('run-start');
    expect(live.at(-1)).toMatchObject({ type: 'run-done', status: 'succeeded', summary: { run_id: run.runId } });
    expect(live.map((e) => e.seq)).toEqual([...live.map((e) => e.seq)].sort((a, b) => a - b));
    // A subscriber that reconnects after seq N gets what followed (page events: the latest per stream and partition).
    const n = live[3]!.seq;
    const replay = run.events.history(n);
    expect(replay.every((e) => e.seq > n)).toBe(true);
    expect(replay.at(-1)!.type).toBe('run-done');
    expect(replay.filter((e) => e.type === 'stream-done')).toHaveLength(4);
    expect(summary.trigger).toBe('api');
    expect((await h.runtime.store.runs.findById(run.runId)).trigger).toBe('api');
  });
});

describe('project concurrency', () => {
  it("reads two projects at once without ever exceeding the token's in-flight cap, same data", async () => {
    const dest = `sqlite:${join(h.home, 'c.db')}`;
    const source = await h.source({ destination: dest, streams: ['events', 'errors'], concurrency: 2 });
    sim.resetStats();
    // Answers take 5 ms, so that two readers really overlap (the simulator answers in-process otherwise).
    sim.setFaults('slow:5ms');
    const s = await (await startRun(h.runtime, source.name, { concurrency: 4 })).done;
    sim.setFaults('');
    expect(s.status).toBe('succeeded');
    const maxConcurrent = sim.stats().byToken.admin!.maxConcurrent;
    expect(maxConcurrent).toBeGreaterThan(1);
    expect(maxConcurrent).toBeLessThanOrEqual(2);
    const truth = await simTruth(sim);
    expect(diffKeys(truth.events, (await stored(dest, 'events', keyOf.events)).byKey)).toEqual({
      missing: [],
      extra: [],
    });
  });
});
