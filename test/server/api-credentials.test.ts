import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { last4 } from '../../src/core/redact.js';
import type { Simulator } from '../../src/sim/index.js';
import { closedPort, notifierKey, startSmallSim } from '../credentials/helpers.js';
import { keyHeaders, login, testServer, type TestServer } from './helpers.js';

/** `/api/data_credentials` over inject, against the simulator. */

let sim: Simulator;
beforeAll(async () => {
  sim = await startSmallSim();
});
afterAll(async () => {
  await sim.close();
});

let s: TestServer;
beforeEach(async () => {
  s = await testServer({ verify: { logger: false, timeoutMs: 5000 } });
});
afterEach(async () => {
  sim.setFaults('');
  for (const t of sim.tokens) sim.restoreToken(t.token);
  await s.cleanup();
});

const admin = () => sim.tokens.find((t) => t.role === 'admin')!;
const member = () => sim.tokens.find((t) => t.role === 'member')!;

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
async function api(method: Method, url: string, payload?: unknown, headers: Record<string, string> = {}) {
  const res = await s.app.inject({
    method,
    url,
    headers: { ...keyHeaders(), ...headers },
    ...(payload === undefined ? {} : typeof payload === 'string' ? { payload } : { payload: payload as object }),
  });
  return {
    status: res.statusCode,
    body: res.body,
    // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field in assertions, any shape
    json: () => res.json() as Record<string, any>,
    headers: res.headers,
  };
}

async function create(name: string, token = admin().token, extra: Record<string, unknown> = {}) {
  const r = await api('POST', '/api/data_credentials', {
    name,
    description: 'for tests',
    credentials: { auth_token: token, host: sim.url },
    ...extra,
  });
  expect(r.status, r.body).toBe(201);
  return r.json();
}

async function addSource(credentialId: string, name: string) {
  return s.runtime.store.sources.create({
    name,
    credential_id: credentialId,
    config: {},
    destination: `sqlite:${s.home}/b.db`,
  });
}

describe('create, list, get', () => {
  it('creates a VERIFIED credential and answers in the Nexla shape, never with the token', async () => {
    const token = admin().token;
    const c = await create('Prod', token);
    expect(c).toMatchObject({
      name: 'Prod',
      description: 'for tests',
      credentials_type: 'bugsnag',
      connector: 'bugsnag',
      credentials_non_secure_data: { host: sim.url, token_last4: last4(token) },
      verified_status: 'VERIFIED',
      verify_error: null,
      sources_count: 0,
      sources: [],
    });
    expect(c.id).toMatch(/^cred_/);
    expect(c.verified_at).toEqual(expect.any(String));
    expect(c.organizations.map((o: { id: string }) => o.id)).toEqual(admin().organizations);
    expect(c.rate_limit.limit).toBe(1_000_000);
    expect(JSON.stringify(c)).not.toContain(token);

    const list = await api('GET', '/api/data_credentials');
    expect(list.status).toBe(200);
    expect(list.json()).toEqual([expect.objectContaining({ id: c.id, name: 'Prod' })]);
    const one = await api('GET', `/api/data_credentials/${c.id}`);
    expect(one.json()).toMatchObject({ id: c.id, credentials_non_secure_data: { token_last4: last4(token) } });
    expect(list.body + one.body).not.toContain(token);
    expect(list.body).not.toContain('envelope');
  });

  it('saves unverified with verify:false; reports what it changed in the input', async () => {
    const r = await api('POST', '/api/data_credentials', {
      name: 'Later',
      credentials: { auth_token: `  token ${member().token}\n`, host: sim.url },
      verify: false,
    });
    expect(r.status).toBe(201);
    expect(r.json()).toMatchObject({
      verified_status: 'UNVERIFIED',
      verified_at: null,
      credentials_non_secure_data: { token_last4: last4(member().token) },
    });
    expect(r.json().notes.join(' ')).toMatch(/prefix/);
    expect(r.headers.location).toBe(`/api/data_credentials/${r.json().id}`);
  });

  it('lists the sources that use a credential', async () => {
    const c = await create('Used');
    await addSource(c.id, 'hourly errors');
    const one = (await api('GET', `/api/data_credentials/${c.id}`)).json();
    expect(one.sources_count).toBe(1);
    expect(one.sources).toEqual([expect.objectContaining({ name: 'hourly errors', status: 'active' })]);
  });
});

describe('validation: 400 with a message per field, never a 500', () => {
  it('reports every field problem at once', async () => {
    const r = await api('POST', '/api/data_credentials', {
      name: '',
      description: 'x'.repeat(1001),
      credentials: { auth_token: '' },
    });
    expect(r.status).toBe(400);
    const body = r.json();
    expect(body.error).toBe('config');
    expect(body.field).toBe('name');
    expect(Object.keys(body.fields).sort()).toEqual(['description', 'name', 'token']);
    expect(body.fields.name).toMatch(/name/i);
    expect(body.fields.description).toMatch(/1,?000/);
    expect(body.hints.token).toMatch(/Personal auth tokens/);
  });

  it('refuses a missing name, a plain-http host, a name that is taken (409), unknown fields', async () => {
    expect(
      (await api('POST', '/api/data_credentials', { credentials: { auth_token: admin().token } })).json().fields,
    ).toHaveProperty('name');
    const insecure = await api('POST', '/api/data_credentials', {
      name: 'a',
      credentials: { auth_token: admin().token, host: 'http://api.example.com' },
    });
    expect(insecure.status).toBe(400);
    expect(insecure.json().field).toBe('host');
    await create('Taken');
    const taken = await api('POST', '/api/data_credentials', {
      name: 'TAKEN',
      credentials: { auth_token: admin().token, host: sim.url },
    });
    expect(taken.status).toBe(409);
    expect(taken.json()).toMatchObject({ error: 'conflict', field: 'name' });
    const unknown = await api('POST', '/api/data_credentials', {
      name: 'x',
      color: 'blue',
      credentials: { auth_token: 'abcdefabcdef', extra: 1 },
    });
    expect(unknown.status).toBe(400);
    expect(Object.keys(unknown.json().fields).sort()).toEqual(['color', 'credentials.extra']);
  });

  const FUZZ: Array<[string, unknown, Record<string, string>?]> = [
    ['a number for the name', { name: 42, credentials: { auth_token: 'abcdefghijkl' } }],
    ['an array body', [1, 2, 3]],
    ['a string body', '"hello"', { 'content-type': 'application/json' }],
    ['null', 'null', { 'content-type': 'application/json' }],
    ['credentials as a string', { name: 'x', credentials: 'abc' }],
    ['credentials as an array', { name: 'x', credentials: ['abc'] }],
    ['a token as an object', { name: 'x', credentials: { auth_token: { a: 1 } } }],
    ['a host as a number', { name: 'x', credentials: { auth_token: 'abcdefghijkl', host: 5 } }],
    ['verify as a string', { name: 'x', credentials: { auth_token: 'abcdefghijkl' }, verify: 'no' }],
    ['credentials_type other', { name: 'x', credentials_type: 'github', credentials: { auth_token: 'abcdefghijkl' } }],
    ['a huge name', { name: 'n'.repeat(20_000), credentials: { auth_token: 'abcdefghijkl' } }],
    ['control characters', { name: 'a\u0000b', credentials: { auth_token: 'abcdefghijkl' } }],
    ['a token with spaces', { name: 'x', credentials: { auth_token: 'abc def ghi jkl' } }],
    [
      'a host with credentials in it',
      { name: 'x', credentials: { auth_token: 'abcdefghijkl', host: 'https://u:p@api.bugsnag.com' } },
    ],
    ['invalid JSON', '{"name": ', { 'content-type': 'application/json' }],
    ['an empty JSON body', '', { 'content-type': 'application/json' }],
    ['no body at all', undefined],
    ['deeply nested', JSON.parse(`${'{"a":'.repeat(500)}1${'}'.repeat(500)}`)],
  ];
  for (const [what, payload, headers] of FUZZ) {
    it(`400 for ${what}`, async () => {
      const r = await api('POST', '/api/data_credentials', payload, headers);
      expect(r.status, r.body).toBe(400);
      expect(r.json()).toMatchObject({ error: expect.any(String), message: expect.any(String), status: 400 });
    });
  }

  it('415 for another content type, 413 for a body past the limit', async () => {
    const text = await api('POST', '/api/data_credentials', 'name=x', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect(text.json().error).toBe('unsupported_media_type');
    const huge = await api(
      'POST',
      '/api/data_credentials',
      JSON.stringify({ name: 'x', description: 'd'.repeat(100_000) }),
      { 'content-type': 'application/json' },
    );
    expect(huge.status).toBe(413);
    expect(huge.json().error).toBe('payload_too_large');
  });

  it('the same rules on PUT, and PUT with nothing to change is a 400', async () => {
    const c = await create('Edit me');
    expect((await api('PUT', `/api/data_credentials/${c.id}`, {})).status).toBe(400);
    expect((await api('PUT', `/api/data_credentials/${c.id}`, { name: '' })).json().fields).toHaveProperty('name');
    expect((await api('PUT', `/api/data_credentials/${c.id}`, [1])).status).toBe(400);
    expect(
      (await api('PUT', `/api/data_credentials/${c.id}`, '{', { 'content-type': 'application/json' })).status,
    ).toBe(400);
  });
});

describe('verification failures: 422 with the field and the CLI message', () => {
  it('a wrong token', async () => {
    const r = await api('POST', '/api/data_credentials', {
      name: 'bad',
      credentials: { auth_token: 'not-a-real-token-1234', host: sim.url },
    });
    expect(r.status).toBe(422);
    expect(r.json()).toMatchObject({ error: 'auth_invalid', field: 'token', exit_code: 10 });
    expect(r.json().message).toMatch(/rejected the token/);
    expect(r.json().hint).toMatch(/Generate New Token/);
    expect(await s.runtime.store.credentials.list()).toHaveLength(0);
  });

  it('a project API key gets its own message', async () => {
    const r = await api('POST', '/api/data_credentials', {
      name: 'notifier',
      credentials: { auth_token: notifierKey(sim), host: sim.url },
    });
    expect(r.status).toBe(422);
    expect(r.json()).toMatchObject({ error: 'auth_project_key', field: 'token' });
    expect(r.json().message).toMatch(/project API key/);
  });

  it('an unreachable host is on the host field', async () => {
    const r = await api('POST', '/api/data_credentials', {
      name: 'offline',
      credentials: { auth_token: admin().token, host: await closedPort() },
    });
    expect(r.status).toBe(422);
    expect(r.json()).toMatchObject({ error: 'network', field: 'host' });
  });

  it('a rate limit is 429 with Retry-After; a Bugsnag server error is 502', async () => {
    sim.setFaults('429storm:30s');
    const limited = await api('POST', '/api/data_credentials', {
      name: 'rl',
      credentials: { auth_token: admin().token, host: sim.url },
    });
    expect(limited.status).toBe(429);
    expect(limited.json().error).toBe('rate_limited');
    sim.setFaults('500:1');
    const down = await api('POST', '/api/data_credentials', {
      name: 'down',
      credentials: { auth_token: admin().token, host: sim.url },
    });
    expect(down.status).toBe(502);
    expect(down.json().error).toBe('server_error');
  });

  it('PUT with a bad new token keeps the old one', async () => {
    const c = await create('Keep', admin().token);
    const r = await api('PUT', `/api/data_credentials/${c.id}`, {
      credentials: { auth_token: 'wrong-token-wrong-token' },
    });
    expect(r.status).toBe(422);
    expect(r.json().field).toBe('token');
    const after = (await api('GET', `/api/data_credentials/${c.id}`)).json();
    expect(after.credentials_non_secure_data.token_last4).toBe(last4(admin().token));
    expect(after.verified_status).toBe('VERIFIED');
    const ok = await api('PUT', `/api/data_credentials/${c.id}`, {
      name: 'Kept',
      credentials: { auth_token: member().token },
    });
    expect(ok.status, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({
      name: 'Kept',
      credentials_non_secure_data: { token_last4: last4(member().token) },
      changed: ['name', 'token'],
    });
  });

  it('PUT accepts a GET body sent back (read-only fields ignored)', async () => {
    const c = await create('Roundtrip');
    const r = await api('PUT', `/api/data_credentials/${c.id}`, { ...c, description: 'changed' });
    expect(r.status, r.body).toBe(200);
    expect(r.json()).toMatchObject({ description: 'changed', changed: ['description'] });
  });
});

describe('unknown ids and deletes', () => {
  it('404 for an unknown id on every route', async () => {
    const id = 'cred_0000000000000000000';
    for (const [method, url] of [
      ['GET', `/api/data_credentials/${id}`],
      ['PUT', `/api/data_credentials/${id}`],
      ['DELETE', `/api/data_credentials/${id}`],
      ['GET', `/api/data_credentials/${id}/probe`],
      ['POST', `/api/data_credentials/${id}/probe`],
      ['POST', `/api/data_credentials/${id}/probe/sample`],
    ] as const) {
      const r = await api(method, url, method === 'PUT' ? { name: 'x' } : undefined);
      expect(r.status, `${method} ${url}`).toBe(404);
      expect(r.json().error).toBe('missing');
    }
  });

  it('a delete is refused (409, with the sources) while a source uses the credential; force disables them', async () => {
    const c = await create('In use');
    const src = await addSource(c.id, 'nightly');
    const refused = await api('DELETE', `/api/data_credentials/${c.id}`);
    expect(refused.status).toBe(409);
    expect(refused.json()).toMatchObject({
      error: 'conflict',
      sources: [{ id: src.id, name: 'nightly', status: 'active' }],
    });
    const forced = await api('DELETE', `/api/data_credentials/${c.id}?force=true`);
    expect(forced.status).toBe(200);
    expect(forced.json()).toMatchObject({ removed: { id: c.id }, disabled_sources: [{ id: src.id, name: 'nightly' }] });
    expect((await s.runtime.store.sources.get(src.id))?.status).toBe('disabled');
    expect((await api('GET', `/api/data_credentials/${c.id}`)).status).toBe(404);
  });
});

describe('probe and sample', () => {
  it('POST probe re-verifies: organizations, latency, rate limit; a revoked token is 422 and FAILED', async () => {
    const c = await create('Probe', member().token);
    const r = await api('POST', `/api/data_credentials/${c.id}/probe`);
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({
      ok: true,
      verified_status: 'VERIFIED',
      latency_ms: expect.any(Number),
      rate_limit: { limit: 1_000_000 },
    });
    expect(r.json().organizations.map((o: { id: string }) => o.id)).toEqual(member().organizations);
    sim.revokeToken(member().token);
    const revoked = await api('POST', `/api/data_credentials/${c.id}/probe`);
    expect(revoked.status).toBe(422);
    expect(revoked.json()).toMatchObject({
      ok: false,
      error: 'auth_revoked',
      field: 'token',
      verified_status: 'FAILED',
      credential: { id: c.id, verified_status: 'FAILED' },
    });
    expect(revoked.json().credential.verify_error.message).toMatch(/now rejects/);
  });

  it('GET probe only reads the last recorded outcome: Bugsnag is not called, nothing changes', async () => {
    const c = await create('Probe read', member().token);
    expect((await api('POST', `/api/data_credentials/${c.id}/probe`)).status).toBe(200);
    sim.revokeToken(member().token);
    // A call to Bugsnag would now fail and record FAILED: the GET must not make one.
    for (let i = 0; i < 2; i++) {
      const read = await api('GET', `/api/data_credentials/${c.id}/probe`);
      expect(read.status).toBe(200);
      expect(read.json()).toMatchObject({ credential_id: c.id, verified_status: 'VERIFIED', verify_error: null });
      expect(read.json().organizations.map((o: { id: string }) => o.id)).toEqual(member().organizations);
    }
    expect((await api('GET', `/api/data_credentials/${c.id}`)).json().verified_status).toBe('VERIFIED');
    expect((await api('POST', `/api/data_credentials/${c.id}/probe`)).status).toBe(422);
    const after = await api('GET', `/api/data_credentials/${c.id}/probe`);
    expect(after.json()).toMatchObject({ verified_status: 'FAILED', verify_error: { error: 'auth_revoked' } });
  });

  it('a browser session needs its CSRF token to probe (POST); GET probe changes nothing', async () => {
    const c = await create('Probe csrf', member().token);
    const b = await login(s.app);
    const noToken = await s.app.inject({
      method: 'POST',
      url: `/api/data_credentials/${c.id}/probe`,
      headers: { cookie: b.cookie, 'sec-fetch-site': 'same-site' },
    });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json().error).toBe('csrf');
    expect((await api('GET', `/api/data_credentials/${c.id}`)).json().verified_at).toBe(c.verified_at as string | null);
    const withToken = await s.app.inject({
      method: 'POST',
      url: `/api/data_credentials/${c.id}/probe`,
      headers: { cookie: b.cookie, 'x-csrf-token': b.csrf },
    });
    expect(withToken.statusCode).toBe(200);
    const read = await s.app.inject({
      method: 'GET',
      url: `/api/data_credentials/${c.id}/probe`,
      headers: { cookie: b.cookie },
    });
    expect(read.statusCode).toBe(200);
    expect(read.json().verified_status).toBe('VERIFIED');
  });

  it('sample reads a few organizations and their first projects', async () => {
    const c = await create('Sample');
    const r = await api('POST', `/api/data_credentials/${c.id}/probe/sample`);
    expect(r.status, r.body).toBe(200);
    const body = r.json();
    expect(body.organizations.length).toBeGreaterThan(0);
    expect(body.organizations.length).toBeLessThanOrEqual(3);
    expect(body.projects.length).toBeGreaterThan(0);
    const info = sim.info();
    const org = info.organizations.find((o) => o.id === body.organizations[0].id)!;
    expect(
      body.projects
        .filter((p: { organization_id: string }) => p.organization_id === org.id)
        .map((p: { id: string }) => p.id)
        .sort(),
    ).toEqual(
      org.projects
        .map((p) => p.id)
        .slice(0, 5)
        .sort(),
    );
    sim.revokeToken(admin().token);
    const revoked = await api('POST', `/api/data_credentials/${c.id}/probe/sample`);
    expect(revoked.status).toBe(422);
    expect(revoked.json()).toMatchObject({ error: 'auth_revoked', field: 'token' });
  });

  it('a revoked token gets one classification: auth_revoked on the probe and on the sample, in either order', async () => {
    const c = await create('Revoked twice', member().token);
    sim.revokeToken(member().token);
    const sample = await api('POST', `/api/data_credentials/${c.id}/probe/sample`);
    const probe = await api('POST', `/api/data_credentials/${c.id}/probe`);
    const sampleAgain = await api('POST', `/api/data_credentials/${c.id}/probe/sample`);
    for (const r of [sample, probe, sampleAgain]) {
      expect(r.status, r.body).toBe(422);
      expect(r.json()).toMatchObject({ error: 'auth_revoked', field: 'token' });
    }
    expect(sample.json().message).toBe(probe.json().message);
    expect(sample.json().hint).toBe(probe.json().hint);
  });
});
