import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Simulator } from '../../src/sim/index.js';
import { startRun } from '../../src/engine/index.js';
import { makeHome, startSim, type Home } from './helpers.js';
import { stored } from './truth.js';

/**
 * What a token without every right gets: org-admin-only streams and plan-gated ones are skipped for that partition
 * with a warning in the run history, collaborators fall back to per-project lists (de-duplicated), a project the
 * token cannot see is simply not there — and the run succeeds.
 */
let sim: Simulator;
let h: Home;

beforeAll(async () => {
  sim = await startSim({ orgs: 2, projects: 3, errors: 20, events: 60, releases: 5 });
  h = await makeHome(sim);
});

afterAll(async () => {
  await h.cleanup();
  await sim.close();
});

describe('a member token (not an organization administrator)', () => {
  it('skips teams with a warning, reads collaborators per project, and succeeds', async () => {
    const dest = `sqlite:${join(h.home, 'member.db')}`;
    const source = await h.source({
      role: 'member',
      destination: dest,
      streams: ['projects', 'collaborators', 'teams', 'events'],
    });
    const summary = await (await startRun(h.runtime, source.name)).done;
    expect(summary.status, JSON.stringify(summary.error)).toBe('succeeded');
    const rows = await h.runtime.store.runs.listStreams(summary.run_id);
    const teams = rows.find((r) => r.stream === 'teams')!;
    expect(teams.outcome).toBe('skipped');
    expect(teams.message).toMatch(/Organization Administrator role required/);
    const collaborators = rows.find((r) => r.stream === 'collaborators')!;
    expect(collaborators.outcome).toBe('ok');
    expect(collaborators.message).toMatch(/per project/);
    expect(summary.warnings.map((w) => w.code)).toEqual(
      expect.arrayContaining(['skipped', 'collaborators-per-project']),
    );

    // Per-project lists overlap; each collaborator is stored once, under the organization's id.
    const got = await stored(dest, 'collaborators', (r) => `${r.organization_id as string}|${r.id as string}`);
    expect(got.rows).toBe(got.byKey.size);
    expect(got.rows).toBeGreaterThan(0);
    for (const r of got.byKey.values())
      expect(r.organization_id).toBe(sim.tokens.find((t) => t.role === 'member')!.organizations[0]);

    // The project hidden from the member is not listed, so nothing is read for it.
    const hidden = sim.fixtures.projectHiddenFromMember!;
    expect(rows.some((r) => r.partition === `project:${hidden}`)).toBe(false);
    const projects = await stored(dest, 'projects', (r) => r.id as string);
    expect(projects.byKey.has(hidden)).toBe(false);
  });
});

describe("a token whose organization's plan lacks saved searches", () => {
  it("skips saved_searches for that organization's projects only", async () => {
    const source = await h.source({
      role: 'multi-org',
      destination: `sqlite:${join(h.home, 'multi.db')}`,
      streams: ['saved_searches', 'stability_trend'],
    });
    const summary = await (await startRun(h.runtime, source.name)).done;
    expect(summary.status, JSON.stringify(summary.error)).toBe('succeeded');
    const rows = (await h.runtime.store.runs.listStreams(summary.run_id)).filter((r) => r.stream === 'saved_searches');
    const info = sim.info();
    const lacking = info.organizations
      .find((o) => o.id === sim.fixtures.orgWithoutSavedSearches)!
      .projects.map((p) => `project:${p.id}`);
    for (const r of rows) {
      expect(r.outcome, r.partition).toBe(lacking.includes(r.partition) ? 'skipped' : 'ok');
      if (r.outcome === 'skipped') expect(r.message).toMatch(/performance-comparisons/);
    }
    expect(rows.filter((r) => r.outcome === 'ok').length).toBeGreaterThan(0);
    // Stability: 204 and 404 "no primary release stage" are no data, not failures.
    const stability = (await h.runtime.store.runs.listStreams(summary.run_id)).filter(
      (r) => r.stream === 'stability_trend',
    );
    expect(stability.every((r) => r.outcome === 'ok')).toBe(true);
    const noData = [sim.fixtures.projectWithoutSessions, sim.fixtures.projectWithoutPrimaryStage].map(
      (p) => `project:${p}`,
    );
    // Both no-data projects were read (so the checks above and below are not about an empty list).
    expect(stability.map((r) => r.partition)).toEqual(expect.arrayContaining(noData));
    for (const r of stability) if (noData.includes(r.partition)) expect(r.records_written).toBe(0);
  });
});
