import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { ANCHOR, api, duplicates, ids, nextLink, start, walk, type Api } from './helpers.js';

/**
 * Walks over every list, in every Link style, return each record exactly once — with and without `base`, and while
 * new events and errors arrive between pages.
 */
type Row = Record<string, unknown>;

let sim: Simulator;
let admin: Api;
let org: string;
let project: string;

beforeAll(async () => {
  sim = await start({ seed: 11, anchor: ANCHOR, events: 1500, errors: 60, releases: 23 });
  admin = api(sim);
  org = sim.tokens[0]!.organizations[0]!;
  project = (await admin.get<Row[]>(`/organizations/${org}/projects?sort=name&direction=asc`)).body[0]!.id as string;
});

afterAll(() => sim.close());

async function all(path: string): Promise<Row[]> {
  const r = await admin.get<Row[]>(path);
  expect(r.status).toBe(200);
  expect(nextLink(r.headers)).toBeNull();
  return r.body;
}

async function total(path: string): Promise<number> {
  const r = await admin.get(path);
  return Number(r.headers.get('x-total-count'));
}

function expectExactlyOnce(rows: Row[], expected: string[]): void {
  const got = ids(rows);
  expect(duplicates(got)).toEqual([]);
  expect([...got].sort()).toEqual([...expected].sort());
}

describe('keyset offset=<id> (organizations, projects, collaborators)', () => {
  it('organizations', async () => {
    const multi = api(sim, sim.tokens.find((t) => t.role === 'multi-org')!.token);
    const w = await walk<Row>(multi, '/user/organizations?per_page=1');
    expect(w.pages).toBe(2);
    expectExactlyOnce(w.rows, sim.tokens.find((t) => t.role === 'multi-org')!.organizations);
    expect(w.urls[1]).toMatch(/\/user\/organizations\?direction=desc&offset=[0-9a-f]{24}&per_page=1&sort=created_at$/);
  });

  it('projects, in every sort order', async () => {
    const every = ids(await all(`/organizations/${org}/projects?per_page=100`));
    for (const q of ['', '&sort=name', '&sort=name&direction=asc', '&sort=favorite&direction=asc', '&direction=asc']) {
      const w = await walk<Row>(admin, `/organizations/${org}/projects?per_page=1${q}`);
      expect(w.pages).toBe(every.length);
      expectExactlyOnce(w.rows, every);
      expect(w.urls.slice(1).every((u) => /[?&]offset=[0-9a-f]{24}(&|$)/.test(u))).toBe(true);
    }
  });

  it('organization and project collaborators', async () => {
    for (const path of [`/organizations/${org}/collaborators`, `/projects/${project}/collaborators`]) {
      const every = ids(await all(`${path}?per_page=100`));
      const w = await walk<Row>(admin, `${path}?per_page=2`);
      expectExactlyOnce(w.rows, every);
      expect(w.rows.length).toBe(await total(path));
      expect(w.pages).toBeGreaterThan(2);
    }
  });

  it("a collaborator's projects", async () => {
    const collaborator = (await all(`/organizations/${org}/collaborators?per_page=100`))[0]!.id as string;
    const path = `/organizations/${org}/collaborators/${collaborator}/projects`;
    const w = await walk<Row>(admin, `${path}?per_page=1`);
    expectExactlyOnce(w.rows, ids(await all(`${path}?per_page=100`)));
  });
});

describe('opaque offset token (teams)', () => {
  it('walks every team once', async () => {
    const every = ids(await all(`/organizations/${org}/teams?per_page=100`));
    const w = await walk<Row>(admin, `/organizations/${org}/teams?per_page=2`);
    expect(w.pages).toBe(Math.ceil(every.length / 2));
    expectExactlyOnce(w.rows, every);
  });
});

describe('errors: base + integer offset', () => {
  const sorts = ['last_seen', 'first_seen', 'users', 'events'];

  it.each(
    sorts.flatMap((s) => [
      [s, 'desc'],
      [s, 'asc'],
    ]),
  )('sort=%s direction=%s', async (sort, direction) => {
    const q = `sort=${sort}&direction=${direction}`;
    const every = ids(await all(`/projects/${project}/errors?per_page=100&${q}`));
    const w = await walk<Row>(admin, `/projects/${project}/errors?per_page=7&${q}`);
    expectExactlyOnce(w.rows, every);
    // Pages follow the sort order.
    const key = (r: Row) => (sort === 'users' || sort === 'events' ? Number(r[sort]) : Date.parse(String(r[sort])));
    const keys = w.rows.map(key);
    const sorted = [...keys].sort((a, b) => (direction === 'asc' ? a - b : b - a));
    expect(keys).toEqual(sorted);
    for (const u of w.urls.slice(1)) {
      const url = new URL(u);
      expect(url.origin).toBe(sim.url);
      expect(url.searchParams.get('base')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(url.searchParams.get('offset')).toMatch(/^\d+$/);
      expect(url.searchParams.get('per_page')).toBe('7');
      expect(url.searchParams.get('sort')).toBe(sort);
    }
  });

  it('keeps the filters in the next links and pages the filtered set', async () => {
    const f = 'filters%5Berror.status%5D%5B%5D%5Btype%5D=eq&filters%5Berror.status%5D%5B%5D%5Bvalue%5D=open';
    const every = ids(await all(`/projects/${project}/errors?per_page=100&${f}`));
    expect(every.length).toBeGreaterThan(5);
    const w = await walk<Row>(admin, `/projects/${project}/errors?per_page=4&${f}`);
    expectExactlyOnce(w.rows, every);
    expect(w.rows.every((r) => r.status === 'open')).toBe(true);
    for (const u of w.urls.slice(1)) expect(u).toContain(f);
  });

  it('does not shift while events and errors arrive between pages (with and without base)', async () => {
    for (const first of [
      `/projects/${project}/errors?per_page=5`,
      `/projects/${project}/errors?per_page=5&base=${encodeURIComponent(new Date().toISOString())}`,
    ]) {
      const before = await admin.get<Row[]>(`${first.replace('per_page=5', 'per_page=100')}`);
      const w = await walk<Row>(admin, first, () => {
        sim.addEvents({ projectId: project, count: 3 });
        sim.addErrors({ projectId: project, count: 1 });
      });
      expectExactlyOnce(w.rows, ids(before.body));
    }
    const after = await all(`/projects/${project}/errors?per_page=100`);
    expect(after.length).toBeGreaterThan(60);
  });
});

describe('errors: sort=unsorted with its own cursor', () => {
  it('walks every error once, with short pages allowed', async () => {
    const every = ids(await all(`/projects/${project}/errors?per_page=100`));
    const w = await walk<Row>(admin, `/projects/${project}/errors?sort=unsorted&per_page=10`);
    expectExactlyOnce(w.rows, every);
    for (const u of w.urls.slice(1)) expect(new URL(u).searchParams.get('offset')).not.toMatch(/^\d+$/);
  });

  it('past the sorted limit, a sorted walk fails with 422 / 60000 and an unsorted walk gets everything', async () => {
    const big = await start({ seed: 5, anchor: ANCHOR, projects: 1, orgs: 1, errors: 1150, events: 20_000 });
    try {
      const c = api(big);
      const p = (await c.get<Row[]>(`/organizations/${big.tokens[0]!.organizations[0]}/projects`)).body[0]!
        .id as string;
      const count = Number((await c.get(`/projects/${p}/errors?per_page=1`)).headers.get('x-total-count'));
      expect(count).toBe(1150);
      await expect(walk(c, `/projects/${p}/errors?per_page=100`)).rejects.toThrow(
        /→ 422 \{"errors":\["Unable to return complete results"\],"code":60000\}/,
      );
      const w = await walk<Row>(c, `/projects/${p}/errors?sort=unsorted&per_page=100`);
      expect(w.rows.length).toBe(1150);
      expect(duplicates(ids(w.rows))).toEqual([]);
      expect(w.pages).toBeGreaterThan(12); // shard boundaries make some pages short
    } finally {
      await big.close();
    }
  });
});

describe('cursors a client makes up', () => {
  it('are refused where the real API refuses them', async () => {
    expect((await admin.get(`/projects/${project}/errors?sort=unsorted&offset=30`)).body).toEqual({
      errors: ['Pagination Offset is invalid'],
    });
    expect((await admin.get(`/projects/${project}/errors?offset=abc`)).status).toBe(400);
    expect((await admin.get(`/projects/${project}/events?offset=5`)).body).toEqual({
      errors: ['Pagination Offset is invalid'],
    });
    expect((await admin.get(`/organizations/${org}/projects?sort=favorite&direction=desc`)).body).toEqual({
      errors: ['favorites cannot be sorted descending'],
    });
    // An offset that is no id of the list is ignored on keyset lists (CORSAIR saw offset=9999 ignored on projects).
    expect((await admin.get<Row[]>(`/organizations/${org}/projects?offset=9999`)).body.length).toBeGreaterThan(0);
    // Past the end (but under the sorted limit): an empty page.
    expect((await admin.get<Row[]>(`/projects/${project}/errors?offset=900`)).body).toEqual([]);
  });
});

describe('events: base + compound offset[count]/offset[timestamp]/offset[total_count]', () => {
  it('walks every event once, newest first, in the recorded link shape', async () => {
    const fresh = await start({ seed: 12, anchor: ANCHOR, events: 700 });
    try {
      const c = api(fresh);
      const p = (await c.get<Row[]>(`/organizations/${fresh.tokens[0]!.organizations[0]}/projects`)).body[0]!
        .id as string;
      const w = await walk<Row>(c, `/projects/${p}/events`);
      expect(w.rows.length).toBe(700);
      expect(duplicates(ids(w.rows))).toEqual([]);
      const times = w.rows.map((r) => Date.parse(String(r.received_at)));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect(w.urls[1]).toMatch(
        new RegExp(
          `^${fresh.url}/projects/${p}/events\\?base=\\d{4}-\\d\\d-\\d\\dT\\d\\d%3A\\d\\d%3A\\d\\dZ&offset%5Bcount%5D=30&offset%5Btimestamp%5D=[^&]+&offset%5Btotal_count%5D=700$`,
        ),
      );
    } finally {
      await fresh.close();
    }
  });

  it.each([['desc'], ['asc']])('direction=%s, full reports, with filters kept in links', async (direction) => {
    const f = 'filters[app.release_stage][][type]=eq&filters[app.release_stage][][value]=production';
    const first = `/projects/${project}/events?direction=${direction}&full_reports=true&per_page=25&${f}`;
    const w = await walk<Row>(admin, first);
    const count = Number((await admin.get(first)).headers.get('x-total-count'));
    expect(w.rows.length).toBe(count);
    expect(duplicates(ids(w.rows))).toEqual([]);
    expect(w.rows.every((r) => (r.app as Row).releaseStage === 'production' && r.is_full_report === true)).toBe(true);
    const times = w.rows.map((r) => Date.parse(String(r.received_at)));
    expect(times).toEqual([...times].sort((a, b) => (direction === 'asc' ? a - b : b - a)));
    for (const u of w.urls.slice(1)) {
      expect(u).toContain(
        'filters%5Bapp.release_stage%5D%5B%5D%5Btype%5D=eq&filters%5Bapp.release_stage%5D%5B%5D%5Bvalue%5D=production',
      );
      expect(u).toContain('full_reports=true');
      expect(u).toContain(`direction=${direction}`);
    }
  });

  it("one error's events", async () => {
    const err = (await admin.get<Row[]>(`/projects/${project}/errors?per_page=1&sort=events`)).body[0]!;
    const w = await walk<Row>(admin, `/projects/${project}/errors/${String(err.id)}/events?per_page=9`);
    expect(w.rows.length).toBe(Number(err.events));
    expect(duplicates(ids(w.rows))).toEqual([]);
    expect(w.rows.every((r) => r.error_id === err.id)).toBe(true);
  });

  it('does not shift while events arrive, with and without base, and later walks see the new events newest first', async () => {
    const p = project;
    const addedEarlier: string[] = [];
    for (const withBase of [false, true]) {
      const first = `/projects/${p}/events?per_page=30${withBase ? `&base=${encodeURIComponent(new Date(Date.now() + 1000).toISOString())}` : ''}`;
      const head = await admin.get<Row[]>(first);
      const expected = Number(head.headers.get('x-total-count'));
      const seenBefore = new Set<string>();
      const added: string[] = [];
      const w = await walk<Row>(
        admin,
        first,
        () => {
          for (const e of sim.addEvents({ projectId: p, count: 4 })) added.push(e.id);
        },
        200,
      );
      expect(w.rows.length).toBe(expected);
      expect(duplicates(ids(w.rows))).toEqual([]);
      for (const r of w.rows) seenBefore.add(String(r.id));
      expect(added.filter((a) => seenBefore.has(a))).toEqual([]);

      // A new walk starts with everything added, newest first; event.since finds them.
      const newest = Math.max(...w.rows.map((r) => Date.parse(String(r.received_at))));
      const since = new Date(newest + 1000).toISOString();
      const incr = await walk<Row>(
        admin,
        `/projects/${p}/events?filters[event.since][][type]=eq&filters[event.since][][value]=${since}`,
      );
      // Everything added during this walk, and nothing else but events added during an earlier walk that this one
      // did not list (under load, added events are stamped up to a second or two ahead of the clock, past a base).
      const found = new Set(ids(incr.rows));
      expect(added.filter((a) => !found.has(a))).toEqual([]);
      expect([...found].filter((f) => !added.includes(f) && (!addedEarlier.includes(f) || seenBefore.has(f)))).toEqual(
        [],
      );
      addedEarlier.push(...added);
      const times = incr.rows.map((r) => Date.parse(String(r.received_at)));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect(Math.min(...times)).toBeGreaterThan(newest);
    }
  });

  it('ends pages on whole seconds: a burst in one second makes one long page (like the recorded 63-row page)', async () => {
    const fresh = await start({ seed: 13, anchor: ANCHOR, events: 100 });
    try {
      const c = api(fresh);
      const p = fresh.info().organizations[0]!.projects[0]!.id;
      const burst = fresh.addEvents({ projectId: p, count: 63 });
      expect(new Set(burst.map((e) => e.received_at)).size).toBe(1);
      const r = await c.get<Row[]>(`/projects/${p}/events`);
      expect(r.body.length).toBe(63);
      const next = new URL(nextLink(r.headers)!);
      expect(next.searchParams.get('offset[count]')).toBe('63');
      expect(Date.parse(next.searchParams.get('offset[timestamp]')!)).toBe(Date.parse(burst[0]!.received_at) - 1000);
      const w = await walk<Row>(c, `/projects/${p}/events`);
      expect(w.rows.length).toBe(163);
      expect(duplicates(ids(w.rows))).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('clamps per_page to 30', async () => {
    // Another project: the walks above added bursts of same-second events to the first one (long pages, by design).
    const other = (await admin.get<Row[]>(`/organizations/${org}/projects?sort=name&direction=asc`)).body[1]!
      .id as string;
    const r = await admin.get<Row[]>(`/projects/${other}/events?per_page=100`);
    expect(r.body.length).toBe(30);
    expect(new URL(nextLink(r.headers)!).searchParams.get('per_page')).toBe('100');
  });
});

describe('releases: numeric offset', () => {
  it('with no parameters the next link is the bare ?offset=5 of the recording', async () => {
    const r = await admin.get<Row[]>(`/projects/${project}/releases`);
    expect(r.body.length).toBe(5);
    expect(r.headers.get('link')).toBe(`<${sim.url}/projects/${project}/releases?offset=5>; rel="next"`);
    const w = await walk<Row>(admin, `/projects/${project}/releases`);
    expect(w.rows.length).toBe(23);
    expect(duplicates(ids(w.rows))).toEqual([]);
  });

  it('keeps every parameter in the link, for each sort', async () => {
    for (const sort of ['timestamp', 'percent_of_sessions']) {
      const first = `/projects/${project}/releases?per_page=3&release_stage=production&sort=${sort}`;
      const w = await walk<Row>(admin, first);
      expect(w.rows.length).toBe(Number((await admin.get(first)).headers.get('x-total-count')));
      expect(duplicates(ids(w.rows))).toEqual([]);
      expect(w.rows.every((r) => (r.release_stage as Row).name === 'production')).toBe(true);
      expect(w.urls[1]).toBe(
        `${sim.url}/projects/${project}/releases?offset=3&per_page=3&release_stage=production&sort=${sort}`,
      );
    }
  });

  it('refuses per_page above 10', async () => {
    expect((await admin.get(`/projects/${project}/releases?per_page=11`)).status).toBe(400);
  });
});

describe('page_token (release groups, releases of a group)', () => {
  it('release groups per stage', async () => {
    const every = ids(await all(`/projects/${project}/release_groups?release_stage_name=production&per_page=100`));
    const w = await walk<Row>(admin, `/projects/${project}/release_groups?release_stage_name=production&per_page=2`);
    expectExactlyOnce(w.rows, every);
    for (const u of w.urls.slice(1))
      expect(u).toMatch(/page_token=[0-9a-f]{24}%7C\d{13}%7C0&per_page=2&release_stage_name=production$/);
  });

  it('releases of a group', async () => {
    const groups = await all(`/projects/${project}/release_groups?release_stage_name=production&per_page=100`);
    const multi = groups.find((g) => Number(g.releases_count) > 1) ?? groups[0]!;
    const w = await walk<Row>(admin, `/release_groups/${String(multi.id)}/releases?per_page=1`);
    expect(w.rows.length).toBe(Number(multi.releases_count));
    expect(duplicates(ids(w.rows))).toEqual([]);
  });
});

describe('comments: keyset', () => {
  it('walks comments once, including ones created meanwhile only on later walks', async () => {
    const err = (await all(`/projects/${project}/errors?per_page=100`)).find((e) => Number(e.comment_count) > 1)!;
    const path = `/projects/${project}/errors/${String(err.id)}/comments`;
    const w = await walk<Row>(admin, `${path}?per_page=1`);
    expect(w.rows.length).toBe(Number(err.comment_count));
    expect(duplicates(ids(w.rows))).toEqual([]);
  });
});
