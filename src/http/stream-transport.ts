import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { guardedLookup, hostRefusal, type LookupFunction } from './address-guard.js';

/**
 * The network for large bodies read as a stream (event data downloads), beside the buffered `Transport` of
 * transport.ts. Over node:http(s) rather than fetch so that nothing is decompressed behind our back (the caller sees
 * `Content-Encoding` and counts bytes as they came over the wire), redirects are never followed, and a connection that
 * goes quiet for `idleTimeoutMs` is cut instead of hanging the run.
 */
export interface StreamRequest {
  url: string;
  headers: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** Longest silence (no connection, no headers, no bytes) before the request is abandoned. */
  idleTimeoutMs: number;
}

export interface StreamResponse {
  status: number;
  headers: Headers;
  /** The body exactly as received (still compressed if `Content-Encoding` says so). Errors if the connection breaks. */
  body: Readable;
}

export type StreamTransport = (request: StreamRequest) => Promise<StreamResponse>;

export class IdleTimeoutError extends Error {
  readonly code = 'TIMEOUT';
  constructor(ms: number) {
    super(`no data for ${ms} ms`);
    this.name = 'IdleTimeoutError';
  }
}

export interface NodeStreamTransportOptions {
  /** The resolver behind the address guard (default dns.lookup); tests script it. */
  resolve?: LookupFunction;
}

/**
 * Through the same address guard as every other connection: a signed download link comes from the API's answer, so a
 * hostile or compromised API host could point it at the cloud metadata service. The host as written is refused
 * before anything else (node:net connects to an IP literal without a lookup), then every address a name resolves to.
 */
export function nodeStreamTransport(options: NodeStreamTransportOptions = {}): StreamTransport {
  const lookup = guardedLookup(options.resolve);
  return (req) =>
    new Promise<StreamResponse>((resolve, reject) => {
      const url = new URL(req.url);
      const send = url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : null;
      if (!send) {
        reject(new Error(`unsupported protocol ${url.protocol}`));
        return;
      }
      const refused = hostRefusal(url.hostname);
      if (refused) {
        reject(refused);
        return;
      }
      const r = send(url, {
        method: 'GET',
        headers: req.headers,
        lookup,
        ...(req.signal ? { signal: req.signal } : {}),
      });
      r.setTimeout(req.idleTimeoutMs, () => r.destroy(new IdleTimeoutError(req.idleTimeoutMs)));
      r.once('error', reject);
      r.once('response', (res: IncomingMessage) => {
        r.off('error', reject);
        // Errors after the headers (a reset mid-body, the idle timeout) surface on the body stream.
        r.on('error', (err) => res.destroy(err));
        resolve({ status: res.statusCode ?? 0, headers: toHeaders(res), body: res });
      });
      r.end();
    });
}

function toHeaders(res: IncomingMessage): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(res.headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) h.append(k, one);
  }
  return h;
}
