import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator, SimVolume } from '../../src/sim/index.js';
import { Timeline } from '../../src/sim/data/timeline.js';
import { volumeModel, type Platform } from '../../src/sim/data/volume.js';
import { api, ANCHOR, start, walk, type Api } from './helpers.js';

/**
 * Daily event volume: it varies like real traffic (weekly rhythm, noise, incident spikes), and every answer of the
 * simulator (events list, trends, histograms) counts per day exactly what the per-day table says.
 */
type Row = Record<string, unknown>;

const EVENTS = 2000;
let sim: Simulator;
let client: Api;
let volumes: SimVolume[];

beforeAll(async () => {
  // Seed 1 gives six projects of every platform, some with an incident and some without (asserted below).
  sim = await start({ seed: 1, anchor: ANCHOR, events: EVENTS });
  client = api(sim, sim.tokens[2]!.token); // multi-org: reaches every project
  volumes = sim.info().organizations.flatMap((o) => o.projects.map((p) => sim.volume(p.id)));
});

afterAll(async () => {
  await sim.close();
});

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const weekend = (day: string) => [0, 6].includes(new Date(`${day}T00:00:00Z`).getUTCDay());
const counts = (v: SimVolume) => v.days.map((d) => d.events);

describe('daily volume', () => {
  it('varies from day to day in every project and still adds up to --events', () => {
    expect(volumes).toHaveLength(6);
    for (const v of volumes) {
      expect(v.days).toHaveLength(30);
      expect(v.days[29]!.day).toBe('2026-01-14');
      expect(counts(v).reduce((a, b) => a + b, 0)).toBe(EVENTS);
      expect(new Set(counts(v)).size).toBeGreaterThan(10);
      expect(Math.max(...counts(v))).toBeGreaterThan(1.4 * Math.min(...counts(v)));
    }
  });

  it('servers are busier on weekdays, mobile apps at weekends', () => {
    const ratio = (v: SimVolume) =>
      median(v.days.filter((d) => !weekend(d.day)).map((d) => d.events)) /
      median(v.days.filter((d) => weekend(d.day)).map((d) => d.events));
    const servers = volumes.filter((v) => v.platform === 'server');
    const mobile = volumes.filter((v) => v.platform === 'mobile');
    expect(servers.length).toBeGreaterThan(0);
    expect(mobile.length).toBeGreaterThan(0);
    for (const v of servers) expect(ratio(v)).toBeGreaterThan(1.6);
    for (const v of mobile) expect(ratio(v)).toBeLessThan(0.95);
  });

  it('some projects have an incident spike of a few days, the others none', () => {
    const spiking = volumes.filter((v) => v.incident !== null);
    const calm = volumes.filter((v) => v.incident === null);
    expect(spiking.length).toBeGreaterThan(0);
    expect(calm.length).toBeGreaterThan(0);
    for (const v of spiking) {
      const inc = v.incident!;
      expect(inc.days).toBeGreaterThanOrEqual(2);
      expect(inc.days).toBeLessThanOrEqual(4);
      const first = v.days.findIndex((d) => d.day === inc.from);
      expect(first).toBeGreaterThan(0);
      expect(weekend(inc.from)).toBe(false);
      // The spike's first day towers over a typical day of the project, and is its busiest day.
      expect(v.days[first]!.events).toBeGreaterThan(2.5 * median(counts(v)));
      expect(v.days[first]!.events).toBe(Math.max(...counts(v)));
    }
    for (const v of calm) expect(Math.max(...counts(v))).toBeLessThan(2 * median(counts(v)));
  });

  it('the events list counts per day exactly what the table says', async () => {
    for (const v of volumes) {
      const w = await walk<Row>(client, `/projects/${v.project_id}/events?base=${ANCHOR}`);
      const byDay = new Map<string, number>();
      for (const r of w.rows) {
        const day = String(r.received_at).slice(0, 10);
        byDay.set(day, (byDay.get(day) ?? 0) + 1);
      }
      expect(w.rows).toHaveLength(EVENTS);
      expect(Object.fromEntries(byDay)).toEqual(
        Object.fromEntries(v.days.filter((d) => d.events > 0).map((d) => [d.day, d.events])),
      );
    }
  });

  it('trends (12 h buckets) and the errors list’s two-week histograms add up to the table per day', async () => {
    const before = `filters[event.before][][type]=eq&filters[event.before][][value]=${ANCHOR}`;
    for (const v of volumes) {
      const table = new Map(v.days.map((d) => [d.day, d.events]));
      const trend = await client.get<Array<{ from: string; events_count: number }>>(
        `/projects/${v.project_id}/trends?resolution=12h&${before}`,
      );
      expect(trend.status).toBe(200);
      const fromTrend = new Map<string, number>();
      for (const b of trend.body)
        fromTrend.set(b.from.slice(0, 10), (fromTrend.get(b.from.slice(0, 10)) ?? 0) + b.events_count);
      expect(Object.fromEntries(fromTrend)).toEqual(Object.fromEntries(table));

      const errors = await client.get<Array<{ trend: Array<[string, number]> }>>(
        `/projects/${v.project_id}/errors?per_page=100&histogram=two_week&base=${ANCHOR}`,
      );
      expect(errors.body.length).toBeGreaterThan(0);
      const fromHistograms = new Map<string, number>();
      for (const row of errors.body)
        for (const [day, n] of row.trend)
          fromHistograms.set(day.slice(0, 10), (fromHistograms.get(day.slice(0, 10)) ?? 0) + n);
      expect(fromHistograms.size).toBe(14);
      for (const [day, n] of fromHistograms) expect([day, n]).toEqual([day, table.get(day)]);
    }
  });
});

describe('timeline (index ↔ received second)', () => {
  const DAY = 86_400;
  const anchor = Date.parse(ANCHOR) / 1000;
  const cases: Array<[string, number, number, Platform]> = [
    ['7 events in 30 days', 7, anchor, 'server'],
    ['an anchor in mid-afternoon (partial first and last days)', 2000, anchor + 13 * 3600 + 37 * 60 + 11, 'browser'],
    ['3,000,000 events (history longer than 30 days, busy seconds)', 3_000_000, anchor, 'mobile'],
  ];
  for (const [name, n, end, platform] of cases) {
    it(name, () => {
      const startSec = end - Math.max(30 * DAY, n);
      const tl = new Timeline(startSec, end, n, (m, d) => volumeModel(n, platform, m, d));
      const step = Math.max(1, Math.floor(n / 50_000));
      const sample = Array.from({ length: Math.ceil(n / step) }, (_, k) => k * step);
      if (sample[sample.length - 1] !== n - 1) sample.push(n - 1);
      const wrong: string[] = [];
      let prev = startSec;
      let shared = 0;
      for (const i of sample) {
        const t = tl.timeOf(i);
        // Event i is at second t exactly when fewer than i + 1 events come before t and more than i before t + 1.
        if (t < prev || t >= end || tl.indexAt(t) > i || tl.indexAt(t + 1) <= i) wrong.push(`event ${i} at ${t}`);
        if (i + 1 < n && tl.timeOf(i + 1) === t) shared++;
        prev = t;
      }
      expect(wrong.slice(0, 5)).toEqual([]);
      expect(tl.indexAt(startSec)).toBe(0);
      expect(tl.indexAt(end)).toBe(n);
      // The table and the arithmetic agree on every day's count.
      for (const d of tl.perDay())
        expect(tl.indexAt(Math.min(end, d.daySec + DAY)) - tl.indexAt(Math.max(startSec, d.daySec))).toBe(d.events);
      if (n > 30 * DAY) expect(shared).toBeGreaterThan(0);
    });
  }
});
