import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnagError } from '../../src/core/errors.js';
import { USER_AGENT } from '../../src/core/version.js';
import { createBugsnagClient } from '../../src/bugsnag/client.js';
import { RateLimiter } from '../../src/http/rate-limiter.js';
import { fakeClock, testToken } from './helpers/scripted.js';

/** The client's default transport (node:http, address-guarded) against a real local server: what goes over the wire. */
type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handlers: Handler[] = [];
const seen: IncomingMessage[] = [];
let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req);
    const h = handlers.shift();
    if (h) h(req, res);
    else {
      res.writeHead(500);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

function client(timeoutMs = 2_000) {
  seen.length = 0;
  const clock = fakeClock();
  const token = testToken();
  return {
    token,
    c: createBugsnagClient({
      token,
      host: origin,
      clock,
      logger: false,
      timeoutMs,
      rateLimiter: new RateLimiter({ clock }),
      retry: { retries: 1, baseDelayMs: 1 },
    }),
  };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

describe('the default transport over a real socket', () => {
  it('sends exactly the Bugsnag headers and reads the answer', async () => {
    handlers = [json(200, [{ id: 'o1' }], { 'X-Total-Count': '1' })];
    const { c, token } = client();
    const page = await c.organizations.list().first();
    expect(page).toMatchObject({ items: [{ id: 'o1' }], totalCount: 1 });
    const h = seen[0]!.headers;
    expect(h.authorization).toBe(`token ${token}`);
    expect(h['x-version']).toBe('2');
    expect(h.accept).toBe('application/json');
    expect(h['user-agent']).toBe(USER_AGENT);
    expect(h['content-type']).toBeUndefined();
    expect(seen[0]!.url).toBe('/user/organizations?per_page=100');
  });

  it('does not follow a redirect (the token could go with it)', async () => {
    handlers = [
      (_req, res) => {
        res.writeHead(302, { Location: 'https://app.bugsnag.com/user/sign_in' });
        res.end();
      },
    ];
    const { c } = client();
    await expect(c.organizations.get('o1')).rejects.toMatchObject({ code: 'not_bugsnag' });
    expect(seen).toHaveLength(1);
  });

  it('times out a server that never answers, and retries the read', async () => {
    handlers = [() => undefined, json(200, { id: 'o1' })];
    const { c } = client(50);
    await expect(c.organizations.get('o1')).resolves.toMatchObject({ id: 'o1' });
    expect(seen).toHaveLength(2);
  });

  it('times out a body that stalls after the headers', async () => {
    const stall: Handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[{"id":');
    };
    handlers = [stall, stall];
    const { c } = client(50);
    const err = await c.organizations.get('o1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SnagError);
    expect(err).toMatchObject({ code: 'network', message: expect.stringContaining('no answer within 50 ms') });
  });

  it('retries a body cut off by a closed connection', async () => {
    handlers = [
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
        res.write('{"id":"o1","na');
        res.socket?.destroy();
      },
      json(200, { id: 'o1' }),
    ];
    const { c } = client();
    await expect(c.organizations.get('o1')).resolves.toMatchObject({ id: 'o1' });
    expect(seen).toHaveLength(2);
  });

  it('sends a JSON body with its content type on writes', async () => {
    let body = '';
    handlers = [
      (req, res) => {
        req.on('data', (d: Buffer) => (body += d.toString()));
        req.on('end', () => json(201, { id: 'cm1', message: 'hi' })(req, res));
      },
    ];
    const { c } = client();
    await c.comments.create('p1', 'e1', 'hi');
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.headers['content-type']).toBe('application/json');
    expect(body).toBe('{"message":"hi"}');
  });
});
