import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';

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

export function nodeStreamTransport(): StreamTransport {
  return (req) =>
    new Promise<StreamResponse>((resolve, reject) => {
      const url = new URL(req.url);
      const send = url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : null;
      if (!send) {
        reject(new Error(`unsupported protocol ${url.protocol}`));
        return;
      }
      const r = send(url, { method: 'GET', headers: req.headers, ...(req.signal ? { signal: req.signal } : {}) });
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
