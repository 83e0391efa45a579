import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Simulator } from '../../src/sim/index.js';
import { startRun } from '../../src/engine/index.js';
import { budgetPath, readSharedBudget, writeSharedBudget } from '../../src/engine/budget-share.js';
import { makeHome, startSim, type Home } from './helpers.js';

/**
 * Processes of one home share what they learned of a token's rate-limit budget (issue 21, item 9): a run starts from
 * the budget the last process left — a spent window is waited out instead of met with a 429 — and leaves its own.
 * Another process is stood in for by the file it would leave; the run here has a limiter of its own (a fresh token).
 */
const WINDOW_MS = 1500;
let sim: Simulator;
let h: Home;

beforeAll(async () => {
  sim = await startSim({ orgs: 1, projects: 1, errors: 5, events: 20, releases: 1 });
  h = await makeHome(sim);
});

afterAll(async () => {
  await h.cleanup();
  await sim.close();
});

describe("a token's budget shared through the home", () => {
  it('a window another process spent is waited out before the first request, and the run leaves what it learned', async () => {
    const token = sim.tokens.find((t) => t.role === 'admin')!.token;
    const path = budgetPath(h.home, token, sim.url);
    const spentAt = Date.now();
    writeSharedBudget(path, { limit: 30, remaining: 0, windowStart: spentAt });
    const { name } = await h.source({ name: 'shared', streams: ['errors'] });
    sim.resetStats();
    const handle = await startRun(h.runtime, name, { client: { rateWindowMs: WINDOW_MS } });
    const waits: number[] = [];
    handle.events.subscribe((e) => {
      if (e.type === 'rate-limit-wait') waits.push(e.ms);
    });
    const run = await handle.done;
    // Subscribed after the start: the waits already emitted are in the history.
    for (const e of handle.events.history())
      if (e.type === 'rate-limit-wait' && !waits.includes(e.ms)) waits.push(e.ms);
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    // The first request waited for the window the file said was spent (less the time the run took to start).
    expect(waits.length).toBeGreaterThan(0);
    expect(Math.max(...waits)).toBeGreaterThan(WINDOW_MS / 3);
    expect(Date.parse(run.finished_at) - spentAt).toBeGreaterThanOrEqual(WINDOW_MS);
    expect(sim.stats().byStatus?.['429'] ?? 0).toBe(0);
    // What it learned (the simulator's limit, its spend) is there for the next process, and the token is not.
    const left = readSharedBudget(path)!;
    expect(left.limit).toBe(sim.info().options.rateLimit);
    expect(left.windowStart).toBeGreaterThan(spentAt);
    const files = readdirSync(join(h.home, 'budgets'));
    expect(files).toHaveLength(1);
    expect(readFileSync(path, 'utf8')).not.toContain(token);
    expect(files[0]).not.toContain(token.slice(0, 8));
  });

  it('a file that is not a budget is ignored, and the run goes on as before', async () => {
    const token = sim.tokens.find((t) => t.role === 'admin')!.token;
    const path = budgetPath(h.home, token, sim.url);
    writeSharedBudget(path, { limit: -3 } as never);
    expect(readSharedBudget(path)).toBeNull();
    const { name } = await h.source({ name: 'garbled', streams: ['errors'] });
    const run = await (await startRun(h.runtime, name)).done;
    expect(run.status).toBe('succeeded');
    expect(existsSync(path)).toBe(true);
    expect(readSharedBudget(path)?.limit).toBe(sim.info().options.rateLimit);
  });
});
