import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { login, type Browser } from './helpers.js';
import { type SourcesServer, sourcesServer, startSim } from './sources-helpers.js';

/**
 * The Sources list shows a failed last run's error inline (and no longer once a run succeeds); the source page shows
 * records and duration across its finished runs, oldest first, with their medians — over real runs against the
 * simulator.
 */

let sim: Simulator;
let s: SourcesServer;
let browser: Browser;

beforeAll(async () => {
  sim = await startSim({ orgs: 1, projects: 1, errors: 3, events: 20 });
  s = await sourcesServer();
  browser = await login(s.app);
});

afterAll(async () => {
  await s?.cleanup();
  await sim?.close();
});

const get = async (url: string) =>
  (await s.app.inject({ method: 'GET', url, headers: { cookie: browser.cookie } })).body;

describe('run history in the source pages', () => {
  it('shows the last error inline, and records and duration across runs', async () => {
    const credential = await s.credential(sim);
    const source = await s.source({
      name: 'history',
      data_credentials_id: credential,
      source_config: { streams: ['organizations', 'errors'] },
    });
    const first = await s.runToEnd(source.id);
    expect(await get('/sources')).not.toContain('data-last-error');

    sim.setFaults('500:1');
    const failed = await s.runToEnd(source.id);
    sim.setFaults('');
    const run = (await s.api('GET', `/api/runs/${failed}`)).json() as { status: string; error: { message: string } };
    expect(run.status).toBe('failed');
    const list = await get('/sources');
    const inline = /<span class="row-error" data-last-error>([^<]*)<\/span>/.exec(list);
    expect(inline?.[1]).toBe(run.error.message.replace(/"/g, '&quot;').slice(0, 200));

    const third = await s.runToEnd(source.id);
    expect(await get('/sources')).not.toContain('data-last-error');

    const page = await get(`/sources/${source.id}`);
    expect(page).toContain('Records and duration across runs');
    const order = [...page.matchAll(/data-trend-run="(run_[0-9a-z]+)"/g)].map((m) => m[1]);
    expect(order).toEqual([first, failed, third]);
    const totals = await Promise.all(
      [first, failed, third].map(
        async (id) => ((await s.api('GET', `/api/runs/${id}`)).json() as { totals: { records_read: number } }).totals,
      ),
    );
    const median = [...totals.map((t) => t.records_read)].sort((a, b) => a - b)[1]!;
    expect(page).toContain(`<span data-median-records>${median.toLocaleString('en-US')}</span>`);
    expect(page).toMatch(
      new RegExp(`<meter min="0" max="\\d+" value="${totals[0]!.records_read}" aria-hidden="true"></meter>`),
    );
  });
});
