import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redact } from '../../src/core/redact.js';
import { keyHeaders, testServer, TEST_KEY, type TestServer } from './helpers.js';

/** Refusals of the request itself (bad JSON, unsafe JSON, oversized headers) keep the API's error envelope. */

let s: TestServer;
beforeEach(async () => {
  s = await testServer();
});
afterEach(async () => {
  await s.cleanup();
});

const post = (payload: string) =>
  s.app.inject({
    method: 'POST',
    url: '/api/data_credentials',
    headers: { ...keyHeaders(), 'content-type': 'application/json' },
    payload,
  });

describe('request errors', () => {
  it('the hint for a body that is not JSON survives redaction whole (and names the token field)', async () => {
    const r = await post('{"name": "x", bad');
    expect(r.statusCode).toBe(400);
    const body = r.json();
    expect(body).toMatchObject({ error: 'invalid_request', message: 'The request body is not valid JSON.' });
    expect(body.hint).toContain('auth_token');
    // Anything on its way to a log or a SnagError is redacted: the example must not look like a token to hide.
    expect(redact(body.hint)).toBe(body.hint);
    expect(r.body).not.toContain('[REDACTED]');
  });

  it('a real token in such a body still never comes back', async () => {
    const token = 'aaaabbbbccccddddeeeeffff0000111122223333';
    const r = await post(`{"credentials": {"auth_token": "${token}"}, oops}`);
    expect(r.statusCode).toBe(400);
    expect(r.body).not.toContain(token);
  });

  it('a body with __proto__ is valid JSON refused for safety, and says so', async () => {
    for (const payload of ['{"__proto__": {"admin": true}, "name": "a"}', '{"constructor": {"prototype": {"x": 1}}}']) {
      const r = await post(payload);
      expect(r.statusCode).toBe(400);
      const body = r.json();
      expect(body.error).toBe('invalid_request');
      expect(body.message).not.toMatch(/not valid JSON/);
      expect(body.message).toMatch(/valid JSON/);
      expect(body.message).toMatch(/__proto__/);
      expect(body.message).toMatch(/safety/);
      expect(body.hint).toMatch(/Remove/);
    }
  });

  it("a 100,000-character URL gets the API's error envelope (431), not Fastify's", async () => {
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = s.app.server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/api/data_credentials?x=${'a'.repeat(100_000)}`, {
      headers: { authorization: `Bearer ${TEST_KEY}` },
    });
    expect(res.status).toBe(431);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({
      error: 'headers_too_large',
      message: expect.stringMatching(/too large/),
      hint: expect.stringMatching(/Shorten/),
      status: 431,
    });
  });
});
