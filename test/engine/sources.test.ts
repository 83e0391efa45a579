import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import type { Simulator } from '../../src/sim/index.js';
import {
  createSource,
  nextRunAfter,
  parseSchedule,
  previewStream,
  runDue,
  startScheduler,
  updateSource,
} from '../../src/engine/index.js';
import { makeHome, startSim, type Home } from './helpers.js';

/** Source config validation (errors name the field), previews that save nothing, schedules and the scheduler. */
let sim: Simulator;
let h: Home;
let cred: string;

beforeAll(async () => {
  sim = await startSim({ orgs: 2, projects: 2, errors: 20, events: 100, releases: 5 });
  h = await makeHome(sim);
  cred = await h.credential('multi-org');
});

afterAll(async () => {
  await h.cleanup();
  await sim.close();
});

describe('source config validation', () => {
  const bad: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['an unknown stream', { streams: ['events', 'crashes'] }, 'streams', /"crashes" is not a stream/],
    ['comments without errors', { streams: ['comments'] }, 'streams', /read through the errors stream/],
    ['a filter without =', { filters: ['app.release_stage'] }, 'filters', /not a filter/],
    ['a filter on the time window', { filters: ['event.since=7d'] }, 'filters', /set by snagsync itself/],
    ['a bad start date', { start_date: 'last tuesday' }, 'start_date', /not a time/],
    [
      'an organization the credential does not reach',
      { organizations: ['0123456789abcdef01234567'] },
      'organizations',
      /does not reach/,
    ],
    ['a bad schedule', { schedule: 'sometimes' }, 'schedule', /not a schedule/],
    ['a too frequent schedule', { schedule: 'every 5s' }, 'schedule', /too frequent/],
    ['a bad lookback', { lookback: 'soon' }, 'lookback', /not a duration/],
    [
      'a postgres destination with a bad schema',
      { destination: 'postgres://x/y?schema=1x' },
      'destination',
      /schema "1x"/,
    ],
    ['a bad destination', { destination: 'ftp://x' }, 'destination', /not a destination/],
  ];
  it.each(bad)('refuses %s, naming the field', async (_what, input, field, message) => {
    const err = await createSource(h.runtime, { name: `bad-${field}`, credential: cred, ...input }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'config', details: { field } });
    expect((err as Error).message).toMatch(message);
  });

  it('stores filters (eq and ne), resolves organization names to ids, and makes the destination absolute', async () => {
    const org = sim.info().organizations[1]!;
    const { source, warnings } = await createSource(
      h.runtime,
      {
        name: 'good',
        credential: cred,
        organizations: [org.name],
        filters: ['app.release_stage=production', 'error.status!=fixed', 'custom.tier=gold'],
        destination: 'sqlite:rel.db',
        schedule: 'every 1h',
      },
      { cwd: h.home },
    );
    expect(source.config.organizations).toEqual([org.id]);
    expect(source.config.filters).toEqual({
      'app.release_stage': ['production'],
      'error.status': [{ type: 'ne', value: 'fixed' }],
      'custom.tier': ['gold'],
    });
    expect(source.destination).toBe(`sqlite:${join(h.home, 'rel.db')}`);
    expect(source.schedule).toBe('every 1h');
    expect(source.next_run_at).not.toBeNull();
    expect(warnings).toEqual([]);
    const updated = await updateSource(h.runtime, 'good', {
      schedule: 'none',
      streams: ['events'],
      filters: ['user.emial=x@y.z'],
    });
    expect(updated.source.schedule).toBeNull();
    expect(updated.source.config.streams).toEqual(['events']);
    expect(updated.warnings.join()).toMatch(/user\.emial/);
  });
});

describe('preview', () => {
  it('reads a few records of a stream without saving anything, from a source or a draft', async () => {
    const dest = join(h.home, 'preview.db');
    await createSource(h.runtime, { name: 'pv', credential: cred, destination: `sqlite:${dest}` });
    const events = await previewStream(h.runtime, 'pv', 'events', { limit: 3 });
    expect(events.records).toHaveLength(3);
    expect(events.partition.kind).toBe('project');
    expect(events.records[0]).toHaveProperty('received_at');
    const comments = await previewStream(
      h.runtime,
      { credential: cred, config: { streams: ['errors', 'comments'] } },
      'comments',
      { limit: 2 },
    );
    expect(comments.records.length).toBeGreaterThan(0);
    expect(comments.records[0]).toHaveProperty('error_id');
    const orgs = await previewStream(h.runtime, 'pv', 'organizations');
    expect(orgs.records).toHaveLength(2);
    expect(orgs.records[0]).not.toHaveProperty('api_key');
    expect(existsSync(dest)).toBe(false);
    expect(await h.runtime.store.runs.list({})).toEqual([]);
    await expect(previewStream(h.runtime, 'pv', 'nope')).rejects.toMatchObject({
      code: 'config',
      details: { field: 'stream' },
    });
  });
});

describe('schedules', () => {
  it('parse every/hourly/daily and refuse the rest', () => {
    expect(parseSchedule('every 15m')).toEqual({ text: 'every 15m', intervalMs: 900_000 });
    expect(parseSchedule('Every  1H')).toEqual({ text: 'every 1h', intervalMs: 3_600_000 });
    expect(parseSchedule('hourly').intervalMs).toBe(3_600_000);
    expect(parseSchedule('daily').intervalMs).toBe(86_400_000);
    expect(nextRunAfter('every 15m', new Date('2026-01-01T00:00:00Z')).toISOString()).toBe('2026-01-01T00:15:00.000Z');
    expect(() => parseSchedule('every')).toThrow(/not a schedule/);
  });

  it('run-due runs the due sources once, skips paused ones, and sets the next run one interval after', async () => {
    const due = await createSource(h.runtime, {
      name: 'sched',
      credential: cred,
      streams: ['organizations'],
      schedule: 'every 1h',
      destination: `sqlite:${join(h.home, 's.db')}`,
    });
    const paused = await createSource(h.runtime, {
      name: 'sched-paused',
      credential: cred,
      streams: ['organizations'],
      schedule: 'every 1h',
      status: 'paused',
      destination: `sqlite:${join(h.home, 's2.db')}`,
    });
    const results = await runDue(h.runtime);
    const mine = results.filter((r) => r.source_name.startsWith('sched'));
    expect(mine).toEqual([expect.objectContaining({ source_id: due.source.id, status: 'succeeded' })]);
    const after = await h.runtime.store.sources.get(due.source.id);
    expect(Date.parse(after!.next_run_at!)).toBeGreaterThan(Date.now() + 3_500_000);
    expect((await h.runtime.store.runs.list({ sourceId: paused.source.id })).length).toBe(0);
    const run = (await h.runtime.store.runs.list({ sourceId: due.source.id }))[0]!;
    expect(run.trigger).toBe('schedule');
    // Nothing is due any more.
    expect((await runDue(h.runtime)).filter((r) => r.source_name.startsWith('sched'))).toEqual([]);
  });

  it('the scheduler loop runs a source as it falls due and stops cleanly', async () => {
    const { source } = await createSource(h.runtime, {
      name: 'loop',
      credential: cred,
      streams: ['organizations'],
      schedule: 'every 1h',
      destination: `sqlite:${join(h.home, 'l.db')}`,
    });
    const controller = new AbortController();
    const seen: string[] = [];
    const handle = startScheduler(h.runtime, {
      tickMs: 60_000,
      signal: controller.signal,
      onResults: (results) => {
        seen.push(...results.map((r) => r.source_name));
        if (seen.includes('loop')) controller.abort();
      },
    });
    await handle.done;
    expect(seen).toContain('loop');
    expect((await h.runtime.store.runs.list({ sourceId: source.id }))[0]!.status).toBe('succeeded');
  });
});
