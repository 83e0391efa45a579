import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createBugsnagClient } from '../../src/bugsnag/index.js';
import type { Simulator } from '../../src/sim/index.js';
import { startRun, type RunSummary } from '../../src/engine/index.js';
import { describeSource } from '../../src/engine/sources.js';
import { makeHome, startSim, type Home } from './helpers.js';
import { keyOf, stored } from './truth.js';

/**
 * Errors change status without their last_seen moving (docs/bugsnag-api.md §17), so incremental errors passes cannot see it:
 * the periodic full pass (daily by default) does. Comments arrive when their error is read: in the incremental
 * window when it gets new events, and at the full pass otherwise — one comments request per changed error only.
 * Releases' session and error counts change long after their release_time: they get a periodic full pass too.
 */
let sim: Simulator;
let h: Home;
let dest: string;
let source: string;
const DAY = 86_400_000;

beforeAll(async () => {
  sim = await startSim({ orgs: 1, projects: 1, errors: 40, events: 400, releases: 12 });
  h = await makeHome(sim);
  dest = `sqlite:${join(h.home, 'inc.db')}`;
  source = (await h.source({ destination: dest, streams: ['errors', 'comments', 'releases'] })).name;
});

afterAll(async () => {
  await h.cleanup();
  await sim.close();
});

async function sync(now?: Date): Promise<RunSummary> {
  const s = await (await startRun(h.runtime, source, now ? { now } : {})).done;
  expect(s.status, JSON.stringify(s.error)).toBe('succeeded');
  return s;
}

function requests(endpoint: string): number {
  return sim.stats().byToken.admin?.endpoints[endpoint] ?? 0;
}

describe('errors and comments', () => {
  it('a status change and a new comment without new events are picked up by the daily full pass, not before', async () => {
    await sync();
    const api = createBugsnagClient({ token: sim.tokens[0]!.token, host: sim.url, logger: false });
    const pid = sim.info().organizations[0]!.projects[0]!.id;
    const errors = await stored(dest, 'errors', keyOf.errors);
    const target = [...errors.byKey.values()].find((e) => e.status === 'open')!;
    await api.errors.update(pid, target.id as string, { operation: 'fix' });
    await api.comments.create(pid, target.id as string, 'fixed in 1.2.3');

    // Incremental (the window has no new events): neither is seen, and no comments are listed.
    sim.resetStats();
    await sync();
    expect(requests('GET /projects/{project_id}/errors')).toBe(1);
    expect(requests('GET /projects/{project_id}/errors/{error_id}/comments')).toBe(0);
    expect((await stored(dest, 'errors', keyOf.errors)).byKey.get(keyOf.errors(target))!.status).toBe('open');

    // A day later the full pass reads every error again: the new status, and the one changed error's comments.
    sim.resetStats();
    const later = await sync(new Date(Date.now() + DAY + 60_000));
    expect((await stored(dest, 'errors', keyOf.errors)).byKey.get(keyOf.errors(target))!.status).toBe('fixed');
    expect(requests('GET /projects/{project_id}/errors/{error_id}/comments')).toBe(1);
    const comments = await stored(dest, 'comments', keyOf.comments);
    expect([...comments.byKey.values()].some((c) => c.error_id === target.id && c.message === 'fixed in 1.2.3')).toBe(
      true,
    );
    expect(later.streams.find((s) => s.stream === 'comments')!.records_written).toBeGreaterThan(0);
  });

  it('an error that gets new events is read in the incremental window, with its new comments', async () => {
    // A source of its own: the one above has travelled a day ahead.
    const dest2 = `sqlite:${join(h.home, 'inc2.db')}`;
    const own = (await h.source({ destination: dest2, streams: ['errors', 'comments'] })).name;
    const first = await (await startRun(h.runtime, own)).done;
    expect(first.status).toBe('succeeded');
    const api = createBugsnagClient({ token: sim.tokens[0]!.token, host: sim.url, logger: false });
    const pid = sim.info().organizations[0]!.projects[0]!.id;
    const errors = await stored(dest2, 'errors', keyOf.errors);
    const target =
      [...errors.byKey.values()].find((e) => (e.comment_count as number) === 0) ?? [...errors.byKey.values()][0]!;
    await api.comments.create(pid, target.id as string, 'looking into it');
    const added = sim.addEvents({ errorId: target.id as string, count: 3 });
    sim.resetStats();
    const second = await (
      await startRun(h.runtime, own, { now: new Date(Date.parse(added.at(-1)!.received_at) + 2000) })
    ).done;
    expect(second.status).toBe('succeeded');
    expect(requests('GET /projects/{project_id}/errors')).toBe(1);
    const comments = await stored(dest2, 'comments', keyOf.comments);
    expect([...comments.byKey.values()].some((c) => c.error_id === target.id && c.message === 'looking into it')).toBe(
      true,
    );
    expect(requests('GET /projects/{project_id}/errors/{error_id}/comments')).toBe(1);
  });
});

describe('releases', () => {
  const releasesRequests = () => requests('GET /projects/{project_id}/releases');
  const projects = () => sim.info().organizations.flatMap((o) => o.projects).length;

  async function syncAt(name: string, now: Date): Promise<number> {
    sim.resetStats();
    const s = await (await startRun(h.runtime, name, { now })).done;
    expect(s.status, JSON.stringify(s.error)).toBe('succeeded');
    return releasesRequests();
  }

  it('an incremental pass stops at the first page older than the cursor; the daily full pass reads every page again', async () => {
    const dest3 = `sqlite:${join(h.home, 'releases.db')}`;
    const own = (await h.source({ destination: dest3, streams: ['releases'] })).name;
    const allPages = Math.ceil(12 / 10) * projects(); // 12 releases a project, 10 a page
    expect(allPages).toBeGreaterThan(projects());
    const t0 = Date.now();
    expect(await syncAt(own, new Date(t0))).toBe(allPages);
    // Within the interval: one page per project, down to cursor − look-back.
    expect(await syncAt(own, new Date(t0 + 3_600_000))).toBe(projects());
    // A day after the last full pass: every page again, so session and error counts are fresh.
    expect(await syncAt(own, new Date(t0 + DAY + 60_000))).toBe(allPages);
    // And the interval counts from that pass.
    expect(await syncAt(own, new Date(t0 + DAY + 3_600_000))).toBe(projects());
    expect((await stored(dest3, 'releases', keyOf.releases)).rows).toBe(12);
  });

  it('take their interval from the source (releases_full_pass_interval), shown among its effective options', async () => {
    const dest4 = `sqlite:${join(h.home, 'releases-1h.db')}`;
    const own = await h.source({ destination: dest4, streams: ['releases'], releases_full_pass_interval: '1h' });
    expect(describeSource(own).effective).toMatchObject({
      releases_full_pass_interval: '1h',
      errors_full_pass_interval: '1d',
    });
    const allPages = Math.ceil(12 / 10) * projects();
    const t0 = Date.now();
    expect(await syncAt(own.name, new Date(t0))).toBe(allPages);
    expect(await syncAt(own.name, new Date(t0 + 30 * 60_000))).toBe(projects());
    expect(await syncAt(own.name, new Date(t0 + 61 * 60_000))).toBe(allPages);
    await expect(
      h.source({ destination: dest4, streams: ['releases'], releases_full_pass_interval: 'soon' }),
    ).rejects.toMatchObject({
      code: 'config',
      details: { field: 'releases_full_pass_interval' },
    });
  });
});
