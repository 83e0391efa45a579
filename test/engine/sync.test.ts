import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Simulator } from '../../src/sim/index.js';
import { startRun, type RunSummary } from '../../src/engine/index.js';
import { openDestination } from '../../src/destinations/index.js';
import { makeHome, startSim, type Home } from './helpers.js';
import { diffKeys, jsonlLines, keyOf, simTruth, stored, type Truth } from './truth.js';

/**
 * Whole syncs against the simulator over a real socket into real SQLite and JSONL files: the destination ends equal
 * to what the simulator serves (walked independently), every record once; a second sync with no new data costs one
 * request per incremental (stream, project) of the streams due (errors, events); new data arrives; --full-refresh rereads.
 */
let sim: Simulator;
let h: Home;
let truth: Truth;

beforeAll(async () => {
  sim = await startSim({ orgs: 2, projects: 3, errors: 150, events: 1200, releases: 25 });
  h = await makeHome(sim);
  truth = await simTruth(sim, 'admin', { comments: true });
});

afterAll(async () => {
  await h.cleanup();
  await sim.close();
});

async function sync(source: string, opts: Parameters<typeof startRun>[2] = {}): Promise<RunSummary> {
  const run = await startRun(h.runtime, source, opts);
  return run.done;
}

function perEndpoint(): Record<string, number> {
  return sim.stats().byToken.admin?.endpoints ?? {};
}

describe('a full sync into SQLite', () => {
  let src: string;
  let dest: string;
  let first: RunSummary;

  beforeAll(async () => {
    dest = `sqlite:${join(h.home, 'full.db')}`;
    src = (await h.source({ destination: dest })).name;
    sim.resetStats();
    first = await sync(src);
  });

  it('succeeds and stores every event, error, release and comment the simulator serves, once', async () => {
    expect(first.status, JSON.stringify(first.error)).toBe('succeeded');
    for (const stream of ['events', 'errors', 'releases', 'comments'] as const) {
      const got = await stored(dest, stream, keyOf[stream]);
      const want = truth[stream];
      expect(diffKeys(want, got.byKey), stream).toEqual({ missing: [], extra: [] });
      expect(got.rows, stream).toBe(want.size);
    }
  });

  it('stores the absolute (unfiltered) error fields in typed columns, and the current status', async () => {
    const d = await openDestination(dest);
    const got = await d.listRecords('errors');
    await d.close();
    // Every error, so that the checks below cannot pass on an empty table.
    expect(got).toHaveLength(truth.errors.size);
    for (const r of got) {
      const want = truth.errors.get(keyOf.errors(r))!;
      expect(r.status).toBe(want.status);
      expect(r.last_seen_unfiltered).toBe(want.last_seen_unfiltered);
    }
    // The typed columns themselves, not only the stored record.
    const db = new Database(join(h.home, 'full.db'), { readonly: true });
    const rows = db
      .prepare('SELECT project_id, id, status, first_seen_unfiltered, last_seen_unfiltered FROM errors')
      .all() as Array<Record<string, string>>;
    db.close();
    expect(rows).toHaveLength(truth.errors.size);
    for (const r of rows) {
      const want = truth.errors.get(keyOf.errors(r));
      expect(want, `${r.project_id}|${r.id}`).toBeDefined();
      expect(r.status).toBe(want!.status);
      expect(Date.parse(r.first_seen_unfiltered!)).toBe(Date.parse(want!.first_seen_unfiltered as string));
      expect(Date.parse(r.last_seen_unfiltered!)).toBe(Date.parse(want!.last_seen_unfiltered as string));
    }
  });

  it("makes at most 1.1 × the pages the data needs at each endpoint's largest page size", () => {
    const e = perEndpoint();
    const projects = truth.projects.length;
    const perProject = (m: Map<string, unknown>, size: number) =>
      truth.projects.reduce(
        (n, p) => n + Math.max(1, Math.ceil([...m.keys()].filter((k) => k.startsWith(`${p}|`)).length / size)),
        0,
      );
    const need = {
      events: perProject(truth.events, 30),
      errors: perProject(truth.errors, 100),
      releases: perProject(truth.releases, 10),
    };
    expect(e['GET /projects/{project_id}/events']).toBeLessThanOrEqual(Math.ceil(need.events * 1.1));
    expect(e['GET /projects/{project_id}/errors']).toBeLessThanOrEqual(Math.ceil(need.errors * 1.1));
    expect(e['GET /projects/{project_id}/releases']).toBeLessThanOrEqual(Math.ceil(need.releases * 1.1));
    // Comments: one list per error with comments (they fit in one page here), never for errors without.
    const withComments = [...truth.errors.values()].filter((x) => (x.comment_count as number) > 0).length;
    expect(e['GET /projects/{project_id}/errors/{error_id}/comments']).toBe(withComments);
    expect(e['GET /projects/{project_id}/event_fields']).toBe(projects);
  });

  it('records history per stream and partition', async () => {
    const rows = await h.runtime.store.runs.listStreams(first.run_id);
    const events = rows.filter((r) => r.stream === 'events');
    expect(events).toHaveLength(truth.projects.length);
    for (const r of events) {
      expect(r.outcome).toBe('ok');
      expect(r.partition).toMatch(/^project:/);
      expect(r.requests).toBeGreaterThan(0);
      expect(r.records_written).toBe(r.records_read);
    }
    const run = await h.runtime.store.runs.findById(first.run_id);
    expect(run.status).toBe('succeeded');
    expect(run.totals.records_written).toBe(first.totals.records_written);
    expect(run.totals.requests).toBe(first.totals.requests);
  });

  it('a second sync with no new data makes one request per incremental (stream, project); streams read less than their interval ago none', async () => {
    sim.resetStats();
    const second = await sync(src);
    expect(second.status).toBe('succeeded');
    const e = perEndpoint();
    const projects = truth.projects.length;
    expect(e['GET /projects/{project_id}/events']).toBe(projects);
    expect(e['GET /projects/{project_id}/errors']).toBe(projects);
    // Releases (every 15 min) and the slow streams (daily, hourly) were read by the first sync (stream-intervals.ts).
    expect(e['GET /projects/{project_id}/releases'] ?? 0).toBe(0);
    expect(e['GET /projects/{project_id}/event_fields'] ?? 0).toBe(0);
    expect(e['GET /projects/{project_id}/errors/{error_id}/comments'] ?? 0).toBe(0);
    const events = second.streams.find((s) => s.stream === 'events')!;
    expect(events.records_read).toBe(0);
  });

  it('new events and errors are picked up by the next sync, nothing else is read again', async () => {
    const pid = truth.projects[0]!;
    const added = sim.addEvents({ projectId: pid, count: 40 });
    const newErrors = sim.addErrors({ projectId: pid, count: 2, eventsPerError: 3 });
    // A pass reads up to the second it starts in; data stamped in that second belongs to the next pass.
    const later = new Date(Date.parse(added.at(-1)!.received_at) + 2000);
    sim.resetStats();
    const third = await sync(src, { now: later });
    expect(third.status).toBe('succeeded');
    const got = await stored(dest, 'events', keyOf.events);
    for (const ev of [...added, ...newErrors.flatMap((x) => x.events)])
      expect(got.byKey.has(`${pid}|${ev.id}`)).toBe(true);
    const errors = await stored(dest, 'errors', keyOf.errors);
    for (const x of newErrors) expect(errors.byKey.has(`${pid}|${x.id}`)).toBe(true);
    const events = third.streams.find((s) => s.stream === 'events')!;
    // The new events (46), plus at most the look-back window's worth again (here: none older than the window).
    expect(events.records_read).toBeGreaterThanOrEqual(46);
    expect(events.records_read).toBeLessThan(46 + 30);
    expect(perEndpoint()['GET /projects/{project_id}/events']).toBeLessThanOrEqual(projects() + 2);
  });

  it('--full-refresh forgets the checkpoints and reads everything again, still once per key', async () => {
    const before = await stored(dest, 'events', keyOf.events);
    // The simulator stamps events added at run time a little ahead of the clock (never behind a base it handed
    // out): a pass from the real "now" would leave the ones added above to the next pass.
    const full = await sync(src, { fullRefresh: true, streams: ['events'], now: new Date(Date.now() + 10_000) });
    expect(full.status).toBe('succeeded');
    expect(full.streams.map((s) => s.stream)).toEqual(['events']);
    expect(full.streams[0]!.records_read).toBe(before.rows);
    const after = await stored(dest, 'events', keyOf.events);
    expect(after.rows).toBe(before.rows);
  });
});

function projects(): number {
  return truth.projects.length;
}

describe('a sync into JSONL', () => {
  it('is equal to the simulator, and a cancelled run resumed writes every event exactly once', async () => {
    // Events were added by the tests above: walk again.
    truth = await simTruth(sim, 'admin');
    const dir = join(h.home, 'jsonl');
    const src = (await h.source({ destination: `jsonl:${dir}`, streams: ['events', 'errors'] })).name;
    const controller = new AbortController();
    const ahead = new Date(Date.now() + 10_000); // see the --full-refresh test above
    const run = await startRun(h.runtime, src, { signal: controller.signal, now: ahead });
    let pages = 0;
    run.events.subscribe((e) => {
      if (e.type === 'page' && e.stream === 'events' && ++pages === 25) controller.abort();
    });
    const cancelled = await run.done;
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.error?.error).toBe('aborted');
    const partial = await stored(`jsonl:${dir}`, 'events', keyOf.events);
    expect(partial.rows).toBeGreaterThan(0);
    expect(partial.rows).toBeLessThan(truth.events.size);

    const resumed = await sync(src, { now: ahead });
    expect(resumed.status).toBe('succeeded');
    const got = await stored(`jsonl:${dir}`, 'events', keyOf.events);
    expect(diffKeys(truth.events, got.byKey)).toEqual({ missing: [], extra: [] });
    expect(await jsonlLines(dir, 'events')).toBe(truth.events.size);
    // The resumed run read only what the cancelled one had not committed (plus at most a page in flight).
    const read = resumed.streams.find((s) => s.stream === 'events')!.records_read;
    expect(read).toBeLessThanOrEqual(truth.events.size - partial.rows + 60);
  });
});
