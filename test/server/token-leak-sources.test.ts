import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { keyHeaders, login, TEST_KEY } from './helpers.js';
import { sourcesServer, startSim, type SourcesServer } from './sources-helpers.js';

/**
 * No token in anything the sources, runs and overview routes send or log (debug level): API answers and errors,
 * previews, a run's event stream, the pages — including a run that fails because the token was revoked mid-way.
 */

let sim: Simulator;
let s: SourcesServer;
beforeAll(async () => {
  sim = await startSim();
  s = await sourcesServer();
  await s.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  s.app.server.closeAllConnections();
  await s.cleanup();
  await sim.close();
});

describe('no secret leaves the server (sources, runs, overview)', () => {
  it('across every flow', async () => {
    const admin = sim.tokens.find((t) => t.role === 'admin')!.token;
    const base = `http://127.0.0.1:${(s.app.server.address() as AddressInfo).port}`;
    const seen: string[] = [];
    const keep = async (p: Promise<{ statusCode: number; headers: unknown; body: string }>) => {
      const r = await p;
      seen.push(`${r.statusCode} ${JSON.stringify(r.headers)}\n${r.body}`);
      return r;
    };
    const credentialId = await s.credential(sim);
    const src = (
      await keep(
        s.api('POST', '/api/data_sources', {
          name: 'leak',
          data_credentials_id: credentialId,
          source_config: { streams: ['errors', 'events'] },
        }),
      )
    ).body;
    const id = (JSON.parse(src) as { id: string }).id;
    await keep(
      s.api('POST', '/api/data_sources', {
        name: admin,
        data_credentials_id: admin,
        destination: admin,
        source_config: { streams: [admin] },
      }),
    );
    await keep(s.api('POST', '/api/data_sources/preview', { data_credentials_id: credentialId, stream: 'events' }));
    await keep(s.api('POST', `/api/data_sources/${id}/preview`, { stream: 'errors' }));
    const started = await keep(s.api('POST', `/api/data_sources/${id}/runs`));
    const runId = (JSON.parse(started.body) as { run_id: string }).run_id;
    const stream = await fetch(`${base}/api/runs/${runId}/events`, { headers: keyHeaders() });
    seen.push(await stream.text());
    await keep(s.api('GET', `/api/runs/${runId}`));
    // A run that fails: the token is revoked before it starts reading.
    sim.revokeToken(admin);
    try {
      await keep(s.api('POST', '/api/data_sources/preview', { data_credentials_id: credentialId }));
      const failed = JSON.parse((await keep(s.api('POST', `/api/data_sources/${id}/runs`))).body) as { run_id: string };
      const events = await fetch(`${base}/api/runs/${failed.run_id}/events`, { headers: keyHeaders() });
      const text = await events.text();
      seen.push(text);
      expect(text).toContain('"status":"failed"');
      await keep(s.api('GET', `/api/runs/${failed.run_id}`));
    } finally {
      sim.restoreToken(admin);
    }
    const b = await login(s.app);
    for (const url of [
      '/',
      '/sources',
      `/sources/${id}`,
      '/sources/new',
      `/sources/${id}/edit`,
      '/runs',
      `/runs/${runId}`,
    ]) {
      await keep(s.app.inject({ method: 'GET', url, headers: { cookie: b.cookie } }));
    }
    const everything = [...seen, ...s.logs].join('\n');
    expect(seen.length).toBeGreaterThan(15);
    expect(s.logs.some((l) => l.includes('run finished'))).toBe(true);
    for (const [what, secret] of Object.entries({ admin, serverKey: TEST_KEY }))
      expect(everything.includes(secret), `${what} leaked`).toBe(false);
    expect(everything).toContain(`…${admin.slice(-4)}`);
  });
});
