import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { login, postForm, type Browser } from './helpers.js';
import { type SourcesServer, sourcesServer, startSim } from './sources-helpers.js';

/**
 * Full refresh from the source page, over the real server and the simulator: the page asks first (every stream, or
 * one), the POST starts a run with its checkpoints reset, and that run reads the stream again from the start — as many
 * events as the first sync, where an incremental run reads only what is new.
 */

let sim: Simulator;
let s: SourcesServer;
let browser: Browser;

beforeAll(async () => {
  sim = await startSim({ orgs: 1, projects: 1, errors: 4, events: 60 });
  s = await sourcesServer();
  browser = await login(s.app);
});

afterAll(async () => {
  await s?.cleanup();
  await sim?.close();
});

interface RunView {
  status: string;
  full_refresh: boolean;
  streams_requested: string[] | null;
  streams: Array<{ stream: string; records_read: number }>;
}

const readOf = (run: RunView, stream: string) =>
  run.streams.filter((r) => r.stream === stream).reduce((n, r) => n + r.records_read, 0);

describe('full refresh from the web UI', () => {
  it('asks first, then re-reads the chosen stream from the start', async () => {
    const credential = await s.credential(sim);
    const source = await s.source({
      name: 'refreshable',
      data_credentials_id: credential,
      source_config: { streams: ['errors', 'events'] },
    });
    const first = (await s.api('GET', `/api/runs/${await s.runToEnd(source.id)}`)).json() as RunView;
    const again = (await s.api('GET', `/api/runs/${await s.runToEnd(source.id)}`)).json() as RunView;
    expect(first.status).toBe('succeeded');
    const events = readOf(first, 'events');
    expect(events).toBe(60);
    // Incremental: only the look-back window is read again.
    expect(readOf(again, 'events')).toBeLessThan(events);

    const page = await s.app.inject({
      method: 'GET',
      url: `/sources/${source.id}`,
      headers: { cookie: browser.cookie },
    });
    expect(page.body).toContain(`href="/sources/${source.id}/refresh"`);
    const confirm = await s.app.inject({
      method: 'GET',
      url: `/sources/${source.id}/refresh?stream=events`,
      headers: { cookie: browser.cookie },
    });
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('Full refresh of refreshable?');
    expect(confirm.body).toMatch(/<option value="events" selected>Only events<\/option>/);
    expect(confirm.body).toContain('The checkpoints are reset');

    const res = await postForm(s.app, browser, `/sources/${source.id}/refresh`, { stream: 'events' });
    expect(res.statusCode).toBe(303);
    const runId = /\/runs\/(run_[0-9a-z]+)/.exec(String(res.headers.location))![1]!;
    await s.app.snag.runs.get(runId)!.handle.done;
    const refreshed = (await s.api('GET', `/api/runs/${runId}`)).json() as RunView;
    expect(refreshed).toMatchObject({ status: 'succeeded', full_refresh: true, streams_requested: ['events'] });
    expect(readOf(refreshed, 'events')).toBe(events);
    expect(refreshed.streams.some((r) => r.stream === 'errors')).toBe(false);

    // Every stream: the same without a stream chosen.
    const all = await postForm(s.app, browser, `/sources/${source.id}/refresh`, { stream: '' });
    const allId = /\/runs\/(run_[0-9a-z]+)/.exec(String(all.headers.location))![1]!;
    await s.app.snag.runs.get(allId)!.handle.done;
    const whole = (await s.api('GET', `/api/runs/${allId}`)).json() as RunView;
    expect(whole).toMatchObject({ full_refresh: true, streams_requested: null });
    expect(readOf(whole, 'events')).toBe(events);
    expect(readOf(whole, 'errors')).toBe(readOf(first, 'errors'));
  });
});
