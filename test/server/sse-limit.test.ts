import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_SSE, maxStreamsOf } from '../../src/server/sse.js';
import { keyHeaders, testServer, type TestServer } from './helpers.js';

/**
 * The server keeps a bounded number of server-sent event streams open (SNAGSYNC_MAX_SSE): over real connections on
 * loopback, the streams up to the limit open, one more — on any SSE route — is a 503 with the API's error and
 * Retry-After, and a stream that closes frees its place.
 */

const LIMIT = 3;
let s: TestServer;
let base: string;
const open: ClientRequest[] = [];

beforeEach(async () => {
  // Polling the store rarely: the streams of runs "of another process" stay open and quiet.
  s = await testServer({ sse: { maxStreams: LIMIT, pollMs: 60_000, heartbeatMs: 60_000 } });
  await s.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(s.app.server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  for (const r of open.splice(0)) r.destroy();
  await s.cleanup();
});

/** Opens a connection of its own (no keep-alive pool) and resolves with the response head. */
function connect(path: string): Promise<{ req: ClientRequest; res: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { agent: false, headers: { ...keyHeaders(), accept: 'text/event-stream' } });
    open.push(req);
    req.on('response', (res) => resolve({ req, res }));
    req.on('error', reject);
    req.end();
  });
}

async function bodyOf(res: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of res) text += String(chunk);
  return text;
}

async function api(method: 'POST', url: string, payload: unknown) {
  const res = await s.app.inject({ method, url, headers: keyHeaders(), payload: payload as object });
  if (res.statusCode >= 300) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** A sync run and a write-back run recorded as running by another process: their streams poll and stay open. */
async function runningElsewhere(): Promise<{ runUrl: string; sinkRunUrl: string }> {
  const credential = await api('POST', '/api/data_credentials', {
    name: 'sse',
    credentials: { auth_token: 'a1b2c3d4-1111-4222-8333-444455556666', host: 'http://127.0.0.1:9' },
    verify: false,
  });
  const source = await api('POST', '/api/data_sources', { name: 'sse', data_credentials_id: credential.id });
  const run = await s.runtime.store.runs.create({ source_id: source.id, trigger: 'cli' });
  const sink = await api('POST', '/api/data_sinks', {
    name: 'sse',
    data_credentials_id: credential.id,
    data_sink_config: {
      input: {
        type: 'file',
        format: 'jsonl',
        content: '{"project_id":"5f78b627bda1c2cbaf071252","error_id":"5f78b627bda1c2cbaf071253"}',
      },
      operation: { name: 'fix', params: {} },
    },
  });
  const sinkRun = await s.runtime.store.sinks.startRun(sink.id, {});
  return {
    runUrl: `/api/runs/${run.id}/events`,
    sinkRunUrl: `/api/data_sinks/${sink.id}/runs/${sinkRun.id}/events`,
  };
}

describe('server-sent event streams', () => {
  it('are capped: one over the limit gets a 503 with Retry-After; closing one lets the next in', async () => {
    const { runUrl, sinkRunUrl } = await runningElsewhere();
    const streams = [];
    for (const url of [runUrl, runUrl, sinkRunUrl]) {
      const c = await connect(url);
      expect(c.res.statusCode).toBe(200);
      expect(c.res.headers['content-type']).toMatch(/^text\/event-stream/);
      streams.push(c);
    }
    expect(s.app.snag.eventStreams.size).toBe(LIMIT);

    // One more, on either route: refused, in the API's error shape, with when to try again.
    for (const url of [runUrl, sinkRunUrl]) {
      const refused = await connect(url);
      expect(refused.res.statusCode).toBe(503);
      expect(Number(refused.res.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.res.headers['content-type']).toMatch(/^application\/json/);
      const body = JSON.parse(await bodyOf(refused.res));
      expect(body).toMatchObject({
        error: 'too_many_streams',
        status: 503,
        message: expect.stringContaining(String(LIMIT)),
      });
      expect(body.hint).not.toMatch(/snagsync [a-z]/);
    }
    expect(s.app.snag.eventStreams.size).toBe(LIMIT);

    // The client goes away: its place is freed once the server sees the connection close.
    streams[0]!.req.destroy();
    await expect.poll(() => s.app.snag.eventStreams.size).toBe(LIMIT - 1);
    const next = await connect(sinkRunUrl);
    expect(next.res.statusCode).toBe(200);
    expect(s.app.snag.eventStreams.size).toBe(LIMIT);
  });

  it('the limit comes from SNAGSYNC_MAX_SSE, 100 by default; a value that is not a count is refused', async () => {
    expect(s.app.snag.eventStreams.max).toBe(LIMIT);
    const dflt = await testServer();
    try {
      expect(dflt.app.snag.eventStreams.max).toBe(DEFAULT_MAX_SSE);
    } finally {
      await dflt.cleanup();
    }
    expect(DEFAULT_MAX_SSE).toBe(100);
    expect(maxStreamsOf(undefined, { SNAGSYNC_MAX_SSE: '7' })).toBe(7);
    for (const bad of ['lots', '0', '-1', '2.5']) {
      expect(() => maxStreamsOf(undefined, { SNAGSYNC_MAX_SSE: bad })).toThrow(/SNAGSYNC_MAX_SSE is/);
    }
  });
});
