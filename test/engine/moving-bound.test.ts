import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Simulator } from '../../src/sim/index.js';
import { startRun, type RunHandle } from '../../src/engine/index.js';
import { makeHome, startSim, type Home } from './helpers.js';
import { keyOf, stored } from './truth.js';

/**
 * A run that waits for the rate limit before a project's turn reads that project up to when its pass starts, not
 * up to when the run started: an event that arrived during the wait is in this run, not the next (issue 21, item 9).
 */
const WINDOW_MS = 1500;
let sim: Simulator;
let h: Home;

beforeAll(async () => {
  // Two requests a window: organizations and projects spend the first, so each project's events wait their turn.
  sim = await startSim({
    orgs: 1,
    projects: 3,
    errors: 3,
    events: 12,
    releases: 1,
    rateLimit: 2,
    rateWindowMs: WINDOW_MS,
  });
  h = await makeHome(sim);
});

afterAll(async () => {
  await h.cleanup();
  await sim.close();
});

/** At the run's first wait for the rate limit, an event for a project whose pass has not begun yet. */
function addAtFirstWait(run: RunHandle): { added: string[]; project: () => string } {
  const projects = sim.info().organizations[0]!.projects.map((p) => p.id);
  const started = new Set<string>();
  const added: string[] = [];
  let project = '';
  run.events.subscribe((e) => {
    if (e.type === 'stream-start') started.add(e.partition.replace(/^project:/, ''));
    if (e.type !== 'rate-limit-wait' || added.length > 0) return;
    project = projects.find((p) => !started.has(p))!;
    added.push(...sim.addEvents({ projectId: project, count: 1 }).map((ev) => ev.id));
  });
  return { added, project: () => project };
}

describe("a pass's upper bound", () => {
  it('an event added while the run waits for the rate limit is read by the same run', async () => {
    const dest = `sqlite:${join(h.home, 'bound.db')}`;
    const { name } = await h.source({ destination: dest, streams: ['events'] });
    const run = await startRun(h.runtime, name, { client: { rateWindowMs: WINDOW_MS } });
    const { added, project } = addAtFirstWait(run);
    const s = await run.done;
    expect(s.status, JSON.stringify(s.error)).toBe('succeeded');
    expect(added).toHaveLength(1);
    expect(s.totals.rate_limit_wait_ms).toBeGreaterThan(0);
    const events = await stored(dest, 'events', keyOf.events);
    expect(events.byKey.has(`${project()}|${added[0]}`)).toBe(true);
  });

  it('a run given a time keeps it for every pass', async () => {
    const dest = `sqlite:${join(h.home, 'fixed.db')}`;
    const { name } = await h.source({ name: 'fixed', destination: dest, streams: ['events'] });
    const run = await startRun(h.runtime, name, { client: { rateWindowMs: WINDOW_MS }, now: new Date() });
    const { added, project } = addAtFirstWait(run);
    const s = await run.done;
    expect(s.status).toBe('succeeded');
    expect(added).toHaveLength(1);
    const events = await stored(dest, 'events', keyOf.events);
    expect(events.byKey.has(`${project()}|${added[0]}`)).toBe(false);
  });
});
