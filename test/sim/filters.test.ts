import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { api, start, walk, type Api } from './helpers.js';

/**
 * Filters as the real API applies them (docs/bugsnag-api.md §12): eq/ne/empty, unknown fields ignored, Rails encoding quirks, ISO
 * and relative times; and the numbers the API derives from them agree with each other (error counts vs events).
 */
type Row = Record<string, unknown>;

let sim: Simulator;
let c: Api;
let project: string;

const f = (field: string, type: string, value: string) =>
  `filters[${field}][][type]=${type}&filters[${field}][][value]=${encodeURIComponent(value)}`;
const count = async (path: string) => {
  const r = await c.get(path);
  expect(r.status, r.text).toBe(200);
  return Number(r.headers.get('x-total-count'));
};

beforeAll(async () => {
  // A browser project, so events carry users, browsers and request URLs; anchored at "today" so relative filters bite.
  sim = await start({ seed: 71, events: 2500, errors: 40 });
  c = api(sim);
  const special = [sim.fixtures.projectWithoutPrimaryStage, sim.fixtures.projectWithoutSessions];
  const projects = (await c.get<Row[]>(`/organizations/${sim.tokens[0]!.organizations[0]}/projects`)).body.filter(
    (p) => !special.includes(String(p.id)),
  );
  project = String((projects.find((p) => p.type === 'js' || p.type === 'react') ?? projects[0]!).id);
});
afterAll(() => sim.close());

describe('comparisons', () => {
  it('eq values are ORed, ne values are ANDed, ne is dropped when eq is present', async () => {
    const base = `/projects/${project}/errors?per_page=100`;
    const open = await count(`${base}&${f('error.status', 'eq', 'open')}`);
    const fixed = await count(`${base}&${f('error.status', 'eq', 'fixed')}`);
    const all = await count(base);
    expect(open).toBeGreaterThan(0);
    expect(await count(`${base}&${f('error.status', 'eq', 'open')}&${f('error.status', 'eq', 'fixed')}`)).toBe(
      open + fixed,
    );
    expect(await count(`${base}&${f('error.status', 'ne', 'open')}&${f('error.status', 'ne', 'fixed')}`)).toBe(
      all - open - fixed,
    );
    expect(await count(`${base}&${f('error.status', 'eq', 'open')}&${f('error.status', 'ne', 'open')}`)).toBe(open);
  });

  it('empty true/false split events with and without a user', async () => {
    const base = `/projects/${project}/events`;
    const all = await count(base);
    const without = await count(`${base}?${f('user.email', 'empty', 'true')}`);
    const withUser = await count(`${base}?${f('user.email', 'empty', 'false')}`);
    expect(without + withUser).toBe(all);
    expect(without).toBeGreaterThan(0);
    const rows = (await c.get<Row[]>(`${base}?full_reports=true&${f('user.email', 'empty', 'true')}`)).body;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => Object.keys(r.user as Row).length === 0)).toBe(true);
  });

  it('user.email matches substrings; event-level filters narrow errors and their counts', async () => {
    const ev = (
      await c.get<Row[]>(`/projects/${project}/events?full_reports=true&${f('user.email', 'empty', 'false')}`)
    ).body[0]!;
    const email = String((ev.user as Row).email);
    // Substring match: the domain part matches every event that has a user.
    const domain = email.slice(email.indexOf('@'));
    expect(await count(`/projects/${project}/events?${f('user.email', 'eq', domain)}`)).toBe(
      await count(`/projects/${project}/events?${f('user.email', 'empty', 'false')}`),
    );
    const events = await walk<Row>(c, `/projects/${project}/events?full_reports=true&${f('user.email', 'eq', email)}`);
    expect(events.rows.length).toBeGreaterThan(0);
    expect(events.rows.every((r) => (r.user as Row).email === email)).toBe(true);
    const errors = (await c.get<Row[]>(`/projects/${project}/errors?per_page=100&${f('user.email', 'eq', email)}`))
      .body;
    const byError = new Map<string, number>();
    for (const r of events.rows) byError.set(String(r.error_id), (byError.get(String(r.error_id)) ?? 0) + 1);
    expect(new Map(errors.map((e) => [String(e.id), Number(e.events)]))).toEqual(byError);
    expect(errors.every((e) => e.users === 1)).toBe(true);
  });

  it('unknown fields are ignored silently, as the real API does', async () => {
    const all = await count(`/projects/${project}/errors`);
    expect(await count(`/projects/${project}/errors?${f('error.severity', 'eq', 'error')}`)).toBe(all);
    expect(await count(`/projects/${project}/errors?${f('totally.made.up', 'eq', 'x')}`)).toBe(all);
    expect(await count(`/projects/${project}/errors?filters[totally.made.up]=x`)).toBe(all);
  });
});

describe('encodings', () => {
  it('all types first, then all values → 400', async () => {
    const q =
      'filters[error.status][][type]=eq&filters[error.status][][type]=eq&filters[error.status][][value]=open&filters[error.status][][value]=fixed';
    expect((await c.get(`/projects/${project}/errors?${q}`)).status).toBe(400);
  });

  it('without [] only the last pair survives (Rails overwrites), with 200', async () => {
    const fixed = await count(`/projects/${project}/errors?${f('error.status', 'eq', 'fixed')}`);
    const q =
      'filters[error.status][type]=eq&filters[error.status][value]=open&filters[error.status][type]=eq&filters[error.status][value]=fixed';
    expect(await count(`/projects/${project}/errors?${q}`)).toBe(fixed);
  });

  it('accepts percent-encoded brackets', async () => {
    const open = await count(`/projects/${project}/errors?${f('error.status', 'eq', 'open')}`);
    expect(
      await count(
        `/projects/${project}/errors?filters%5Berror.status%5D%5B%5D%5Btype%5D=eq&filters%5Berror.status%5D%5B%5D%5Bvalue%5D=open`,
      ),
    ).toBe(open);
  });

  it('refuses bad types, ne on times, unreadable times and bases', async () => {
    for (const q of [
      f('error.status', 'like', 'open'),
      f('event.since', 'ne', '7d'),
      f('event.since', 'eq', 'yesterday'),
      'base=soon',
      'filters[error.status]=open',
    ]) {
      const r = await c.get<{ errors: string[] }>(`/projects/${project}/errors?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.errors.length).toBe(1);
    }
    expect((await c.get(`/projects/${project}/errors?base=soon`)).body).toEqual({
      errors: ['base must be iso8601 format'],
    });
  });
});

describe('time filters', () => {
  it('relative and ISO times agree; since is inclusive, before exclusive', async () => {
    const iso = new Date(Date.now() - 7 * 86_400_000).toISOString();
    const rel = await count(`/projects/${project}/events?${f('event.since', 'eq', '7d')}`);
    expect(rel).toBeGreaterThan(0);
    expect(rel).toBeLessThan(await count(`/projects/${project}/events`));
    expect(await count(`/projects/${project}/events?${f('event.since', 'eq', iso)}`)).toBe(rel);
    const newest = (await c.get<Row[]>(`/projects/${project}/events?per_page=1`)).body[0]!;
    const at = String(newest.received_at);
    expect(
      (await c.get<Row[]>(`/projects/${project}/events?${f('event.since', 'eq', at)}`)).body.map((r) => r.id),
    ).toContain(newest.id);
    expect(
      (await c.get<Row[]>(`/projects/${project}/events?${f('event.before', 'eq', at)}`)).body.map((r) => r.id),
    ).not.toContain(newest.id);
  });

  it('errors report events, users, first_seen and last_seen within the range; *_unfiltered stay absolute', async () => {
    const since = new Date(Date.now() - 10 * 86_400_000).toISOString();
    const before = new Date(Date.now() - 3 * 86_400_000).toISOString();
    const q = `${f('event.since', 'eq', since)}&${f('event.before', 'eq', before)}`;
    const windowed = (await c.get<Row[]>(`/projects/${project}/errors?per_page=100&${q}`)).body;
    const unfiltered = new Map(
      (await c.get<Row[]>(`/projects/${project}/errors?per_page=100`)).body.map((e) => [e.id, e]),
    );
    expect(windowed.length).toBeGreaterThan(0);
    let total = 0;
    for (const e of windowed) {
      expect(Date.parse(String(e.first_seen))).toBeGreaterThanOrEqual(Date.parse(since) - 1000);
      expect(Date.parse(String(e.last_seen))).toBeLessThan(Date.parse(before));
      const u = unfiltered.get(e.id)!;
      expect(e.first_seen_unfiltered).toBe(u.first_seen_unfiltered);
      expect(e.last_seen_unfiltered).toBe(u.last_seen_unfiltered);
      expect(e.unthrottled_occurrence_count).toBe(u.unthrottled_occurrence_count);
      expect(Number(e.events)).toBeLessThanOrEqual(Number(u.events));
      total += Number(e.events);
    }
    // The error counts add up to the events list for the same filter.
    expect(total).toBe(await count(`/projects/${project}/events?${q}`));
    // Trend buckets over the same window add up too.
    const trend = (await c.get<Row[]>(`/projects/${project}/trends?buckets_count=7&${q}`)).body;
    expect(trend.reduce((n, b) => n + Number(b.events_count), 0)).toBe(total);
    expect(String(trend[0]!.from)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it("error.id on the events list gives that error's events", async () => {
    const e = (await c.get<Row[]>(`/projects/${project}/errors?per_page=1`)).body[0]!;
    const viaFilter = await walk<Row>(c, `/projects/${project}/events?${f('error.id', 'eq', String(e.id))}`);
    const viaPath = await walk<Row>(c, `/projects/${project}/errors/${String(e.id)}/events`);
    expect(viaFilter.rows.map((r) => r.id)).toEqual(viaPath.rows.map((r) => r.id));
    expect(viaPath.rows.length).toBe(Number(e.events));
  });
});

describe('trends, pivots and stability', () => {
  it('trends need buckets_count (1–50) or a resolution, and refuse too many points', async () => {
    expect((await c.get(`/projects/${project}/trends`)).status).toBe(400);
    expect((await c.get(`/projects/${project}/trends?buckets_count=0`)).body).toEqual({
      errors: ['Buckets count must be between 1 and 50'],
    });
    expect((await c.get(`/projects/${project}/trend?resolution=1m`)).body).toEqual({
      errors: ['Too many data points requested. Please use a narrower time range or lower resolution.'],
    });
    const twelve = (await c.get<Row[]>(`/projects/${project}/trend?resolution=12h`)).body;
    expect(twelve.every((b) => /T(00|12):00:00Z$/.test(String(b.from)))).toBe(true);
    expect(twelve.reduce((n, b) => n + Number(b.events_count), 0)).toBe(await count(`/projects/${project}/events`));
  });

  it('pivots count every event once per field', async () => {
    const all = await count(`/projects/${project}/events`);
    const pivots = (await c.get<Row[]>(`/projects/${project}/pivots?summary_size=100`)).body;
    const stage = pivots.find((p) => p.event_field_display_id === 'app.release_stage')!;
    const s = stage.summary as { list: Array<{ events: number }>; no_value: number; other: number };
    expect(s.list.reduce((n, v) => n + v.events, 0) + s.no_value + s.other).toBe(all);
    const only = (await c.get<Row[]>(`/projects/${project}/pivots?pivots[]=os.name`)).body;
    expect(only.map((p) => p.event_field_display_id)).toEqual(['os.name']);
  });

  it('stability: 30 daily points; 204 without sessions; 404 without a primary release stage', async () => {
    const ok = (await c.get<Row>(`/projects/${project}/stability_trend`)).body;
    const points = ok.timeline_points as Row[];
    expect(points).toHaveLength(30);
    const today = Math.floor(Date.now() / 86_400_000) * 86_400_000;
    expect(Date.parse(String(points[29]!.bucket_end))).toBe(today);
    expect(ok.release_stage_name).toBe('production');
    const none = await c.get(`/projects/${sim.fixtures.projectWithoutSessions}/stability_trend`);
    expect(none.status).toBe(204);
    expect(none.text).toBe('');
    expect((await c.get(`/projects/${sim.fixtures.projectWithoutPrimaryStage}/stability_trend`)).body).toEqual({
      errors: ['This project does not have a primary release stage'],
    });
  });

  it('release groups need release_stage_name', async () => {
    expect((await c.get(`/projects/${project}/release_groups`)).body).toEqual({
      errors: ["release_stage_name can't be blank"],
    });
  });
});
