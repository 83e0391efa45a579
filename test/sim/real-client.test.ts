import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { filterFieldNames } from '../../src/sim/query/fields.js';
import { api, nextLink, start, walk, type Api } from './helpers.js';

/**
 * The simulator agrees with a real client (issue 22, item 2). SmartBear's MCP server checks a filter name against
 * `/event_fields` (`display_id` only) and then filters events by the bare `error`: the name must be listed, and the
 * filter must filter. `/event_fields` and the filter engine read one table, so every listed name filters and every
 * name that filters is listed; a name that is not a field is ignored as the real API ignores it (200, unfiltered:
 * docs/bugsnag-api.md §12), and named in the simulator's stats. Plus `sort` validated alike on every list,
 * `X-Total-Count` on release groups and the unrouted paths in `/__sim/stats`.
 */
type Row = Record<string, unknown>;

let sim: Simulator;
let c: Api;
let project: string;
let projectEvents: number;

const f = (field: string, type: string, value: string) =>
  `filters[${encodeURIComponent(field)}][][type]=${type}&filters[${encodeURIComponent(field)}][][value]=${encodeURIComponent(value)}`;
const total = async (path: string): Promise<number> => {
  const r = await c.get(path);
  expect(r.status, `${path}: ${r.text}`).toBe(200);
  const n = r.headers.get('x-total-count');
  expect(n, `${path} has no X-Total-Count`).not.toBeNull();
  return Number(n);
};
const simStats = async (): Promise<Row> => {
  const r = await fetch(`${sim.url}/__sim/stats`);
  expect(r.status).toBe(200);
  return (await r.json()) as Row;
};

beforeAll(async () => {
  sim = await start({ seed: 22, events: 2000, errors: 40, anchor: '2026-01-15T00:00:00Z' });
  c = api(sim);
  const special = [sim.fixtures.projectWithoutPrimaryStage, sim.fixtures.projectWithoutSessions];
  const projects = (await c.get<Row[]>(`/organizations/${sim.tokens[0]!.organizations[0]}/projects`)).body.filter(
    (p) => !special.includes(String(p.id)),
  );
  project = String(projects[0]!.id);
  projectEvents = await total(`/projects/${project}/events`);
  expect(projectEvents).toBeGreaterThan(100);
});
afterAll(() => sim.close());

describe('filtering events by error, as SmartBear’s client does', () => {
  it('`error` is listed by /event_fields, and filters events to exactly the events of that error', async () => {
    const listed = (await c.get<Row[]>(`/projects/${project}/event_fields`)).body.map((r) => String(r.display_id));
    expect(listed).toContain('error');
    expect(listed).toContain('error.id');

    // The error with the fewest events (but some): the simulator's own count of them is its errors row.
    const errors = (await walk<Row>(c, `/projects/${project}/errors?per_page=100`)).rows;
    const small = errors.filter((e) => Number(e.events) > 0).sort((a, b) => Number(a.events) - Number(b.events))[0]!;
    const id = String(small.id);
    const truth = await walk<Row>(c, `/projects/${project}/errors/${id}/events?per_page=30`);
    expect(truth.rows.length).toBe(Number(small.events));

    const byAlias = await walk<Row>(c, `/projects/${project}/events?per_page=30&${f('error', 'eq', id)}`);
    expect(byAlias.rows.map((r) => r.id)).toEqual(truth.rows.map((r) => r.id));
    expect(byAlias.rows.every((r) => r.error_id === id)).toBe(true);
    expect(await total(`/projects/${project}/events?${f('error', 'eq', id)}`)).toBe(truth.rows.length);
    expect(truth.rows.length).toBeLessThan(projectEvents);
    // The alias and the canonical name are one filter: eq values given under both are ORed like eq values of one.
    const other = String(errors.find((e) => e.id !== id && Number(e.events) > 0)!.id);
    const both = await total(`/projects/${project}/events?${f('error', 'eq', id)}&${f('error.id', 'eq', other)}`);
    expect(both).toBe(truth.rows.length + (await total(`/projects/${project}/events?${f('error.id', 'eq', other)}`)));
  });
});

describe('/event_fields and the filter engine are one table', () => {
  let listed: Row[];
  beforeAll(async () => {
    const r = await c.get<Row[]>(`/projects/${project}/event_fields`);
    expect(r.status).toBe(200);
    listed = r.body;
  });

  it('lists exactly the names the engine accepts, search and the built-in fields the engine handles included', () => {
    const names = listed.map((r) => String(r.display_id));
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual([...filterFieldNames()].sort());
    for (const n of ['search', 'error.has_issue', 'event.file', 'device.jailbroken', 'app.in_foreground'])
      expect(names).toContain(n);
    // Aliases name each other, so a client reading `aliases` finds the same field under every name.
    const error = listed.find((r) => r.display_id === 'error')!;
    expect((error.filter_options as Row).aliases).toEqual(['error.id']);
    expect((listed.find((r) => r.display_id === 'error.id')!.filter_options as Row).aliases).toEqual(['error']);
  });

  it('every listed name filters (an impossible value leaves no event), and is not reported as ignored', async () => {
    await fetch(`${sim.url}/__sim/stats/reset`, { method: 'POST' });
    const base = `/projects/${project}/events`;
    for (const row of listed) {
      const name = String(row.display_id);
      const types = (row.filter_options as Row).match_types as string[];
      if (name === 'event.since') {
        expect(await total(`${base}?${f(name, 'eq', '2100-01-01T00:00:00Z')}`), name).toBe(0);
      } else if (name === 'event.before') {
        expect(await total(`${base}?${f(name, 'eq', '2000-01-01T00:00:00Z')}`), name).toBe(0);
      } else if (['error.has_issue', 'device.jailbroken', 'app.in_foreground'].includes(name)) {
        // Booleans: true and false split the events with a value (an ignored name would count them all twice).
        const yes = await total(`${base}?${f(name, 'eq', 'true')}`);
        const no = await total(`${base}?${f(name, 'eq', 'false')}`);
        expect(yes + no, name).toBeLessThanOrEqual(projectEvents);
      } else {
        expect(types).toContain('eq');
        expect(await total(`${base}?${f(name, 'eq', 'zz-no-such-value-zz')}`), name).toBe(0);
      }
    }
    expect((await simStats()).ignoredFilters).toEqual([]);
  });

  it('a name that is not a field is ignored as the real API ignores it, and named in /__sim/stats', async () => {
    await fetch(`${sim.url}/__sim/stats/reset`, { method: 'POST' });
    // [CORSAIR] live: error.severity (the real one is event.severity) and totally.made.up returned every row, 200.
    for (const name of ['error.severity', 'totally.made.up']) {
      expect(await total(`/projects/${project}/events?${f(name, 'eq', 'zz-no-such-value-zz')}`)).toBe(projectEvents);
    }
    const errorsAll = await total(`/projects/${project}/errors`);
    expect(await total(`/projects/${project}/errors?${f('totally.made.up', 'eq', 'x')}`)).toBe(errorsAll);
    expect((await simStats()).ignoredFilters).toEqual([
      'GET /projects/{project_id}/events filters[error.severity]',
      'GET /projects/{project_id}/events filters[totally.made.up]',
      'GET /projects/{project_id}/errors filters[totally.made.up]',
    ]);
  });
});

describe('sort is validated alike on every list', () => {
  it('an undocumented sort answers 400 with one message on events, errors and the other sorted lists', async () => {
    const error = String((await c.get<Row[]>(`/projects/${project}/errors?per_page=1`)).body[0]!.id);
    const org = sim.tokens[0]!.organizations[0]!;
    const lists = [
      `/projects/${project}/events`,
      `/projects/${project}/errors/${error}/events`,
      `/projects/${project}/errors`,
      `/projects/${project}/releases`,
      `/organizations/${org}/projects`,
      `/projects/${project}/errors/${error}/comments`,
      `/projects/${project}/pivots/app.release_stage/values`,
    ];
    for (const path of lists) {
      const r = await c.get(`${path}?sort=foo`);
      expect(r.status, `${path}?sort=foo: ${r.text.slice(0, 200)}`).toBe(400);
      expect(r.body, path).toEqual({ errors: ['sort is not included in the list'] });
    }
    // The documented values still answer.
    for (const path of [
      `/projects/${project}/events?sort=timestamp`,
      `/projects/${project}/errors?sort=first_seen`,
      `/projects/${project}/releases?sort=percent_of_sessions`,
      `/organizations/${org}/projects?sort=name`,
      `/projects/${project}/errors/${error}/comments?sort=created_at`,
      `/projects/${project}/pivots/app.release_stage/values?sort=unsorted`,
    ]) {
      expect((await c.get(path)).status, path).toBe(200);
    }
  });
});

describe('release groups', () => {
  it('every page carries X-Total-Count, the number of rows across all pages', async () => {
    const stages = (await c.get<Row>(`/projects/${project}`)).body.release_stages as string[];
    let checked = 0;
    for (const stage of stages) {
      const first = `/projects/${project}/release_groups?release_stage_name=${encodeURIComponent(stage)}&per_page=2`;
      const counts: Array<string | null> = [];
      let rows = 0;
      let url: string | null = first;
      while (url) {
        const r: Awaited<ReturnType<Api['get']>> = await c.get<Row[]>(url);
        expect(r.status, r.text).toBe(200);
        counts.push(r.headers.get('x-total-count'));
        rows += (r.body as Row[]).length;
        url = nextLink(r.headers);
      }
      expect(
        counts.every((n) => n === String(rows)),
        `${stage}: ${counts.join(',')} vs ${rows} rows`,
      ).toBe(true);
      if (counts.length > 1) checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });
});

describe('/__sim/stats names unrouted requests', () => {
  it('keeps METHOD and path (no query) of the last 50 distinct ones', async () => {
    await fetch(`${sim.url}/__sim/stats/reset`, { method: 'POST' });
    expect((await c.get('/projects/nope/no_such_list?auth_token=secret')).status).toBe(404);
    expect((await c.send('DELETE', '/no/such/path')).status).toBe(404);
    let s = await simStats();
    expect(s.unrouted).toBe(2);
    expect(s.unroutedPaths).toEqual(['GET /projects/nope/no_such_list', 'DELETE /no/such/path']);
    for (let i = 0; i < 60; i++) await c.get(`/missing/${i}`);
    await c.get('/projects/nope/no_such_list');
    s = await simStats();
    const paths = s.unroutedPaths as string[];
    expect(s.unrouted).toBe(63);
    expect(paths).toHaveLength(50);
    expect(paths.at(-1)).toBe('GET /projects/nope/no_such_list');
    expect(paths[0]).toBe('GET /missing/11');
    expect(JSON.stringify(s)).not.toContain('secret');
  });
});
