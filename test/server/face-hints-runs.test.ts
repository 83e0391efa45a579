import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { login } from './helpers.js';
import { parseSse, sourcesServer, startSim, type SourcesServer } from './sources-helpers.js';

/**
 * A run's failure is stored once and read by every face: the CLI (`runs show`) advises its command, the API, the SSE
 * feed and the run page advise the web UI or the API — never `snagsync credentials update … --token-stdin`.
 */

const CLI = /snagsync [a-z]|(^|\s)--[a-z]/;

let sim: Simulator;
let s: SourcesServer;
beforeAll(async () => {
  sim = await startSim();
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  s = await sourcesServer();
});
afterEach(async () => {
  for (const t of sim.tokens) sim.restoreToken(t.token);
  await s.cleanup();
});

describe('a failed run, as each face shows it', () => {
  it('a revoked token: the API, the SSE feed and the run page advise "Replace token"; the store keeps the CLI hint too', async () => {
    const credentialId = await s.credential(sim);
    const source = await s.source({
      name: 'revoked-run',
      data_credentials_id: credentialId,
      source_config: { streams: ['errors'] },
    });
    sim.revokeToken(sim.tokens.find((t) => t.role === 'admin')!.token);
    const runId = await s.runToEnd(source.id);

    const stored = await s.runtime.store.runs.get(runId);
    expect(stored?.status).toBe('failed');
    expect(stored?.error?.error).toBe('auth_revoked');
    expect(stored?.error?.hint).toContain('--token-stdin');
    expect(stored?.error?.server_hint).toContain('Replace token');

    const api = (await s.api('GET', `/api/runs/${runId}`)).json();
    expect(api.error.error).toBe('auth_revoked');
    expect(api.error.hint).toContain('Replace token');
    expect(api.error.hint).not.toMatch(CLI);
    expect(api.error).not.toHaveProperty('server_hint');

    const feed = await s.api('GET', `/api/runs/${runId}/events`);
    const messages = parseSse(feed.body);
    const done = messages.find((m) => m.event === 'run-done');
    expect(done?.data?.error).toMatchObject({ error: 'auth_revoked' });
    expect(feed.body).toContain('Replace token');
    expect(feed.body).not.toContain('--token-stdin');
    expect(feed.body).not.toContain('server_hint');

    const b = await login(s.app);
    const page = await s.app.inject({ method: 'GET', url: `/runs/${runId}`, headers: { cookie: b.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Replace token');
    expect(page.body).not.toContain('snagsync credentials update');
  });
});
