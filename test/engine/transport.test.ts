import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { classifyTransportError } from '../../src/http/net-errors.js';
import { nodeTransport } from '../../src/engine/transport.js';
import { selfSignedServer } from '../credentials/helpers.js';

/** The sync's node:http transport keeps the client's transport contract. */
let server: Server;
let origin: string;
let next: (res: ServerResponse, url: string) => void;

beforeAll(async () => {
  server = createServer((req, res) => next(res, req.url ?? ''));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const send = (url = `${origin}/x`, signal = new AbortController().signal) =>
  nodeTransport()({ method: 'GET', url, headers: { authorization: 'token t', 'x-version': '2' }, signal });

describe('node transport', () => {
  it('reads status, headers (case-insensitive, repeated Link kept) and a gzip body', async () => {
    next = (res) => {
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Content-Encoding': 'gzip',
        Link: '<http://x/next>; rel="next"',
        'X-Total-Count': '3',
      });
      res.end(gzipSync(JSON.stringify([1, 2, 3])));
    };
    const r = await send();
    expect(r.status).toBe(200);
    expect(r.headers.get('link')).toBe('<http://x/next>; rel="next"');
    expect(r.headers.get('x-total-count')).toBe('3');
    expect(JSON.parse(r.body)).toEqual([1, 2, 3]);
  });

  it('does not follow redirects', async () => {
    next = (res) => {
      res.writeHead(302, { Location: 'http://elsewhere.example/' });
      res.end();
    };
    expect((await send()).status).toBe(302);
  });

  it('a connection cut mid-body is a network failure (retried by the client), not a short answer', async () => {
    next = (res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '1000' });
      res.write('[{"id":', () => res.destroy());
    };
    const err = await send().then(
      () => null,
      (e: unknown) => e,
    );
    expect(classifyTransportError(err)).toMatchObject({ kind: 'network', code: 'ECONNRESET' });
  });

  it("stops when the signal aborts, with the signal's reason", async () => {
    next = () => undefined; // never answers
    const controller = new AbortController();
    const pending = send(`${origin}/slow`, controller.signal);
    controller.abort(new Error('cancelled by test'));
    await expect(pending).rejects.toThrow('cancelled by test');
  });

  it('refuses a self-signed certificate (TLS failure, never silently accepted)', async (ctx) => {
    const tls = await selfSignedServer();
    if (!tls) return ctx.skip();
    try {
      const err = await send(`${tls.url}/x`).then(
        () => null,
        (e: unknown) => e,
      );
      expect(classifyTransportError(err).kind).toBe('tls');
    } finally {
      await tls.close();
    }
  });
});
