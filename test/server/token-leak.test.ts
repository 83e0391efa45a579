import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import type { Simulator } from '../../src/sim/index.js';
import { closedPort, notifierKey, startSmallSim } from '../credentials/helpers.js';
import { keyHeaders, login, postForm, testServer, TEST_KEY, type TestServer } from './helpers.js';

/**
 * The token never appears in any response (body or header) or log line (captured at debug level), on any path:
 * success, every kind of failure, the pages with and without JS, probe, sample, update, delete. Nor does the
 * server key or a session id.
 */

let sim: Simulator;
let s: TestServer;
beforeAll(async () => {
  sim = await startSmallSim();
  s = await testServer({ verify: { timeoutMs: 5000 } });
});
afterAll(async () => {
  await s.cleanup();
  await sim.close();
});

describe('no secret leaves the server', () => {
  it('across every credential flow', async () => {
    const responses: LightMyRequestResponse[] = [];
    const keep = (r: LightMyRequestResponse) => {
      responses.push(r);
      return r;
    };
    const admin = sim.tokens.find((t) => t.role === 'admin')!.token;
    const member = sim.tokens.find((t) => t.role === 'member')!.token;
    const project = notifierKey(sim);
    const wrong = 'a-wrong-token-nobody-issued-0001';
    const api = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
      s.app.inject({ method, url, headers: keyHeaders(), ...(payload ? { payload } : {}) }).then(keep);

    // API: good, prefixed, wrong, project key, unreachable host, invalid input holding a token.
    const created = (
      await api('POST', '/api/data_credentials', { name: 'a', credentials: { auth_token: admin, host: sim.url } })
    ).json() as { id: string };
    await api('POST', '/api/data_credentials', {
      name: 'b',
      credentials: { auth_token: `Bearer ${member}`, host: sim.url },
    });
    await api('POST', '/api/data_credentials', { name: 'c', credentials: { auth_token: wrong, host: sim.url } });
    await api('POST', '/api/data_credentials', { name: 'd', credentials: { auth_token: project, host: sim.url } });
    await api('POST', '/api/data_credentials', {
      name: 'e',
      credentials: { auth_token: admin, host: await closedPort() },
    });
    await api('POST', '/api/data_credentials', { name: '', bogus: 1, credentials: { auth_token: admin, nope: 2 } });
    await api('POST', '/api/data_credentials', { name: 'a', credentials: { auth_token: admin, host: sim.url } }); // 409
    await api('PUT', `/api/data_credentials/${created.id}`, { credentials: { auth_token: wrong } });
    await api('GET', '/api/data_credentials');
    await api('GET', `/api/data_credentials/${created.id}`);
    await api('POST', `/api/data_credentials/${created.id}/probe`);
    await api('POST', `/api/data_credentials/${created.id}/probe/sample`);
    sim.revokeToken(admin);
    await api('POST', `/api/data_credentials/${created.id}/probe`);
    await api('GET', `/api/data_credentials/${created.id}/probe`);
    await api('POST', `/api/data_credentials/${created.id}/probe/sample`);
    sim.restoreToken(admin);

    // Pages, without and with JS.
    const b = await login(s.app);
    const page = (url: string) => s.app.inject({ method: 'GET', url, headers: { cookie: b.cookie } }).then(keep);
    for (const mode of ['page', 'fetch'] as const) {
      keep(
        await postForm(
          s.app,
          b,
          '/credentials',
          { name: `p-${mode}`, token: admin, host: 'custom', host_custom: sim.url },
          mode,
        ),
      );
      keep(
        await postForm(
          s.app,
          b,
          '/credentials',
          { name: `q-${mode}`, token: wrong, host: 'custom', host_custom: sim.url },
          mode,
        ),
      );
      keep(
        await postForm(
          s.app,
          b,
          '/credentials',
          { name: `r-${mode}`, token: project, host: 'custom', host_custom: sim.url },
          mode,
        ),
      );
      keep(
        await postForm(s.app, b, '/credentials', { name: '', token: member, host: 'custom', host_custom: '' }, mode),
      );
      keep(await postForm(s.app, b, `/credentials/${created.id}/token`, { token: wrong }, mode));
      keep(await postForm(s.app, b, `/credentials/${created.id}/test`, {}, mode));
    }
    await page('/credentials');
    await page(`/credentials/${created.id}/edit`);
    await page(`/credentials/${created.id}/token`);
    await page(`/credentials/${created.id}/delete`);
    keep(await postForm(s.app, b, `/credentials/${created.id}/delete`, {}, 'fetch'));

    const everything = [
      ...responses.map((r) => `${r.statusCode} ${JSON.stringify(r.headers)}\n${r.body}`),
      ...s.logs,
    ].join('\n');
    expect(responses.length).toBeGreaterThan(30);
    expect(s.logs.length).toBeGreaterThan(30);
    const sessionId = b.cookie.split('=')[1]!;
    for (const [what, secret] of Object.entries({ admin, member, wrong, project, serverKey: TEST_KEY })) {
      expect(everything.includes(secret), `${what} leaked`).toBe(false);
    }
    // The session id is in the Set-Cookie of the login answer only (not collected here), never in a log line.
    expect(s.logs.join('\n')).not.toContain(sessionId);
    // The last four characters are what is shown.
    expect(everything).toContain(`…${admin.slice(-4)}`);
  });
});
