import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { ANCHOR, api, firstProject, start, walk, type Api } from './helpers.js';

/** The errors list's `histogram` option: a `trend` of `[bucket start, events]` per row, checked against the events. */
type Row = Record<string, unknown>;
type Trend = Array<[string, number]>;

let sim: Simulator;
let c: Api;
let project: string;

const BASE = '2026-01-15T00:00:00Z';
const since = (t: string) => `filters[event.since][][type]=eq&filters[event.since][][value]=${t}`;

beforeAll(async () => {
  sim = await start({ seed: 4, anchor: ANCHOR, events: 1500, errors: 20 });
  c = api(sim);
  project = (await firstProject(sim)).id;
});

afterAll(() => sim.close());

describe('errors list: histogram', () => {
  it('two_week: the 14 UTC days before base, adding up to the events of those days', async () => {
    const rows = (
      await walk<Row>(c, `/projects/${project}/errors?histogram=two_week&base=${BASE}&${since('2026-01-01T00:00:00Z')}`)
    ).rows;
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      const trend = r.trend as Trend;
      expect(trend.map(([d]) => d)).toEqual(
        Array.from({ length: 14 }, (_, j) => `2026-01-${String(j + 1).padStart(2, '0')}T00:00:00Z`),
      );
      expect(trend.reduce((n, [, k]) => n + k, 0)).toBe(r.events);
    }
  });

  it("dynamic: the filter window in at most 60 buckets, each holding exactly the error's events of that span", async () => {
    const from = '2026-01-08T00:00:00Z';
    const rows = (
      await c.get<Row[]>(`/projects/${project}/errors?histogram=dynamic&base=${BASE}&${since(from)}&per_page=3`)
    ).body;
    expect(rows.length).toBe(3);
    for (const r of rows) {
      const trend = r.trend as Trend;
      // 7 days: 1-hour buckets would be 168, so 3-hour ones (56).
      expect(trend).toHaveLength(56);
      expect(trend[0]![0]).toBe('2026-01-08T00:00:00Z');
      expect(trend[1]![0]).toBe('2026-01-08T03:00:00Z');
      const events = (
        await walk<Row>(c, `/projects/${project}/errors/${String(r.id)}/events?base=${BASE}&${since(from)}`)
      ).rows;
      const counts = new Map<string, number>();
      for (const ev of events) {
        const t = Date.parse(String(ev.received_at));
        const start = new Date(Math.floor(t / 10_800_000) * 10_800_000).toISOString().replace('.000Z', 'Z');
        counts.set(start, (counts.get(start) ?? 0) + 1);
      }
      expect(trend.filter(([, n]) => n > 0)).toEqual([...counts.entries()].sort());
      expect(events.length).toBe(r.events);
    }
  });

  it('dynamic without event.since covers the last 30 days; unsorted rows carry a trend too', async () => {
    const rows = (await c.get<Row[]>(`/projects/${project}/errors?histogram=dynamic&sort=unsorted`)).body;
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect((r.trend as Trend).length).toBeGreaterThanOrEqual(30);
  });

  it('no trend without histogram; an unknown kind answers 400', async () => {
    const rows = (await c.get<Row[]>(`/projects/${project}/errors`)).body;
    expect(rows.some((r) => 'trend' in r)).toBe(false);
    expect((await c.get(`/projects/${project}/errors?histogram=weekly`)).body).toEqual({
      errors: ['histogram is not included in the list'],
    });
  });
});
