import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServer, type TestServer } from './helpers.js';

/** `serve` logs one line per request — method, path, status, time — not Fastify's two (incoming, completed). */
let s: TestServer;
beforeAll(async () => {
  s = await testServer();
});
afterAll(async () => {
  await s.cleanup();
});

describe('request logging', () => {
  it('one info line per request, answered or refused', async () => {
    const before = s.logs.length;
    expect((await s.app.inject({ method: 'GET', url: '/login' })).statusCode).toBe(200);
    expect((await s.app.inject({ method: 'GET', url: '/api/data_credentials' })).statusCode).toBe(401);
    const lines = s.logs
      .slice(before)
      .map(
        (l) =>
          JSON.parse(l) as {
            level: number;
            reqId?: string;
            msg: string;
            method?: string;
            url?: string;
            status?: number;
          },
      )
      .filter((l) => l.level >= 30 && l.reqId);
    expect(lines.map((l) => [l.msg, l.method, l.url, l.status])).toEqual([
      ['request', 'GET', '/login', 200],
      ['request', 'GET', '/api/data_credentials', 401],
    ]);
  });
});
