import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollerStatus } from '../../src/engine/poller/index.js';
import type { Simulator } from '../../src/sim/index.js';
import { until } from './webhooks-helpers.js';
import { login, type Browser } from './helpers.js';
import { sourcesServer, startSim, type SourcesServer } from './sources-helpers.js';

/**
 * Freshness shows the continuous poller's share of the token's budget: the figures of the poller this server's
 * scheduler runs (the engine's own status, read in the same process), and for a continuous source polled elsewhere
 * (a server without its scheduler), that it is not seen here.
 */

type Poller = {
  in_this_server: boolean;
  state: string | null;
  share: number | null;
  requests_per_window: number | null;
  limit_per_window: number | null;
} | null;

describe('freshness: the continuous poller', () => {
  let sim: Simulator;
  let s: SourcesServer;
  let quiet: SourcesServer;
  let b: Browser;
  let credentialId: string;

  beforeAll(async () => {
    sim = await startSim({ projects: 2, errors: 2, events: 10 });
    s = await sourcesServer({ executor: 'in-process', scheduler: { tickMs: 50 } });
    quiet = await sourcesServer({ executor: 'in-process' });
    credentialId = await s.credential(sim);
    b = await login(s.app);
  });
  afterAll(async () => {
    await s?.cleanup();
    await quiet?.cleanup();
    await sim?.close();
  });

  it("this server's poller: its share of the budget as the engine reports it, in the API and on the page", async () => {
    const src = await s.source({
      name: 'continuous',
      data_credentials_id: credentialId,
      source_config: { streams: ['events'] },
      destination: 'sqlite:continuous.db',
      poll_schedule: 'continuous',
    });
    const engine = await until('the poller to start', async () => pollerStatus(src.id) ?? null);
    const f = (await s.api('GET', `/api/data_sources/${src.id}/freshness`)).json() as { poller: Poller };
    expect(f.poller).toMatchObject({
      in_this_server: true,
      share: engine.share,
      limit_per_window: pollerStatus(src.id)!.limit_per_window,
      requests_per_window: pollerStatus(src.id)!.requests_per_window,
    });
    expect(f.poller!.share).toBeGreaterThan(0);
    const page = await s.app.inject({ method: 'GET', url: `/sources/${src.id}`, headers: { cookie: b.cookie } });
    expect(page.body).toMatch(/data-freshness-poller="[a-z-]+">Polled continuously \(/);
    expect(page.body).toContain(`${Math.round(engine.share * 100)} % of the token's budget`);
  });

  it('a continuous source whose poller runs elsewhere says so; a scheduled one has no poller', async () => {
    const cred = await quiet.credential(sim);
    const elsewhere = await quiet.source({
      name: 'polled elsewhere',
      data_credentials_id: cred,
      destination: 'sqlite:elsewhere.db',
      poll_schedule: 'continuous',
    });
    const f = (await quiet.api('GET', `/api/data_sources/${elsewhere.id}/freshness`)).json() as { poller: Poller };
    expect(f.poller).toMatchObject({ in_this_server: false, share: null });
    const hourly = await quiet.source({
      name: 'hourly',
      data_credentials_id: cred,
      destination: 'sqlite:hourly.db',
      poll_schedule: 'every 1h',
    });
    const g = (await quiet.api('GET', `/api/data_sources/${hourly.id}/freshness`)).json() as { poller: Poller };
    expect(g.poller).toBeNull();
  });
});
