import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { niceStep } from '../../src/server/components/charts.js';
import { countSeries, dayWindow, OTHER_KEY, rateSeries } from '../../src/server/overview/series.js';
import type { Simulator } from '../../src/sim/index.js';
import { dropSchema, pgDestinationUrl, uniqueSchema } from '../destinations/pg-schema.js';
import { requireService } from '../helpers/services.js';
import { login, type Browser } from './helpers.js';
import { sourcesServer, startSim, type SourcesServer } from './sources-helpers.js';

/**
 * The Overview: its empty states, and charts whose every figure is checked against the destination, read here
 * independently with SQL — for SQLite, and for JSONL (which must chart the same figures for the same data).
 */

let sim: Simulator;
let s: SourcesServer;
let b: Browser;
let credentialId: string;

beforeAll(async () => {
  sim = await startSim({ projects: 3, events: 90 });
  s = await sourcesServer();
  credentialId = await s.credential(sim);
  b = await login(s.app);
});
afterAll(async () => {
  await s.cleanup();
  await sim.close();
});

const overview = async () => (await s.app.inject({ method: 'GET', url: '/', headers: { cookie: b.cookie } })).body;

/** A chart's data table as {series key → {day → value}}. */
function chartTable(html: string, chartId: string): Record<string, Record<string, number>> {
  const table = new RegExp(
    `<table class="data-table chart-table" data-chart-table="${chartId}">([\\s\\S]*?)</table>`,
  ).exec(html)?.[1];
  if (!table) throw new Error(`no table for ${chartId}`);
  const keys = [...table.matchAll(/<th scope="col" data-series="([^"]+)">/g)].map((m) => m[1]!);
  const out: Record<string, Record<string, number>> = Object.fromEntries(keys.map((k) => [k, {}]));
  for (const row of table.matchAll(/<tr data-day="([^"]+)">([\s\S]*?)<\/tr>/g)) {
    const cells = [...row[2]!.matchAll(/<td class="num"(?: data-value="([^"]*)")?>/g)].map((m) => m[1]);
    cells.forEach((v, i) => {
      if (v !== undefined) out[keys[i]!]![row[1]!] = Number(v);
    });
  }
  return out;
}

function chartSvg(html: string, chartId: string): string {
  return new RegExp(`<figure class="chart-figure" data-chart="${chartId}"[\\s\\S]*?</svg>`).exec(html)![0];
}

describe('the Overview', () => {
  it('without sources: says what to do, with a link to the wizard', async () => {
    const html = await overview();
    expect(html).toContain('data-empty="overview"');
    expect(html).toContain('href="/sources/new"');
    expect(html).not.toContain('<svg class="chart"');
  });

  it('before the first sync: a Run now button per source', async () => {
    const src = await s.source({ name: 'not yet', data_credentials_id: credentialId, destination: 'sqlite:never.db' });
    const html = await overview();
    expect(html).toContain('data-empty="no-data"');
    expect(html).toContain(`action="/sources/${src.id}/run"`);
    await s.api('DELETE', `/api/data_sources/${src.id}`);
  });

  it("charts events per day per project and crash-free sessions, with figures equal to the destination's", async () => {
    const dbPath = join(s.home, 'charts.db');
    const sqliteSrc = await s.source({
      name: 'charts',
      data_credentials_id: credentialId,
      source_config: { streams: ['projects', 'events', 'stability_trend'] },
      destination: `sqlite:${dbPath}`,
    });
    await s.runToEnd(sqliteSrc.id);
    const html = await overview();
    const db = new Database(dbPath, { readonly: true });
    try {
      const names = new Map(
        (db.prepare('SELECT id, name FROM projects').all() as Array<{ id: string; name: string }>).map((r) => [
          r.id,
          r.name,
        ]),
      );
      // Events: per project and day, over the 30 days ending at the newest event.
      const rows = db
        .prepare(`SELECT project_id AS p, substr(received_at, 1, 10) AS d, count(*) AS n FROM events GROUP BY p, d`)
        .all() as Array<{ p: string; d: string; n: number }>;
      const lastDay = rows
        .map((r) => r.d)
        .sort()
        .at(-1)!;
      const firstDay = new Date(Date.parse(`${lastDay}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10);
      const expected: Record<string, Record<string, number>> = {};
      for (const r of rows) if (r.d >= firstDay) (expected[r.p] ??= {})[r.d] = r.n;
      const table = chartTable(html, 'events-0');
      expect(Object.keys(table).sort()).toEqual([...names.keys()].sort());
      for (const [p, days] of Object.entries(table)) {
        for (const [d, n] of Object.entries(days)) expect(n, `${p} ${d}`).toBe(expected[p]?.[d] ?? 0);
        expect(Object.keys(days)).toHaveLength(30);
      }
      expect(
        Object.values(expected)
          .flatMap((d) => Object.values(d))
          .reduce((a, c) => a + c, 0),
      ).toBeGreaterThan(0);
      const svg = chartSvg(html, 'events-0');
      expect(svg).toMatch(/data-series-count="3" data-days="30"/);
      expect(svg.match(/<g class="chart-series series-\d" data-series=/g)).toHaveLength(3);
      expect(svg.match(/<circle /g)).toHaveLength(3 * 30);
      expect(svg).toContain('role="img" aria-labelledby="events-0-title events-0-desc"');
      expect(svg).toMatch(
        /<desc id="events-0-desc">Events per day from \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d for 3 projects/,
      );
      for (const [id, name] of names) expect(html).toContain(`<th scope="col" data-series="${id}">${name}</th>`);

      // Stability: 1 − unhandled_rate, per project and day.
      const trend = db
        .prepare(
          `SELECT project_id AS p, substr(bucket_start, 1, 10) AS d, unhandled_rate AS r FROM stability_trend WHERE unhandled_rate IS NOT NULL`,
        )
        .all() as Array<{ p: string; d: string; r: number }>;
      expect(trend.length).toBeGreaterThan(0);
      const stability = chartTable(html, 'stability-0');
      let compared = 0;
      for (const t of trend) {
        const shown = stability[t.p]?.[t.d];
        if (shown === undefined) continue;
        expect(shown).toBeCloseTo(1 - t.r, 10);
        compared++;
      }
      expect(compared).toBeGreaterThan(0);
      expect(chartSvg(html, 'stability-0')).toContain('Crash-free sessions per day');
    } finally {
      db.close();
    }

    // The same data synced into JSONL charts the same figures.
    const jsonlSrc = await s.source({
      name: 'charts jsonl',
      data_credentials_id: credentialId,
      source_config: { streams: ['projects', 'events', 'stability_trend'] },
      destination: 'jsonl:charts-jsonl',
    });
    await s.runToEnd(jsonlSrc.id);
    const both = await overview();
    const sections = [...both.matchAll(/<section class="destination-charts"[\s\S]*?<\/section>/g)].map((m) => m[0]);
    expect(sections).toHaveLength(2);
    const idOf = (section: string, kind: string) => new RegExp(`data-chart="(${kind}-\\d)"`).exec(section)![1]!;
    const sqliteSection = sections.find((x) => x.includes('sqlite:'))!;
    const jsonlSection = sections.find((x) => x.includes('jsonl:'))!;
    expect(chartTable(both, idOf(jsonlSection, 'events'))).toEqual(chartTable(both, idOf(sqliteSection, 'events')));
    const a = chartTable(both, idOf(jsonlSection, 'stability'));
    const c = chartTable(both, idOf(sqliteSection, 'stability'));
    expect(Object.keys(a).sort()).toEqual(Object.keys(c).sort());
    for (const p of Object.keys(a)) for (const d of Object.keys(a[p]!)) expect(a[p]![d]).toBeCloseTo(c[p]![d]!, 10);
  });
});

describe.skipIf(!requireService('postgres'))('the Overview of a PostgreSQL destination', () => {
  it('charts the same figures as SQLite for the same data, and shows the URL without its password', async () => {
    const schema = uniqueSchema('snag_overview');
    const u = new URL(pgDestinationUrl(schema));
    u.password = 'overview-secret-pw';
    const config = { streams: ['projects', 'events', 'stability_trend'] };
    try {
      const pgSrc = await s.source({
        name: 'charts pg',
        data_credentials_id: credentialId,
        source_config: config,
        destination: u.toString(),
      });
      const refSrc = await s.source({
        name: 'charts pg ref',
        data_credentials_id: credentialId,
        source_config: config,
        destination: 'sqlite:charts-pg-ref.db',
      });
      await s.runToEnd(pgSrc.id);
      await s.runToEnd(refSrc.id);
      const html = await overview();
      expect(html).not.toContain('overview-secret-pw');
      const sections = [...html.matchAll(/<section class="destination-charts"[\s\S]*?<\/section>/g)].map((m) => m[0]);
      const idOf = (section: string, kind: string) => new RegExp(`data-chart="(${kind}-\\d)"`).exec(section)![1]!;
      const pgSection = sections.find((x) => x.includes(`schema=${schema}`))!;
      const refSection = sections.find((x) => x.includes('charts-pg-ref.db'))!;
      expect(pgSection).toContain('postgres://postgres:[REDACTED]@');
      const events = chartTable(html, idOf(pgSection, 'events'));
      expect(Object.keys(events)).toHaveLength(3);
      expect(events).toEqual(chartTable(html, idOf(refSection, 'events')));
      const a = chartTable(html, idOf(pgSection, 'stability'));
      const c = chartTable(html, idOf(refSection, 'stability'));
      expect(Object.keys(a).sort()).toEqual(Object.keys(c).sort());
      expect(Object.keys(a).length).toBeGreaterThan(0);
      for (const p of Object.keys(a)) for (const d of Object.keys(a[p]!)) expect(a[p]![d]).toBeCloseTo(c[p]![d]!, 10);
    } finally {
      await dropSchema(schema);
    }
  });
});

describe('chart series', () => {
  it('keep the busiest projects and sum the rest as "Other projects"; a window of 30 consecutive days', () => {
    const rows = Array.from({ length: 9 }, (_, i) => ({ project: `p${i}`, day: '2026-01-10', value: 10 + i }));
    rows.push({ project: 'p0', day: '2025-11-01', value: 99 }); // outside the window
    const data = countSeries(rows, new Map([['p8', 'Eight']]));
    expect(data.days).toHaveLength(30);
    expect(data.days[0]).toBe('2025-12-12');
    expect(data.days.at(-1)).toBe('2026-01-10');
    expect(data.series.map((x) => x.key)).toEqual(['p8', 'p7', 'p6', 'p5', 'p4', OTHER_KEY]);
    expect(data.series[0]!.label).toBe('Eight');
    expect(data.series.at(-1)!.label).toBe('Other projects (4)');
    expect(data.series.at(-1)!.values.at(-1)).toBe(10 + 11 + 12 + 13);
    expect(data.series[0]!.values.slice(0, -1).every((v) => v === 0)).toBe(true);
    const rates = rateSeries([{ project: 'a', day: '2026-01-10', value: 0.99 }], new Map());
    expect(rates.series[0]!.values.filter((v) => v === null)).toHaveLength(29);
    expect(dayWindow([])).toEqual([]);
  });

  it('axis steps of 1, 2 or 5 × 10^k', () => {
    expect(niceStep(2.5, true)).toBe(5);
    expect(niceStep(0.3, true)).toBe(1);
    expect(niceStep(130, true)).toBe(200);
    expect(niceStep(0.0125, false)).toBe(0.02);
  });
});
