import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Simulator } from '../../src/sim/index.js';
import { startRun, type RunSummary } from '../../src/engine/index.js';
import { INTERVAL_DEFAULTS, notDue, parseStreamIntervals } from '../../src/engine/stream-intervals.js';
import { isSnagError } from '../../src/core/errors.js';
import { DEFAULT_STREAMS } from '../../src/streams/catalog.js';
import { makeHome, startSim, type Home } from './helpers.js';

/**
 * Streams that change slowly (fields, saved searches, release groups, teams…) are read once per their interval, not
 * by every sync: a sync with nothing new costs the incremental lists only — errors and events, two requests per
 * project — plus the organizations and projects the planner needs (issue 21, item 9).
 */
const PROJECTS = 5;
const HOUR = 3_600_000;
let sim: Simulator;
let h: Home;

beforeAll(async () => {
  sim = await startSim({ orgs: 1, projects: PROJECTS, errors: 20, events: 100, releases: 4 });
  h = await makeHome(sim);
});

afterAll(async () => {
  await h.cleanup();
  await sim.close();
});

function endpoints(): Record<string, number> {
  return { ...(sim.stats().byToken.admin?.endpoints ?? {}) };
}

async function sync(source: string, now?: Date): Promise<{ run: RunSummary; endpoints: Record<string, number> }> {
  sim.resetStats();
  const run = await (await startRun(h.runtime, source, now ? { now } : {})).done;
  expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
  return { run, endpoints: endpoints() };
}

const total = (e: Record<string, number>) => Object.values(e).reduce((a, b) => a + b, 0);

describe('stream intervals', () => {
  it('a second sync of the default streams with nothing new costs two requests per project', async () => {
    const { name } = await h.source({ name: 'defaults', destination: `sqlite:${join(h.home, 'defaults.db')}` });
    const first = await sync(name);
    // The first sync reads every stream, the slow ones too.
    for (const endpoint of [
      'GET /projects/{project_id}/event_fields',
      'GET /projects/{project_id}/release_groups',
      'GET /projects/{project_id}/trends',
      'GET /organizations/{organization_id}/teams',
    ])
      expect(first.endpoints[endpoint], endpoint).toBeGreaterThan(0);

    const second = await sync(name);
    expect(second.endpoints).toEqual({
      'GET /user/organizations': 1,
      'GET /organizations/{organization_id}/projects': 1,
      'GET /projects/{project_id}/errors': PROJECTS,
      'GET /projects/{project_id}/events': PROJECTS,
    });
    expect(total(second.endpoints)).toBeLessThanOrEqual(2 * PROJECTS + 2);
    // Each skipped stream says why in the run history, and counts as done, not as failed.
    const rows = await h.runtime.store.runs.listStreams(second.run.run_id);
    const skipped = rows.filter((r) => r.stream in INTERVAL_DEFAULTS);
    expect(new Set(skipped.map((r) => r.stream)).size).toBe(
      Object.keys(INTERVAL_DEFAULTS).filter((s) => DEFAULT_STREAMS.includes(s)).length,
    );
    for (const r of skipped) {
      expect(r.outcome, r.stream).toBe('ok');
      expect(r.requests, r.stream).toBe(0);
      expect(r.message ?? '', r.stream).toMatch(/^Not due: read \d+ s ago, every /);
    }
  });

  it('once its interval has passed a stream is read again; the others wait for theirs', async () => {
    const { name } = await h.source({ name: 'later', destination: `sqlite:${join(h.home, 'later.db')}` });
    const start = new Date();
    await sync(name, start);
    // Two hours on: trends and stability (1 h) and releases (15 min) are due, the daily ones are not.
    const later = await sync(name, new Date(start.getTime() + 2 * HOUR));
    expect(later.endpoints['GET /projects/{project_id}/trends']).toBe(PROJECTS);
    expect(later.endpoints['GET /projects/{project_id}/releases']).toBe(PROJECTS);
    expect(later.endpoints['GET /projects/{project_id}/event_fields']).toBeUndefined();
    expect(later.endpoints['GET /projects/{project_id}/release_groups']).toBeUndefined();
    // A day on, the daily ones too.
    const dayLater = await sync(name, new Date(start.getTime() + 25 * HOUR));
    expect(dayLater.endpoints['GET /projects/{project_id}/event_fields']).toBe(PROJECTS);
    expect(dayLater.endpoints['GET /organizations/{organization_id}/teams']).toBe(1);
  });

  it("a source's own interval wins; 0 reads the stream by every sync", async () => {
    const { name } = await h.source({
      name: 'own',
      destination: `sqlite:${join(h.home, 'own.db')}`,
      stream_intervals: ['trends=0', 'event_fields=30m'],
    });
    const start = new Date();
    await sync(name, start);
    const second = await sync(name, new Date(start.getTime() + 45 * 60_000));
    expect(second.endpoints['GET /projects/{project_id}/trends']).toBe(PROJECTS);
    expect(second.endpoints['GET /projects/{project_id}/event_fields']).toBe(PROJECTS);
    expect(second.endpoints['GET /projects/{project_id}/trace_fields']).toBeUndefined();
  });

  it('--full-refresh reads every stream whatever its interval', async () => {
    const { name } = await h.source({ name: 'full', destination: `sqlite:${join(h.home, 'full.db')}` });
    await sync(name);
    sim.resetStats();
    const run = await (await startRun(h.runtime, name, { fullRefresh: true })).done;
    expect(run.status).toBe('succeeded');
    expect(endpoints()['GET /projects/{project_id}/event_fields']).toBe(PROJECTS);
  });

  it('a half-done pass is resumed, not skipped; an unreadable state is read', () => {
    const now = new Date('2026-01-15T12:00:00Z');
    const recent = '2026-01-15T11:00:00Z';
    expect(notDue(86_400_000, { lastCompletedAt: recent }, now)).toMatch(/^Not due: read 60 min ago, every 24 h\.$/);
    expect(notDue(86_400_000, { lastCompletedAt: recent, pass: { step: 1, startedAt: recent } }, now)).toBeNull();
    expect(notDue(86_400_000, { cursor: recent, lastPassAt: recent }, now)).not.toBeNull();
    expect(notDue(86_400_000, { cursor: recent }, now)).toBeNull();
    expect(notDue(86_400_000, { lastCompletedAt: 'yesterday' }, now)).toBeNull();
    expect(notDue(0, { lastCompletedAt: recent }, now)).toBeNull();
    // A clock moved back (a last pass "in the future") reads rather than waits.
    expect(notDue(86_400_000, { lastCompletedAt: '2026-01-16T00:00:00Z' }, now)).toBeNull();
  });

  it('a bad interval is refused on its field with what to write', async () => {
    const bad = async (v: unknown) => {
      try {
        await h.source({ name: `bad-${Math.random()}`, stream_intervals: v as string[] });
      } catch (err) {
        if (isSnagError(err, 'config')) return `${err.message} ${err.hint ?? ''}`;
        throw err;
      }
      throw new Error('accepted');
    };
    expect(await bad(['errors=1h'])).toMatch(/"errors" has no interval.*Streams with one: .*release_groups/);
    expect(await bad(['trends=soon'])).toMatch(/"soon" \(trends\) is not a duration/);
    expect(await bad(['trends'])).toMatch(/is not STREAM=DURATION/);
    expect(await bad({ teams: '-1d' })).toMatch(/not a duration/);
    expect(parseStreamIntervals({ teams: '6h', trends: '0' })).toEqual({ teams: 6 * HOUR, trends: 0 });
  });
});
