import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDestination } from '../../src/destinations/index.js';
import type { Simulator } from '../../src/sim/index.js';
import { keyHeaders } from './helpers.js';
import { sourcesServer, startSim, type SourcesServer } from './sources-helpers.js';

/** `/api/data_sources` and `/api/runs` driven with inject against a real store, destination and the simulator. */

let sim: Simulator;
let s: SourcesServer;
let credentialId: string;

beforeAll(async () => {
  sim = await startSim();
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  s = await sourcesServer();
  credentialId = await s.credential(sim);
});
afterEach(async () => {
  await s.cleanup();
});

const STREAMS = ['projects', 'errors', 'events', 'stability_trend'];
const projectCount = () => sim.info().organizations.reduce((n, o) => n + o.projects.length, 0);

describe('data_sources: create, read, update, delete', () => {
  it('creates a source (201, Nexla-shaped) and lists, gets (by id or name) and shows it', async () => {
    const res = await s.api('POST', '/api/data_sources', {
      name: 'production',
      description: 'hourly errors and events',
      data_credentials_id: credentialId,
      source_config: { streams: STREAMS, start_date: '30d', filters: ['app.release_stage=production'] },
      destination: 'sqlite:prod.db',
      poll_schedule: 'hourly',
    });
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json();
    expect(res.headers.location).toBe(`/api/data_sources/${created.id}`);
    expect(created).toMatchObject({
      name: 'production',
      description: 'hourly errors and events',
      status: 'ACTIVE',
      source_type: 'bugsnag',
      data_credentials_id: credentialId,
      data_credentials: { id: credentialId, name: 'sim admin' },
      source_config: {
        streams: STREAMS,
        start_date: '30d',
        full_reports: false,
        filters: { 'app.release_stage': ['production'] },
        projects: [],
        exclude_projects: [],
      },
      effective_streams: STREAMS,
      // Relative paths are taken from the snagsync home, not from wherever the server was started.
      destination: `sqlite:${join(s.home, 'prod.db')}`,
      poll_schedule: 'hourly',
      last_run: null,
      live_run_id: null,
      run_ids: [],
      warnings: [],
    });
    expect(Date.parse(created.next_run_at)).not.toBeNaN();
    expect(created.id).toMatch(/^src_/);

    const list = (await s.api('GET', '/api/data_sources')).json();
    expect(list).toHaveLength(1);
    expect(list[0].id).toBe(created.id);
    expect((await s.api('GET', `/api/data_sources/${created.id}`)).json().name).toBe('production');
    expect((await s.api('GET', '/api/data_sources/PRODUCTION')).json().id).toBe(created.id);
  });

  it('defaults: all streams but the heavy ones, the SQLite file in the home, no schedule', async () => {
    const created = await s.source({ name: 'plain', data_credentials_id: credentialId });
    expect(created.destination).toBe(`sqlite:${join(s.home, 'bugsnag.db')}`);
    expect(created.poll_schedule).toBeNull();
    expect(created.next_run_at).toBeNull();
    expect((created.source_config as { streams: unknown }).streams).toBeNull();
    expect(created.effective_streams).not.toContain('pivots');
  });

  it('reports every invalid field at once (400), on the API field names, and saves nothing', async () => {
    const res = await s.api('POST', '/api/data_sources', {
      name: '',
      data_credentials_id: 'cred_nope',
      source_config: {
        streams: ['errors', 'nonsense'],
        start_date: 'last tuesday',
        filters: ['no-equals-sign'],
        projects: ['a/b'],
        releases_full_pass_interval: 'weekly',
        bogus: 1,
      },
      destination: 'mysql://db/x',
      poll_schedule: 'every 5s',
      extra: true,
    });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error).toBe('config');
    expect(Object.keys(body.fields).sort()).toEqual(
      [
        'extra',
        'source_config.bogus',
        'name',
        'data_credentials_id',
        'source_config.streams',
        'source_config.start_date',
        'source_config.filters',
        'source_config.projects',
        'source_config.releases_full_pass_interval',
        'destination',
        'poll_schedule',
      ].sort(),
    );
    expect(body.fields['source_config.streams']).toContain('"nonsense" is not a stream');
    expect(body.fields.poll_schedule).toContain('too frequent');
    expect(body.fields.data_credentials_id).toContain('cred_nope');
    expect(body.hints.destination).toContain('sqlite:PATH');
    expect((await s.api('GET', '/api/data_sources')).json()).toEqual([]);
  });

  it('refuses wrong JSON types, a body that is not an object, and a missing credential — never a 500', async () => {
    const bodies: unknown[] = [
      [],
      'text',
      { name: 5, data_credentials_id: credentialId },
      { name: 'x', data_credentials_id: credentialId, source_config: [] },
      { name: 'x', data_credentials_id: credentialId, source_config: { streams: 'errors' } },
      { name: 'x', data_credentials_id: credentialId, source_config: { filters: { 'app.release_stage': [null] } } },
      { name: 'x', data_credentials_id: credentialId, source_config: { concurrency: 99 } },
      { name: 'x', data_credentials_id: credentialId, status: 'RUNNING' },
      { name: 'x' },
      { name: 'x', data_credentials_id: credentialId, poll_schedule: 3 },
    ];
    for (const b of bodies) {
      const res = await s.app.inject({
        method: 'POST',
        url: '/api/data_sources',
        headers: { ...keyHeaders(), 'content-type': 'application/json' },
        payload: JSON.stringify(b),
      });
      expect(res.statusCode, `${JSON.stringify(b)} → ${res.body}`).toBe(400);
      expect(res.json().message).toBeTruthy();
    }
    const missing = await s.api('POST', '/api/data_sources', { name: 'x' });
    expect(missing.json().fields.data_credentials_id).toBe('A source needs a credential.');
  });

  it('a taken name is 409; unknown ids are 404 on every route', async () => {
    await s.source({ name: 'taken', data_credentials_id: credentialId });
    const again = await s.api('POST', '/api/data_sources', { name: 'TAKEN', data_credentials_id: credentialId });
    expect(again.statusCode).toBe(409);
    expect(again.json().field).toBe('name');
    expect(Object.keys(again.json().fields)).toEqual(['name']);
    for (const [method, url] of [
      ['GET', '/api/data_sources/src_nope'],
      ['PUT', '/api/data_sources/src_nope'],
      ['DELETE', '/api/data_sources/src_nope'],
      ['PUT', '/api/data_sources/src_nope/activate'],
      ['PUT', '/api/data_sources/src_nope/pause'],
      ['POST', '/api/data_sources/src_nope/runs'],
      ['GET', '/api/data_sources/src_nope/runs'],
      ['POST', '/api/data_sources/src_nope/preview'],
      ['GET', '/api/runs/run_nope'],
      ['GET', '/api/runs/run_nope/events'],
      ['POST', '/api/runs/run_nope/cancel'],
    ] as const) {
      const res = await s.api(method, url, method === 'PUT' ? {} : undefined);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json().error).toBe('missing');
    }
  });

  it('updates fields (PUT), keeps the rest, accepts a GET body sent back, and clears with null', async () => {
    const created = await s.source({
      name: 'u',
      description: 'd',
      data_credentials_id: credentialId,
      source_config: { streams: ['errors'] },
      poll_schedule: 'daily',
    });
    const put = await s.api('PUT', `/api/data_sources/${created.id}`, {
      name: 'renamed',
      source_config: { start_date: '7d', releases_full_pass_interval: '6h' },
      poll_schedule: null,
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({
      name: 'renamed',
      description: 'd',
      poll_schedule: null,
      next_run_at: null,
      source_config: { streams: ['errors'], start_date: '7d', releases_full_pass_interval: '6h' },
    });
    const got = (await s.api('GET', `/api/data_sources/${created.id}`)).json();
    const back = await s.api('PUT', `/api/data_sources/${created.id}`, got);
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json()).toMatchObject({ name: 'renamed', source_config: { streams: ['errors'], start_date: '7d' } });
    const cleared = await s.api('PUT', `/api/data_sources/${created.id}`, {
      description: null,
      source_config: { streams: null, start_date: null },
    });
    expect(cleared.json()).toMatchObject({ description: null, source_config: { streams: null, start_date: null } });
    const bad = await s.api('PUT', `/api/data_sources/${created.id}`, { source_config: { streams: ['comments'] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().fields['source_config.streams']).toContain('errors');
  });

  it('pauses and activates; a disabled source (its credential deleted) cannot be activated (409)', async () => {
    const created = await s.source({ name: 'p', data_credentials_id: credentialId, poll_schedule: 'hourly' });
    const paused = await s.api('PUT', `/api/data_sources/${created.id}/pause`);
    expect(paused.json()).toMatchObject({ status: 'PAUSED', next_run_at: null });
    expect((await s.runtime.store.sources.listDue(new Date(Date.now() + 86_400_000))).map((x) => x.id)).not.toContain(
      created.id,
    );
    const active = await s.api('PUT', `/api/data_sources/${created.id}/activate`);
    expect(active.json().status).toBe('ACTIVE');
    expect((await s.api('DELETE', `/api/data_credentials/${credentialId}?force=true`)).statusCode).toBe(200);
    const disabled = (await s.api('GET', `/api/data_sources/${created.id}`)).json();
    expect(disabled).toMatchObject({ status: 'DISABLED', data_credentials_id: null });
    expect(disabled.status_reason).toBeTruthy();
    const activate = await s.api('PUT', `/api/data_sources/${created.id}/activate`);
    const run = await s.api('POST', `/api/data_sources/${created.id}/runs`);
    for (const r of [activate, run]) {
      expect(r.statusCode).toBe(409);
      // The API's own advice, never a CLI command (issue 13 item 16).
      const { hint, hints } = r.json();
      const advice = [hint ?? '', ...Object.values(hints ?? {})].join(' ');
      expect(advice).toMatch(/credential/);
      expect(advice).not.toMatch(/snagsync [a-z]|--[a-z]/);
    }
  });

  it('deletes a source and its runs; the destination and its data stay', async () => {
    const dest = `sqlite:${join(s.home, 'keep.db')}`;
    const created = await s.source({
      name: 'gone',
      data_credentials_id: credentialId,
      source_config: { streams: ['errors'] },
      destination: dest,
    });
    await s.runToEnd(created.id);
    const res = await s.api('DELETE', `/api/data_sources/${created.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ runs_removed: 1, destination_kept: dest, removed: { id: created.id } });
    expect((await s.api('GET', `/api/data_sources/${created.id}`)).statusCode).toBe(404);
    const d = await openDestination(dest);
    expect(await d.countRecords('errors')).toBe(projectCount() * 3);
    await d.close();
  });
});

describe('runs', () => {
  it('starts a run (202), which runs in the server; /api/runs/{id} totals match the destination', async () => {
    const dest = `sqlite:${join(s.home, 'runs.db')}`;
    const created = await s.source({
      name: 'r',
      data_credentials_id: credentialId,
      source_config: { streams: STREAMS },
      destination: dest,
    });
    const res = await s.api('POST', `/api/data_sources/${created.id}/runs`);
    expect(res.statusCode, res.body).toBe(202);
    const started = res.json();
    expect(started).toMatchObject({ status: 'running', live: true, trigger: 'api', source_id: created.id });
    expect(res.headers.location).toBe(`/api/runs/${started.run_id}`);
    const summary = await s.app.snag.runs.get(started.run_id)!.handle.done;
    expect(summary.status, JSON.stringify(summary.error)).toBe('succeeded');

    const run = (await s.api('GET', `/api/runs/${started.run_id}`)).json();
    expect(run).toMatchObject({ id: started.run_id, status: 'succeeded', live: false, error: null, source_name: 'r' });
    const d = await openDestination(dest);
    const counts: Record<string, number> = {};
    for (const stream of STREAMS) counts[stream] = await d.countRecords(stream);
    await d.close();
    const byStream: Record<string, number> = {};
    for (const r of run.streams as Array<{ stream: string; records_written: number; outcome: string }>) {
      byStream[r.stream] = (byStream[r.stream] ?? 0) + r.records_written;
      expect(r.outcome).toBe('ok');
    }
    expect(byStream).toEqual(counts);
    expect(run.totals.records_written).toBe(Object.values(counts).reduce((a, b) => a + b, 0));
    expect(counts.events).toBe(projectCount() * 40);
    expect(run.totals.requests).toBeGreaterThan(0);
    expect(run.totals.pages).toBeGreaterThan(0);

    const source = (await s.api('GET', `/api/data_sources/${created.id}`)).json();
    expect(source.last_run).toMatchObject({
      id: started.run_id,
      status: 'succeeded',
      records_written: run.totals.records_written,
    });
    expect(source.run_ids.map((r: { id: string }) => r.id)).toEqual([started.run_id]);
    const history = (await s.api('GET', `/api/data_sources/${created.id}/runs`)).json();
    expect(history.map((r: { id: string }) => r.id)).toEqual([started.run_id]);
    const all = (await s.api('GET', '/api/runs?status=succeeded')).json();
    expect(all.map((r: { id: string }) => r.id)).toEqual([started.run_id]);
    expect((await s.api('GET', '/api/runs?status=bogus')).statusCode).toBe(400);
    expect((await s.api('GET', '/api/runs?limit=0')).statusCode).toBe(400);
  });

  it('409 while a run of the source is live; cancel stops it (cancelled, committed data kept); cancel after the end is 409', async () => {
    // A slow sync: every answer waits 150 ms, so the run is surely live while the test acts.
    sim.setFaults('slow:150ms');
    try {
      const created = await s.source({
        name: 'slow',
        data_credentials_id: credentialId,
        source_config: { streams: ['errors', 'events', 'releases'] },
      });
      const first = await s.api('POST', `/api/data_sources/${created.id}/runs`);
      expect(first.statusCode).toBe(202);
      const id = first.json().run_id as string;
      const second = await s.api('POST', `/api/data_sources/${created.id}/runs`);
      expect(second.statusCode).toBe(409);
      expect(second.json().message).toContain('already being synced');
      expect((await s.api('DELETE', `/api/data_sources/${created.id}`)).statusCode).toBe(409);
      expect((await s.api('GET', `/api/data_sources/${created.id}`)).json().live_run_id).toBe(id);
      const cancel = await s.api('POST', `/api/runs/${id}/cancel`);
      expect(cancel.statusCode).toBe(202);
      const summary = await s.app.snag.runs.get(id)!.handle.done;
      expect(summary.status).toBe('cancelled');
      const run = (await s.api('GET', `/api/runs/${id}`)).json();
      expect(run.status).toBe('cancelled');
      expect(run.error.error).toBe('aborted');
      expect((await s.api('POST', `/api/runs/${id}/cancel`)).statusCode).toBe(409);
    } finally {
      sim.setFaults('');
    }
  });

  it('validates a run request; streams narrow the run', async () => {
    const created = await s.source({
      name: 'n',
      data_credentials_id: credentialId,
      source_config: { streams: STREAMS },
    });
    for (const body of [{ streams: 'errors' }, { streams: ['nope'] }, { full_refresh: 'yes' }, { other: 1 }]) {
      const res = await s.api('POST', `/api/data_sources/${created.id}/runs`, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
    const res = await s.api('POST', `/api/data_sources/${created.id}/runs`, {
      streams: ['errors'],
      full_refresh: true,
    });
    expect(res.statusCode).toBe(202);
    await s.app.snag.runs.get(res.json().run_id)!.handle.done;
    const run = (await s.api('GET', `/api/runs/${res.json().run_id}`)).json();
    expect(run).toMatchObject({ full_refresh: true, streams_requested: ['errors'] });
    expect(new Set(run.streams.map((r: { stream: string }) => r.stream))).toEqual(new Set(['errors']));
  });
});

describe("preview (the wizard's Test)", () => {
  it('reads a few records of a draft or a saved source and saves nothing', async () => {
    const draft = await s.api('POST', '/api/data_sources/preview', {
      data_credentials_id: credentialId,
      source_config: { streams: ['errors'] },
      stream: 'errors',
      limit: 2,
    });
    expect(draft.statusCode, draft.body).toBe(200);
    const p = draft.json();
    expect(p).toMatchObject({ stream: 'errors', saved: false, partition: { kind: 'project' } });
    expect(p.records).toHaveLength(2);
    expect(p.records[0].project_id).toBe(p.partition.key.replace('project:', ''));
    expect(p.requests).toBeGreaterThan(0);
    const created = await s.source({ name: 'pv', data_credentials_id: credentialId, destination: 'sqlite:pv.db' });
    const saved = await s.api('POST', `/api/data_sources/${created.id}/preview`, { stream: 'organizations' });
    expect(saved.json()).toMatchObject({ stream: 'organizations', partition: { kind: 'global' } });
    expect(saved.json().records.length).toBeGreaterThan(0);
    // Nothing saved: no run, no destination file.
    expect((await s.api('GET', '/api/runs')).json()).toEqual([]);
    const d = await openDestination(`sqlite:${join(s.home, 'pv.db')}`);
    expect(await d.countRecords('organizations')).toBe(0);
    await d.close();
  });

  it('field errors are 400 on the API names; a revoked token is 422', async () => {
    const bad = await s.api('POST', '/api/data_sources/preview', {
      data_credentials_id: credentialId,
      source_config: { start_date: 'soonish' },
      stream: 'nope',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('stream');
    const bad2 = await s.api('POST', '/api/data_sources/preview', {
      data_credentials_id: credentialId,
      source_config: { start_date: 'soonish' },
    });
    expect(bad2.json().field).toBe('source_config.start_date');
    expect((await s.api('POST', '/api/data_sources/preview', { source_config: {} })).json().field).toBe(
      'data_credentials_id',
    );
    const admin = sim.tokens.find((t) => t.role === 'admin')!.token;
    sim.revokeToken(admin);
    try {
      const revoked = await s.api('POST', '/api/data_sources/preview', { data_credentials_id: credentialId });
      expect(revoked.statusCode).toBe(422);
      expect(revoked.json().error).toMatch(/^auth_/);
    } finally {
      sim.restoreToken(admin);
    }
  });
});
