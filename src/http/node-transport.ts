import http from 'node:http';
import https from 'node:https';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';
import { abortReason } from '../core/sleep.js';
import { guardedLookup, hostRefusal, type LookupFunction } from './address-guard.js';
import type { Transport, TransportResponse } from './transport.js';

/**
 * The transport the client talks to Bugsnag with (syncs, verification, write-back): node:http(s) with keep-alive.
 * Same contract as `fetchTransport` (see transport.ts): the URL as given, redirects not followed, the whole body read
 * under the request's signal, certificates checked (NODE_EXTRA_CA_CERTS honoured). Why not fetch: built-in fetch takes
 * no `lookup`, so the address guard could only resolve a name before fetch resolves it again (and a name may answer
 * differently the second time). And fetch (undici) releases response
 * bodies through a FinalizationRegistry, which keeps every page's buffers alive into the old generation until a
 * full GC — measured, a bare fetch-and-insert loop peaks at 148 MB for 300,000 events where the same loop over
 * node:http peaks at 82 MB. A long sync reads tens of thousands of pages.
 */
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 16 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 16 }),
};

export interface NodeTransportOptions {
  /** The resolver behind the address guard (default dns.lookup); tests script it. */
  resolve?: LookupFunction;
}

/**
 * Every connection goes through the address guard: the host as written (an IP literal is connected to without any
 * lookup), then every address a name resolves to, at connection time, so what is checked is what is connected to.
 */
export function nodeTransport(options: NodeTransportOptions = {}): Transport {
  const lookup = guardedLookup(options.resolve);
  return (request) =>
    new Promise<TransportResponse>((resolveOnce, rejectOnce) => {
      // The signal is watched here rather than handed to http.request: Node's own signal handling holds every
      // request in a FinalizationRegistry too (measured: +25% memory and time on a long sync).
      const signal = request.signal;
      let req: http.ClientRequest | undefined;
      const onAbort = () => req?.destroy(abortReason(signal));
      const settle = () => signal.removeEventListener('abort', onAbort);
      const resolve = (r: TransportResponse) => {
        settle();
        resolveOnce(r);
      };
      const reject = (err: unknown) => {
        settle();
        rejectOnce(err);
      };
      if (signal.aborted) {
        reject(abortReason(signal));
        return;
      }
      let url: URL;
      try {
        url = new URL(request.url);
      } catch (err) {
        reject(err);
        return;
      }
      const lib = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : null;
      if (!lib) {
        reject(new TypeError(`unsupported protocol ${url.protocol}`));
        return;
      }
      const refused = hostRefusal(url.hostname);
      if (refused) {
        reject(refused);
        return;
      }
      const headers: Record<string, string> = { 'accept-encoding': 'gzip, deflate, br', ...request.headers };
      if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
      signal.addEventListener('abort', onAbort, { once: true });
      req = lib.request(
        url,
        { method: request.method, headers, lookup, agent: agents[url.protocol as 'http:' | 'https:'] },
        (res) => {
          const out = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (v === undefined) continue;
            for (const one of Array.isArray(v) ? v : [v]) out.append(k, one);
          }
          const chunks: Buffer[] = [];
          const body = decoded(res, res.headers['content-encoding']);
          body.on('data', (c: Buffer) => chunks.push(c));
          body.once('error', reject);
          res.once('error', reject);
          // A connection cut mid-body ends the response without completing it: that is a transfer failure.
          res.once('aborted', () =>
            reject(Object.assign(new Error('socket hang up: the answer was cut off'), { code: 'ECONNRESET' })),
          );
          body.once('end', () => {
            if (!res.complete) {
              reject(Object.assign(new Error('socket hang up: the answer was cut off'), { code: 'ECONNRESET' }));
              return;
            }
            resolve({ status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks).toString('utf8') });
          });
        },
      );
      req.once('error', reject);
      if (request.body !== undefined) req.end(request.body);
      else req.end();
    });
}

function decoded(res: Readable, encoding: string | string[] | undefined): Readable {
  const e = (Array.isArray(encoding) ? encoding[0] : encoding)?.trim().toLowerCase();
  if (e === 'gzip' || e === 'x-gzip') return res.pipe(createGunzip());
  if (e === 'deflate') return res.pipe(createInflate());
  if (e === 'br') return res.pipe(createBrotliDecompress());
  return res;
}
