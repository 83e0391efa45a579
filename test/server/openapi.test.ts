import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Simulator } from '../../src/sim/index.js';
import { startSmallSim } from '../credentials/helpers.js';
import { keyHeaders, testServer, type TestServer } from './helpers.js';

/** `/api/openapi.json`: covers every /api route, and the real answers validate against its schemas. */

let sim: Simulator;
let s: TestServer;
type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown> };
};
let doc: Doc;
beforeAll(async () => {
  sim = await startSmallSim();
  s = await testServer({ verify: { logger: false } });
  const res = await s.app.inject({ method: 'GET', url: '/api/openapi.json', headers: keyHeaders() });
  expect(res.statusCode).toBe(200);
  doc = res.json() as Doc;
});
afterAll(async () => {
  await s.cleanup();
  await sim.close();
});

function validator() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema({ $id: 'doc', components: doc.components });
  return (name: string, value: unknown) => {
    const validate = ajv.getSchema(`doc#/components/schemas/${name}`);
    if (!validate) throw new Error(`no schema ${name}`);
    const ok = validate(value);
    expect(ok, `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
  };
}

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 and documents every /api route the app serves', () => {
    expect(doc.openapi).toBe('3.1.0');
    const served = s.app.snag.routes
      .filter((r) => r.url.startsWith('/api/') && r.url !== '/api/openapi.json')
      .map((r) => `${r.method.toLowerCase()} ${r.url.replace(/:([a-z_]+)/g, '{$1}')}`);
    const documented = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m} ${p}`));
    expect(served.length).toBeGreaterThanOrEqual(8);
    expect(documented.sort()).toEqual(served.sort());
  });

  it('the request schema is generated from the credential type', () => {
    // biome-ignore lint/suspicious/noExplicitAny: a JSON Schema node of any shape
    const create = doc.components.schemas.DataCredentialCreate as { properties: Record<string, any> };
    expect(create.properties.name).toMatchObject({ title: 'Credential Name', maxLength: 100 });
    expect(create.properties.credentials.properties.auth_token).toMatchObject({ writeOnly: true, format: 'password' });
    expect(create.properties.credentials.properties.host.examples).toContain('https://api.bugsnag.smartbear.com');
  });

  it('real answers validate against it', async () => {
    const check = validator();
    const admin = sim.tokens.find((t) => t.role === 'admin')!.token;
    const api = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
      (await s.app.inject({ method, url, headers: keyHeaders(), ...(payload ? { payload } : {}) })).json();
    const created = await api('POST', '/api/data_credentials', {
      name: 'doc',
      credentials: { auth_token: admin, host: sim.url },
    });
    check('DataCredential', created);
    check('DataCredentialCreate', { name: 'doc', credentials: { auth_token: 'x', host: sim.url } });
    for (const c of await api('GET', '/api/data_credentials')) check('DataCredential', c);
    check('DataCredential', await api('PUT', `/api/data_credentials/${created.id}`, { description: 'x' }));
    check('ProbeResult', await api('POST', `/api/data_credentials/${created.id}/probe`));
    check('ProbeSample', await api('POST', `/api/data_credentials/${created.id}/probe/sample`));
    sim.revokeToken(admin);
    check('ProbeFailure', await api('POST', `/api/data_credentials/${created.id}/probe`));
    check('ProbeLast', await api('GET', `/api/data_credentials/${created.id}/probe`));
    sim.restoreToken(admin);
    check('Error', await api('POST', '/api/data_credentials', { name: '' }));
    check('DataCredentialRemoved', await api('DELETE', `/api/data_credentials/${created.id}`));
  });
});
