import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Simulator } from '../../src/sim/index.js';
import { startRun, type RunEvent, type RunSummary, type StartRunOptions } from '../../src/engine/index.js';
import { nodeTransport } from '../../src/engine/transport.js';
import { nodeStreamTransport, type StreamTransport } from '../../src/http/stream-transport.js';
import type { Transport } from '../../src/http/transport.js';
import { makeHome, startSim, type Home } from './helpers.js';
import { diffKeys, keyOf, simTruth, stored, type Truth } from './truth.js';

/**
 * Bulk backfill through event data requests (streams/backfill.ts), against the simulator over a socket: the rows it
 * leaves equal, id for id and `_record` for `_record`, those of a list-only sync of the same seed with full reports;
 * it hands over to the list at the exact boundary; it splits a window over the request limit; a refused download
 * link is fetched again; a 403 on the POST falls back to the list.
 */
const EDR_POST = 'POST /projects/{project_id}/event_data_requests';
const EVENTS_LIST = 'GET /projects/{project_id}/events';
let sim: Simulator;
let h: Home;
let truth: Truth;
let n = 0;

beforeAll(async () => {
  sim = await startSim({
    orgs: 1,
    projects: 1,
    errors: 40,
    events: 2500,
    releases: 2,
    edrPrepareMs: 0,
    edrMaxEvents: 1000,
  });
  h = await makeHome(sim);
  truth = await simTruth(sim);
}, 60_000);

afterAll(async () => {
  await h.cleanup();
  await sim.close();
});

interface Synced {
  summary: RunSummary;
  events: RunEvent[];
}

async function sync(source: string, options: StartRunOptions = {}): Promise<Synced> {
  const run = await startRun(h.runtime, source, options);
  const events: RunEvent[] = [];
  run.events.subscribe((e) => events.push(e));
  const summary = await run.done;
  expect(summary.status, JSON.stringify(summary.error)).toBe('succeeded');
  return { summary, events };
}

async function source(mode: 'auto' | 'bulk' | 'list', extra: Record<string, unknown> = {}) {
  const dest = `sqlite:${join(h.home, `bf-${++n}.db`)}`;
  const s = await h.source({
    destination: dest,
    streams: ['events'],
    full_reports: true,
    events_backfill: mode,
    ...extra,
  });
  return { name: s.name, dest, file: join(h.home, `bf-${n}.db`) };
}

/** Every column of the events table but the sync's own bookkeeping, ordered by key. */
function rows(file: string): Array<Record<string, unknown>> {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT * FROM events ORDER BY project_id, id').all() as Array<Record<string, unknown>>).map(
      (r) => Object.fromEntries(Object.entries(r).filter(([k]) => k === '_record' || !k.startsWith('_'))),
    );
  } finally {
    db.close();
  }
}

function requests(endpoint: string): number {
  return sim.stats().byToken.admin?.endpoints[endpoint] ?? 0;
}

describe('bulk backfill', () => {
  it('bulk + tail leaves the same rows as a list-only sync (ids, columns, _record), in far fewer requests', async () => {
    const bulk = await source('bulk');
    const list = await source('list');
    const now = new Date();
    sim.resetStats();
    const b = await sync(bulk.name, { now });
    const bulkListRequests = requests(EVENTS_LIST);
    expect(requests(EDR_POST)).toBeGreaterThan(1); // 2,500 events over a 1,000-event limit: split
    expect(b.summary.warnings.some((w) => w.code === 'backfill-split')).toBe(true);
    expect(b.events.some((e) => e.type === 'backfill' && e.phase === 'downloading')).toBe(true);
    // The size of the history, from Bugsnag's refusal of the whole of it, sizes the progress of every page.
    const pages = b.events.filter((e) => e.type === 'page' && e.records > 0);
    expect(pages.every((e) => e.type === 'page' && e.estimate === truth.events.size)).toBe(true);
    sim.resetStats();
    await sync(list.name, { now });
    const listRequests = requests(EVENTS_LIST);
    expect(requests(EDR_POST)).toBe(0);
    expect(bulkListRequests).toBeLessThan(listRequests / 10);

    const got = rows(bulk.file);
    expect(got.length).toBe(truth.events.size);
    expect(got).toEqual(rows(list.file));

    // The tail: new events after the backfill, read by the list from the boundary on, in both sources alike.
    sim.addEvents({ count: 7 });
    const later = new Date(Date.now() + 2000);
    sim.resetStats();
    await sync(bulk.name, { now: later });
    expect(requests(EDR_POST)).toBe(0);
    await sync(list.name, { now: later });
    const after = rows(bulk.file);
    expect(after.length).toBe(truth.events.size + 7);
    expect(after).toEqual(rows(list.file));
  }, 60_000);

  it('hands over at the exact boundary: events of the boundary second come from the tail, once', async () => {
    // A second of the history that holds events: T0 is that second, so [start, T0) is exported and T0 is the tail's.
    const times = [...truth.events.values()].map((e) => Math.floor(Date.parse(e.received_at as string) / 1000));
    const counts = new Map<number, number>();
    for (const t of times) counts.set(t, (counts.get(t) ?? 0) + 1);
    const sorted = [...counts.keys()].sort((a, b) => a - b);
    const boundary = sorted[Math.floor(sorted.length / 2)]!;
    const below = times.filter((t) => t < boundary).length;
    const atBoundary = counts.get(boundary)!;
    expect(atBoundary).toBeGreaterThan(0);

    const bulk = await source('bulk');
    const list = await source('list');
    const t0 = new Date(boundary * 1000 + 400); // within the boundary second: T0 = its start
    const first = await sync(bulk.name, { now: t0 });
    expect(first.summary.streams[0]!.records_written).toBe(below);
    const afterFirst = await stored(bulk.dest, 'events', keyOf.events);
    const atT0 = [...truth.events.values()].filter(
      (e) => Math.floor(Date.parse(e.received_at as string) / 1000) === boundary,
    );
    for (const e of atT0) expect(afterFirst.byKey.has(keyOf.events(e))).toBe(false);

    await sync(list.name, { now: t0 });
    expect(rows(bulk.file)).toEqual(rows(list.file));

    // Past every second the simulator has stamped (events added above may carry a base it handed out ahead of now).
    const later = new Date(Date.now() + 6000);
    await sync(bulk.name, { now: later });
    await sync(list.name, { now: later });
    const whole = await stored(bulk.dest, 'events', keyOf.events);
    const served = await simTruth(sim); // with the events added by the test above
    expect(diffKeys(served.events, whole.byKey)).toEqual({ missing: [], extra: [] });
    expect(whole.rows).toBe(served.events.size);
    expect(rows(bulk.file)).toEqual(rows(list.file));
  }, 60_000);

  it('auto: bulk above the threshold, the list at or below it', async () => {
    // Past every second the simulator has stamped: the events added by the first test may carry a time it handed
    // out ahead of the clock, which a sync at the present would leave to its next pass.
    const now = new Date(Date.now() + 6000);
    const small = await source('auto', { events_backfill_threshold: 1_000_000 });
    sim.resetStats();
    await sync(small.name, { now });
    expect(requests(EDR_POST)).toBe(0);
    const large = await source('auto', { events_backfill_threshold: 100 });
    sim.resetStats();
    const r = await sync(large.name, { now });
    expect(requests(EDR_POST)).toBeGreaterThan(0);
    const estimated = r.events.find((e) => e.type === 'backfill' && e.phase === 'estimated');
    expect(estimated && 'total' in estimated ? estimated.total : undefined).toBe(truth.events.size + 7);
    expect(rows(large.file)).toEqual(rows(small.file));
  }, 60_000);

  it('honours the source filters, as the list does', async () => {
    const filters = ['event.severity=error'];
    const bulk = await source('bulk', { filters });
    const list = await source('list', { filters });
    const now = new Date();
    await sync(bulk.name, { now });
    await sync(list.name, { now });
    const got = rows(bulk.file);
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(truth.events.size);
    expect(got).toEqual(rows(list.file));
  }, 60_000);

  it('a download link refused as expired is fetched again; nothing is missing or written twice', async () => {
    const local = await startSim({
      orgs: 1,
      projects: 1,
      errors: 20,
      events: 1200,
      edrPrepareMs: 0,
      edrUrlTtlMs: 1000,
    });
    const home = await makeHome(local);
    try {
      const inner = nodeStreamTransport();
      let first = true;
      // The first download is sent only once its signed link has expired: the simulator refuses it (403).
      const late: StreamTransport = async (req) => {
        if (first) {
          first = false;
          const expires = Number(new URL(req.url).searchParams.get('expires')) * 1000;
          while (Date.now() <= expires) await new Promise((r) => setTimeout(r, 50));
        }
        return inner(req);
      };
      const dest = `sqlite:${join(home.home, 'expired.db')}`;
      const s = await home.source({
        destination: dest,
        streams: ['events'],
        full_reports: true,
        events_backfill: 'bulk',
      });
      const run = await startRun(home.runtime, s.name, { client: { streamTransport: late } });
      const summary = await run.done;
      expect(summary.status, JSON.stringify(summary.error)).toBe('succeeded');
      expect(summary.warnings.map((w) => w.code)).toContain('backfill-download-retried');
      expect(local.stats().downloads.refused).toBe(1);
      const t = await simTruth(local);
      const got = await stored(dest, 'events', keyOf.events);
      expect(diffKeys(t.events, got.byKey)).toEqual({ missing: [], extra: [] });
      expect(summary.totals.records_written).toBe(t.events.size);
    } finally {
      await home.cleanup();
      await local.close();
    }
  }, 60_000);

  it.each([
    ['once: it is made again, and every event lands once', false],
    ['every time: the window fails after a bounded number of requests', true],
  ])(
    'a request that has EXPIRED before it is read, %s',
    async (_what, always) => {
      const local = await startSim({
        orgs: 1,
        projects: 1,
        errors: 20,
        events: 900,
        edrPrepareMs: 0,
        edrExpireMs: 1500,
      });
      const home = await makeHome(local);
      try {
        const inner = nodeTransport();
        let expiresAt: number | null = null;
        let delayed = false;
        // The first request's first status poll (every request's, `always`) is sent only once it has expired
        // (created + preparation 0 + 1.5 s).
        const late: Transport = async (req) => {
          if (req.method === 'GET' && /\/event_data_requests\/[^/]+$/.test(new URL(req.url).pathname) && expiresAt) {
            const until = expiresAt;
            expiresAt = null;
            while (Date.now() <= until) await new Promise((r) => setTimeout(r, 50));
          }
          const res = await inner(req);
          if (
            req.method === 'POST' &&
            req.url.includes('/event_data_requests') &&
            res.status === 201 &&
            (always || !delayed)
          ) {
            delayed = true;
            const created = JSON.parse(res.body) as { created_at: string };
            expiresAt = Date.parse(created.created_at) + 1500;
          }
          return res;
        };
        const dest = `sqlite:${join(home.home, 'expired-request.db')}`;
        const s = await home.source({
          destination: dest,
          streams: ['events'],
          full_reports: true,
          events_backfill: 'bulk',
        });
        const run = await startRun(home.runtime, s.name, { client: { transport: late } });
        const summary = await run.done;
        if (always) {
          // The only partition failed (not skipped, as a 404 would be): the run failed, saying why.
          expect(summary.status).toBe('failed');
          expect(JSON.stringify(summary)).toMatch(/expired 4 times before they could be read/);
          expect(summary.streams[0]!.failed).toBe(1);
          expect(local.stats().byToken.admin?.endpoints[EDR_POST]).toBe(4);
          return;
        }
        expect(summary.status, JSON.stringify(summary.error)).toBe('succeeded');
        expect(summary.warnings.map((w) => w.code)).toContain('backfill-rerequested');
        expect(local.stats().byToken.admin?.endpoints[EDR_POST]).toBe(2);
        const t = await simTruth(local);
        const got = await stored(dest, 'events', keyOf.events);
        expect(diffKeys(t.events, got.byKey)).toEqual({ missing: [], extra: [] });
        expect(got.rows).toBe(t.events.size);
      } finally {
        await home.cleanup();
        await local.close();
      }
    },
    60_000,
  );

  it('a 403 on the POST falls back to the list, with a warning in the run', async () => {
    const inner = nodeTransport();
    // Bugsnag answers 403 when the plan or the role does not allow exports.
    const refusing: Transport = async (req) => {
      if (req.method === 'POST' && req.url.includes('/event_data_requests')) {
        return {
          status: 403,
          headers: new Headers({ 'content-type': 'application/json' }),
          body: JSON.stringify({ errors: ['Account requires the event-data-requests feature'] }),
        };
      }
      return inner(req);
    };
    const bulk = await source('bulk');
    // Past every second the simulator has stamped (see the auto test).
    const r = await startRun(h.runtime, bulk.name, {
      client: { transport: refusing },
      now: new Date(Date.now() + 6000),
    });
    const events: RunEvent[] = [];
    r.events.subscribe((e) => events.push(e));
    const summary = await r.done;
    expect(summary.status, JSON.stringify(summary.error)).toBe('succeeded');
    const warning = summary.warnings.find((w) => w.code === 'backfill-fallback');
    expect(warning?.message).toMatch(/read through the list/);
    expect(events.some((e) => e.type === 'backfill' && e.phase === 'fallback')).toBe(true);
    const got = await stored(bulk.dest, 'events', keyOf.events);
    expect(got.rows).toBe(truth.events.size + 7);
  }, 60_000);
});
