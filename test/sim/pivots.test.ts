import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { ANCHOR, api, duplicates, nextLink, start, walk, type Api } from './helpers.js';

/**
 * Pivot values (docs/bugsnag-api.md §7) checked against the events they count: every pivotable field's values, counts and
 * first/last seen are recomputed here from the full event reports, a different code path of the simulator.
 */
type Row = Record<string, unknown>;

let sim: Simulator;
let c: Api;
/** One project per platform (server, browser, mobile): between them every pivot field has values. */
let projects: string[];
const eventsOf = new Map<string, Row[]>();
let project: string;
let events: Row[];

/** Where each pivotable field's value sits in a full event report. */
const FROM_EVENT: Record<string, (ev: Row) => unknown> = {
  'event.severity': (ev) => ev.severity,
  'app.release_stage': (ev) => (ev.app as Row).releaseStage,
  'app.context': (ev) => ev.context,
  'version.seen_in': (ev) => (ev.app as Row).version,
  'user.id': (ev) => (ev.user as Row).id,
  'user.email': (ev) => (ev.user as Row).email,
  'os.name': (ev) => (ev.device as Row).osName,
  'browser.name': (ev) => (ev.device as Row).browserName,
  'device.hostname': (ev) => (ev.device as Row).hostname,
  'device.model': (ev) => (ev.device as Row).model,
  'account.plan': (ev) => ((ev.metaData as Row).account as Row).plan,
};

const q = (field: string, type: string, value: string) =>
  `filters[${field}][][type]=${type}&filters[${field}][][value]=${encodeURIComponent(value)}`;

beforeAll(async () => {
  sim = await start({ seed: 11, anchor: ANCHOR, projects: 10, events: 300, errors: 25 });
  c = api(sim);
  const org = sim.tokens[0]!.organizations[0]!;
  const all = (await c.get<Row[]>(`/organizations/${org}/projects`)).body;
  const platforms = [
    ['rails', 'node', 'python', 'go', 'java'],
    ['js', 'react'],
    ['android', 'ios', 'unity'],
  ];
  projects = platforms.map((types) => String(all.find((p) => types.includes(String(p.type)))!.id));
  for (const p of projects) eventsOf.set(p, (await walk<Row>(c, `/projects/${p}/events?full_reports=true`)).rows);
  project = projects[1]!; // the browser one, for the single-project checks
  events = eventsOf.get(project)!;
  expect(events.length).toBe(300);
});

afterAll(() => sim.close());

interface Expected {
  value: string;
  events: number;
  first: number;
  last: number;
}

function expectedValues(field: string, rows: Row[]): { values: Expected[]; none: number } {
  const by = new Map<string, Expected>();
  let none = 0;
  for (const ev of rows) {
    const v = FROM_EVENT[field]!(ev);
    const t = Date.parse(String(ev.received_at));
    if (v === undefined || v === null || v === '') {
      none++;
      continue;
    }
    const s = by.get(String(v)) ?? { value: String(v), events: 0, first: t, last: t };
    s.events++;
    s.first = Math.min(s.first, t);
    s.last = Math.max(s.last, t);
    by.set(s.value, s);
  }
  const values = [...by.values()].sort((a, b) => b.events - a.events || (a.value < b.value ? -1 : 1));
  return { values, none };
}

describe('pivot values', () => {
  it('every field event_fields marks pivotable has a summary row and values (and this test knows where to find it)', async () => {
    const fields = (await c.get<Row[]>(`/projects/${project}/event_fields`)).body;
    const pivotable = fields.filter((f) => (f.pivot_options as Row).values === true).map((f) => String(f.display_id));
    expect(pivotable.sort()).toEqual(Object.keys(FROM_EVENT).sort());
    const summary = (await c.get<Row[]>(`/projects/${project}/pivots`)).body;
    expect(summary.map((p) => p.event_field_display_id).sort()).toEqual(pivotable.sort());
  });

  it.each(Object.keys(FROM_EVENT))(
    '%s: values, counts, first and last seen are those of the events; the summary agrees',
    async (field) => {
      let withValues = 0;
      for (const p of projects) {
        const evs = eventsOf.get(p)!;
        const { values, none } = expectedValues(field, evs);
        if (values.length > 0) withValues++;
        const first = await c.get<Row[]>(`/projects/${p}/pivots/${field}/values?per_page=4`);
        expect(first.status, first.text).toBe(200);
        expect(first.headers.get('x-total-count')).toBe(String(values.length));
        const rows = (await walk<Row>(c, `/projects/${p}/pivots/${field}/values?per_page=4`)).rows;
        expect(rows.map((r) => [r.event_field_value, r.events])).toEqual(values.map((v) => [v.value, v.events]));
        rows.forEach((r, i) => {
          expect(Date.parse(String(r.first_seen)), `${String(r.event_field_value)} first_seen`).toBe(values[i]!.first);
          expect(Date.parse(String(r.last_seen)), `${String(r.event_field_value)} last_seen`).toBe(values[i]!.last);
          expect(String(r.first_seen)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
          expect(r.proportion).toBeCloseTo(values[i]!.events / evs.length, 12);
        });
        const [pivot] = (await c.get<Row[]>(`/projects/${p}/pivots?pivots[]=${field}&summary_size=3`)).body;
        const summary = pivot!.summary as {
          list: Array<{ value: string; events: number }>;
          no_value: number;
          other: number;
        };
        expect(pivot!.cardinality).toBe(values.length);
        expect(summary.no_value).toBe(none);
        expect(summary.list).toEqual(rows.slice(0, 3).map((r) => ({ value: r.event_field_value, events: r.events })));
        expect(summary.other).toBe(values.slice(3).reduce((n, v) => n + v.events, 0));
      }
      expect(withValues, 'projects where the field has values').toBeGreaterThan(0);
    },
  );

  it("user rows carry the user's other fields; other rows none", async () => {
    const users = (await c.get<Row[]>(`/projects/${project}/pivots/user.id/values`)).body;
    const ev = events.find((e) => (e.user as Row).id === users[0]!.event_field_value)!;
    const u = ev.user as Row;
    expect(users[0]!.fields).toEqual([
      { id: 'user.name', name: u.name },
      { id: 'user.email', name: u.email },
    ]);
    const stages = (await c.get<Row[]>(`/projects/${project}/pivots/app.release_stage/values`)).body;
    expect(stages[0]!.fields).toEqual([]);
  });

  it('pages link on with base and a timestamp-like offset, keeping every original parameter', async () => {
    const path = `/projects/${project}/pivots/user.email/values?per_page=3&${q('event.before', 'eq', '2026-01-14T00:00:00Z')}`;
    const r = await c.get<Row[]>(path);
    const next = new URL(nextLink(r.headers)!);
    expect(next.origin).toBe(sim.url);
    expect(next.searchParams.get('offset')).toBe('1970-01-01T00:00:03');
    expect(next.searchParams.get('base')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(next.searchParams.get('per_page')).toBe('3');
    expect(next.searchParams.get('filters[event.before][][value]')).toBe('2026-01-14T00:00:00Z');
    // The docs write the offset with and without a trailing Z; both read the same.
    const withZ = await c.get<Row[]>(
      next.href.replace('offset=1970-01-01T00%3A00%3A03', 'offset=1970-01-01T00%3A00%3A03Z'),
    );
    expect(withZ.body).toEqual((await c.get<Row[]>(next.href)).body);
    expect(withZ.body.length).toBe(3);
  });

  it('sort=unsorted: the same values once each, in another order, with short pages inside the walk', async () => {
    const sorted = (await walk<Row>(c, `/projects/${project}/pivots/user.email/values?per_page=100`)).rows;
    expect(sorted.length).toBeGreaterThan(64);
    const pages: number[] = [];
    const rows: Row[] = [];
    let url: string | null = `/projects/${project}/pivots/user.email/values?sort=unsorted&per_page=50`;
    while (url) {
      const r: Awaited<ReturnType<Api['get']>> = await c.get<Row[]>(url);
      const body = r.body as Row[];
      pages.push(body.length);
      rows.push(...body);
      url = nextLink(r.headers);
    }
    const values = rows.map((r) => String(r.event_field_value));
    expect(duplicates(values)).toEqual([]);
    expect([...values].sort()).toEqual(sorted.map((r) => String(r.event_field_value)).sort());
    expect(values).not.toEqual(sorted.map((r) => String(r.event_field_value)));
    // A page shorter than per_page that is not the last: clients must follow Link, never stop on a short page.
    expect(pages.slice(0, -1).some((n) => n < 50)).toBe(true);
  });

  it('refuses what the API refuses: deep sorted offsets (422 / 60000), bad offsets and sorts, unknown fields', async () => {
    const base = `/projects/${project}/pivots/app.release_stage/values`;
    const deep = await c.get(`${base}?offset=1970-01-01T00:16:40`);
    expect(deep.status).toBe(422);
    expect(deep.body).toEqual({ errors: ['Unable to return complete results'], code: 60000 });
    expect((await c.get(`${base}?offset=1970-01-01T00:16:39`)).body).toEqual([]);
    const unsorted = await c.get(`${base}?sort=unsorted&offset=1970-01-01T00:16:40`);
    expect([unsorted.status, unsorted.body]).toEqual([200, []]);
    expect((await c.get(`${base}?offset=30`)).body).toEqual({ errors: ['Pagination Offset is invalid'] });
    expect((await c.get(`${base}?sort=events`)).body).toEqual({ errors: ['sort is not included in the list'] });
    expect((await c.get(`${base}?base=yesterday`)).status).toBe(400);
    expect((await c.get(`/projects/${project}/pivots/event.since/values`)).body).toEqual({
      errors: ['Event field not found'],
    });
    expect((await c.get(`/projects/000000000000000000000000/pivots/app.release_stage/values`)).body).toEqual({
      errors: ['Project not found'],
    });
    const hidden = sim.fixtures.projectHiddenFromMember!;
    const member = api(sim, sim.tokens.find((t) => t.role === 'member')!.token);
    expect((await member.get(`/projects/${hidden}/pivots/app.release_stage/values`)).status).toBe(404);
    expect((await c.get(`/projects/${hidden}/pivots/app.release_stage/values`)).status).toBe(200);
  });

  it("per error: only that error's events, and 404 for an unknown error", async () => {
    const error = events[0]!.error_id as string;
    const own = events.filter((e) => e.error_id === error);
    const { values, none } = expectedValues('user.email', own);
    const rows = (await walk<Row>(c, `/projects/${project}/errors/${error}/pivots/user.email/values?per_page=2`)).rows;
    expect(rows.map((r) => [r.event_field_value, r.events])).toEqual(values.map((v) => [v.value, v.events]));
    if (rows[0]) expect(rows[0].proportion).toBeCloseTo(values[0]!.events / own.length, 12);
    expect(rows.reduce((n, r) => n + Number(r.events), 0) + none).toBe(own.length);
    expect((await c.get(`/projects/${project}/errors/000000000000000000000000/pivots/user.email/values`)).body).toEqual(
      { errors: ['Error not found'] },
    );
  });

  it('filters narrow the counted events (event-level, error-level and time)', async () => {
    const stage = String(events[0]!.app && (events[0]!.app as Row).releaseStage);
    const narrowed = events.filter(
      (e) =>
        (e.app as Row).releaseStage === stage &&
        e.severity === 'error' &&
        Date.parse(String(e.received_at)) < Date.parse('2026-01-01T00:00:00Z'),
    );
    const filters = `${q('app.release_stage', 'eq', stage)}&${q('event.severity', 'eq', 'error')}&${q('event.before', 'eq', '2026-01-01T00:00:00Z')}`;
    const rows = (await walk<Row>(c, `/projects/${project}/pivots/version.seen_in/values?${filters}`)).rows;
    expect(rows.map((r) => [r.event_field_value, r.events])).toEqual(
      expectedValues('version.seen_in', narrowed).values.map((v) => [v.value, v.events]),
    );
    expect(narrowed.length).toBeGreaterThan(0);
    expect(narrowed.length).toBeLessThan(events.length);
  });

  it('a walk counts at its base while events arrive; a new walk counts them', async () => {
    const path = `/projects/${project}/pivots/app.release_stage/values?per_page=1`;
    const before = (await walk<Row>(c, path)).rows;
    const during = await walk<Row>(c, path, async (page) => {
      if (page === 1) sim.addEvents({ projectId: project, count: 25 });
    });
    expect(during.rows).toEqual(before);
    const after = (await walk<Row>(c, path)).rows;
    const total = (rows: Row[]) => rows.reduce((n, r) => n + Number(r.events), 0);
    // Every event has a release stage, so the new events all show up here.
    expect(total(after)).toBe(total(before) + 25);
  });
});
