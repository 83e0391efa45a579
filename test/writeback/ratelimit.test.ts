import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { startRun } from '../../src/engine/index.js';
import { prepareWriteback } from '../../src/writeback/index.js';
import { makeHome, startSim, type Home } from '../engine/helpers.js';
import { projectsOf, simErrorIds, writeJsonl } from './helpers.js';

const WINDOW_MS = 1000;
const LIMIT = 12;
let sim: Simulator;
let h: Home;

beforeAll(async () => {
  sim = await startSim({ orgs: 1, projects: 1, errors: 30, events: 300, rateLimit: LIMIT, rateWindowMs: WINDOW_MS });
  h = await makeHome(sim);
});
afterAll(async () => {
  await h.cleanup();
  await sim.close();
});

describe("write-back and syncs share the token's rate-limit lane", () => {
  it('a write-back running beside a sync of the same token gets no 429', async () => {
    const cred = await h.credential('admin');
    const project = projectsOf(sim)[0]!;
    const ids = await simErrorIds(sim, project, 20);
    const source = (await h.source({ destination: `sqlite:${join(h.home, 'rl.db')}`, streams: ['errors', 'comments'] }))
      .name;
    sim.resetStats();
    const rows = ids.map((id) => ({ project_id: project, error_id: id, operation: 'comment', message: `lane ${id}` }));
    const client = { rateWindowMs: WINDOW_MS, retry: { baseDelayMs: 20, maxDelayMs: 160 } };
    const run = await startRun(h.runtime, source, { client });
    const wb = prepareWriteback(h.runtime, cred, writeJsonl(h.home, 'rl.jsonl', rows), { client }).then((s) =>
      s.apply(),
    );
    const [summary, report] = await Promise.all([run.done, wb]);
    expect(summary.status).toBe('succeeded');
    expect(report.totals.applied).toBe(20);
    const stats = sim.stats();
    expect(stats.byToken.admin!.requests).toBeGreaterThan(LIMIT * 2);
    expect(stats.rateLimited).toBe(0);
  }, 60_000);
});
