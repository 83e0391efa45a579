import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transport, TransportRequest } from '../../src/http/transport.js';
import { sysError } from '../http/helpers/scripted.js';
import { keyHeaders, testServer, type TestServer } from '../server/helpers.js';
import { hostileJson, hostileText } from './arbitraries.js';
import { FEW } from './settings.js';

/**
 * Arbitrary bodies to the API's write routes, in-process. Credential checks go to a transport that records the request
 * and refuses it like a closed port: whatever the fuzzer builds, nothing leaves the process.
 */

const sent: TransportRequest[] = [];
const refuse: Transport = async (req) => {
  sent.push(req);
  throw sysError('ECONNREFUSED');
};

let s: TestServer;
let credentialId: string;
let sourceId: string;
beforeAll(async () => {
  s = await testServer({ verify: { transport: refuse, logger: false, timeoutMs: 1_000 } });
  const c = await post('POST', '/api/data_credentials', {
    name: 'fuzz base',
    credentials: { auth_token: 'a1b2c3d4-1111-4222-8333-444455556666', host: 'http://127.0.0.1:9' },
    verify: false,
  });
  if (c.statusCode !== 201) throw new Error(`credential: ${c.statusCode} ${c.body}`);
  credentialId = c.json().id;
  const src = await post('POST', '/api/data_sources', { name: 'fuzz base', data_credentials_id: credentialId });
  if (src.statusCode !== 201) throw new Error(`source: ${src.statusCode} ${src.body}`);
  sourceId = src.json().id;
});
afterAll(async () => {
  await s.cleanup();
});

function post(method: 'POST' | 'PUT', url: string, body: unknown): Promise<LightMyRequestResponse> {
  return send(method, url, JSON.stringify(body) ?? 'null');
}
function send(method: 'POST' | 'PUT', url: string, payload: string): Promise<LightMyRequestResponse> {
  return s.app.inject({ method, url, headers: { ...keyHeaders(), 'content-type': 'application/json' }, payload });
}

/** Never a 5xx; every refusal in the API's error envelope; a 400 names the field, `body` when the body itself is wrong. */
function expectHandled(res: LightMyRequestResponse): void {
  expect(res.statusCode, res.body.slice(0, 500)).toBeLessThan(500);
  if (res.statusCode < 400) return;
  const body = res.json();
  expect(body, res.body.slice(0, 500)).toMatchObject({
    error: expect.any(String),
    message: expect.any(String),
    status: res.statusCode,
  });
  // Every 400 names its field; a problem of the body as a whole (not JSON, not an object, empty) names `body`.
  if (res.statusCode === 400) {
    expect(typeof body.field, res.body.slice(0, 500)).toBe('string');
    if (body.field === 'body') expect(body.message).toMatch(/request body|nothing to update/i);
  }
}

// Raw texts: truncated or malformed JSON, prototype keys, nesting deeper than any parser stack, large strings.
const rawText = fc.oneof(
  fc.json().map((j) => j.slice(0, Math.max(0, j.length - 1))),
  fc.constantFrom(
    '{"__proto__":{"admin":true},"name":"x"}',
    '{"constructor":{"prototype":{"x":1}}}',
    '{"name":"a","name":"b"}',
    '',
    '\ufeff{}',
    '{"name":"\\ud800"}',
  ),
  fc.nat({ max: 20_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.nat({ max: 60_000 }).map((n) => JSON.stringify({ name: 'y'.repeat(n) })),
);

const credentialBody = fc.oneof(
  hostileJson,
  // Close to valid, so that some pass validation and reach the (refusing) verification.
  fc.record({
    name: fc.stringMatching(/^[a-z][a-z0-9 ]{0,20}$/),
    credentials: fc.record({
      auth_token: fc.oneof(fc.stringMatching(/^[!-~]{6,40}$/), hostileText),
      host: fc.oneof(fc.domain(), fc.webUrl(), hostileText),
    }),
  }),
  fc.record(
    {
      name: hostileJson,
      description: hostileJson,
      credentials_type: fc.oneof(fc.constant('bugsnag'), hostileJson),
      credentials: fc.oneof(
        hostileJson,
        fc.record({ auth_token: hostileJson, host: fc.oneof(hostileText, hostileJson) }, { requiredKeys: [] }),
      ),
      verify: hostileJson,
    },
    { requiredKeys: [] },
  ),
);

const sourceBody = fc.oneof(
  hostileJson,
  fc.record(
    {
      name: fc.oneof(hostileText, hostileJson),
      description: hostileJson,
      data_credentials_id: fc.oneof(fc.constant('BASE'), hostileJson),
      source_config: fc.oneof(hostileJson, fc.dictionary(hostileText, hostileJson, { maxKeys: 4 })),
      // Destinations from arbitrary text only: a generated valid path would be written to.
      destination: fc.oneof(hostileText, fc.constantFrom('sqlite:', 'jsonl:', 'postgres://', ':memory:')),
      poll_schedule: fc.oneof(hostileText, hostileJson),
      status: hostileJson,
    },
    { requiredKeys: [] },
  ),
);

const withBase = (body: unknown): unknown =>
  body !== null && typeof body === 'object' && !Array.isArray(body) && 'data_credentials_id' in body
    ? { ...body, data_credentials_id: body.data_credentials_id === 'BASE' ? credentialId : body.data_credentials_id }
    : body;

describe('API bodies, arbitrary (property)', () => {
  it('POST and PUT /api/data_credentials: never a 500, every 400 on a field, nothing sent but to loopback', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('POST', 'PUT'), credentialBody, async (method, body) => {
        const url = method === 'POST' ? '/api/data_credentials' : `/api/data_credentials/${credentialId}`;
        expectHandled(await post(method, url, body));
      }),
      FEW,
    );
    // Bodies that pass validation were checked through the refusing transport (a 422 on the host), never the network.
    const before = sent.length;
    const valid = await post('POST', '/api/data_credentials', {
      name: 'fuzz valid',
      credentials: { auth_token: 'a1b2c3d4-1111-4222-8333-444455556666', host: 'https://bugsnag.example' },
    });
    expect(valid.statusCode, valid.body).toBe(422);
    expect(valid.json().field).toBe('host');
    expect(sent.length).toBeGreaterThan(before);
  });

  it('POST and PUT /api/data_sources: never a 500, every 400 on a field', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('POST', 'PUT'), sourceBody, async (method, body) => {
        const url = method === 'POST' ? '/api/data_sources' : `/api/data_sources/${sourceId}`;
        expectHandled(await post(method, url, withBase(body)));
      }),
      FEW,
    );
  });

  it('raw texts (truncated JSON, __proto__, deep nesting, huge strings) to every write route', async () => {
    const routes = [
      ['POST', '/api/data_credentials'],
      ['POST', '/api/data_sources'],
    ] as const;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), rawText, async ([method, url], text) => {
        expectHandled(await send(method, url, text));
      }),
      FEW,
    );
    expectHandled(await send('PUT', `/api/data_sources/${sourceId}`, `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`));
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});
