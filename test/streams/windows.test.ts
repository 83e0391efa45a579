import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fetchTransport, type Transport } from '../../src/http/transport.js';
import { openDestination } from '../../src/destinations/index.js';
import { startRun, type RunSummary } from '../../src/engine/index.js';
import type { Simulator } from '../../src/sim/index.js';
import { makeHome, startSim, type Home } from '../engine/helpers.js';
import { diffKeys, keyOf, simTruth, stored, type Truth } from '../engine/truth.js';

/**
 * Deep histories and refused links: a sorted errors list past Bugsnag's depth limit (422 / 60000), an events next
 * link that grows past a safe length (bugsnag-api-ruby #21), a saved link Bugsnag refuses on resume (400), a saved
 * link on another host. In every case every record lands once, none missing.
 */
let sim: Simulator;
let h: Home;
let truth: Truth;

beforeAll(async () => {
  sim = await startSim({ orgs: 1, projects: 1, errors: 1300, events: 2600, releases: 5 });
  h = await makeHome(sim);
  truth = await simTruth(sim);
}, 60_000);

afterAll(async () => {
  await h.cleanup();
  await sim.close();
});

function errorsRequests(): number {
  return sim.stats().byToken.admin?.endpoints['GET /projects/{project_id}/errors'] ?? 0;
}

async function run(
  source: string,
  transport?: Transport,
  extra: Parameters<typeof startRun>[2] = {},
): Promise<RunSummary> {
  const r = await startRun(h.runtime, source, {
    ...extra,
    ...(transport ? { client: { transport, retry: { baseDelayMs: 1 } } } : {}),
  });
  return r.done;
}

describe('errors beyond the sorted-list depth limit', () => {
  it('goes unsorted at once when the first page announces more than 1000 errors, and stores every error once', async () => {
    expect(truth.errors.size).toBeGreaterThan(1000);
    const dest = `sqlite:${join(h.home, 'deep1.db')}`;
    const src = (await h.source({ destination: dest, streams: ['errors'] })).name;
    sim.resetStats();
    const s = await run(src);
    expect(s.status, JSON.stringify(s.error)).toBe('succeeded');
    expect(s.warnings.map((w) => w.code)).toContain('unsorted');
    const got = await stored(dest, 'errors', keyOf.errors);
    expect(diffKeys(truth.errors, got.byKey)).toEqual({ missing: [], extra: [] });
    // One sorted page, then unsorted pages (Bugsnag's unsorted pages may be short: 64 rows here at most).
    expect(errorsRequests()).toBeLessThanOrEqual(1 + Math.ceil(truth.errors.size / 64) + 1);
  });

  it('without X-Total-Count, hits 422 / code 60000 at row 1000 and carries on unsorted, still every error once', async () => {
    const base = fetchTransport();
    let got422 = 0;
    const noTotals: Transport = async (req) => {
      const res = await base(req);
      if (res.status === 422) got422++;
      const headers = new Headers(res.headers);
      headers.delete('x-total-count');
      return { ...res, headers };
    };
    const dest = `sqlite:${join(h.home, 'deep2.db')}`;
    const src = (await h.source({ destination: dest, streams: ['errors'] })).name;
    const s = await run(src, noTotals);
    expect(s.status, JSON.stringify(s.error)).toBe('succeeded');
    expect(got422).toBe(1);
    const got = await stored(dest, 'errors', keyOf.errors);
    expect(diffKeys(truth.errors, got.byKey)).toEqual({ missing: [], extra: [] });
  });
});

describe('events next links', () => {
  it('that grow past 8 KB are not followed: the pass narrows with event.before and reads every event once', async () => {
    const base = fetchTransport();
    let longest = 0;
    // Like the 2018 API (ruby #21): every page adds the ids of its events to the cursor, so links keep growing.
    const growing: Transport = async (req) => {
      const res = await base(req);
      const link = res.headers.get('link');
      if (!link || !req.url.includes('/events')) return res;
      const carried = (req.url.match(/offset%5Bevent_ids%5D%5B%5D=/g) ?? []).length;
      const ids = Array.from(
        { length: carried + 40 },
        (_, i) => `offset%5Bevent_ids%5D%5B%5D=${(i + 1).toString(16).padStart(24, '0')}`,
      ).join('&');
      const grown = link.replace(/<([^>]+)>/, (_m, url: string) => `<${url}&${ids}>`);
      longest = Math.max(longest, grown.length);
      const headers = new Headers(res.headers);
      headers.set('link', grown);
      return { ...res, headers };
    };
    const dest = `sqlite:${join(h.home, 'grow.db')}`;
    const src = (await h.source({ destination: dest, streams: ['events'] })).name;
    const s = await run(src, growing);
    expect(s.status, JSON.stringify(s.error)).toBe('succeeded');
    expect(longest).toBeGreaterThan(8000);
    expect(s.warnings.filter((w) => w.code === 'window-narrowed').length).toBeGreaterThan(1);
    const got = await stored(dest, 'events', keyOf.events);
    expect(diffKeys(truth.events, got.byKey)).toEqual({ missing: [], extra: [] });
    expect(got.rows).toBe(truth.events.size);
  });

  it('a saved link refused on resume (400) restarts the pass below what is stored, nothing missing', async () => {
    const dest = `sqlite:${join(h.home, 'refused.db')}`;
    const src = (await h.source({ destination: dest, streams: ['events'] })).name;
    const controller = new AbortController();
    const first = await startRun(h.runtime, src, { signal: controller.signal });
    let pages = 0;
    first.events.subscribe((e) => e.type === 'page' && ++pages === 20 && controller.abort());
    expect((await first.done).status).toBe('cancelled');

    const base = fetchTransport();
    let refused = 0;
    const refuseFirstResume: Transport = async (req) => {
      if (refused === 0 && req.url.includes('offset%5Btimestamp%5D')) {
        refused++;
        return {
          status: 400,
          headers: new Headers({ 'content-type': 'application/json' }),
          body: '{"errors":["Pagination Offset is invalid"]}',
        };
      }
      return base(req);
    };
    const s = await run(src, refuseFirstResume);
    expect(s.status, JSON.stringify(s.error)).toBe('succeeded');
    expect(refused).toBe(1);
    expect(s.warnings.map((w) => w.code)).toContain('window-narrowed');
    const got = await stored(dest, 'events', keyOf.events);
    expect(diffKeys(truth.events, got.byKey)).toEqual({ missing: [], extra: [] });
    // Narrowed below the lowest stored event: far fewer than all pages are read again.
    expect(s.streams[0]!.records_read).toBeLessThan(truth.events.size - 20 * 30 + 60);
  });

  it('a saved link pointing at another host is never followed (the token would go there); the pass narrows instead', async () => {
    const dest = `sqlite:${join(h.home, 'moved.db')}`;
    const source = await h.source({ destination: dest, streams: ['events'] });
    const controller = new AbortController();
    const first = await startRun(h.runtime, source.name, { signal: controller.signal });
    let pages = 0;
    first.events.subscribe((e) => e.type === 'page' && ++pages === 10 && controller.abort());
    expect((await first.done).status).toBe('cancelled');
    const d = await openDestination(dest);
    const [cp] = (await d.readCheckpoints(source.id)).filter((c) => c.stream === 'events');
    const state = cp!.state as { pass: { nextUrl: string } };
    expect(state.pass.nextUrl).toContain(sim.url);
    state.pass.nextUrl = state.pass.nextUrl.replace(sim.url, 'http://127.0.0.2:9');
    await d.prepare([
      {
        name: 'events',
        primaryKey: ['project_id', 'id'],
        columns: [
          { name: 'project_id', type: 'text' },
          { name: 'id', type: 'text' },
        ],
      },
    ]);
    await d.writePage('events', [], { sourceId: source.id, partition: cp!.partition, state });
    await d.close();

    const s = await run(source.name);
    expect(s.status, JSON.stringify(s.error)).toBe('succeeded');
    expect(s.warnings.map((w) => w.code)).toContain('window-narrowed');
    const got = await stored(dest, 'events', keyOf.events);
    expect(diffKeys(truth.events, got.byKey)).toEqual({ missing: [], extra: [] });
  });
});
