import { assertHostAllowed } from './address-guard.js';

/**
 * The one place snagsync touches the network. Everything above it (retries, rate limits, paging, error mapping) is
 * plain code over this interface, so tests can script answers and assert the exact request sequence (octokit style).
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface TransportRequest {
  method: HttpMethod;
  /** Absolute URL. Never carries the token (that goes in the Authorization header). */
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Aborts on timeout or when the caller gives up; a transport must stop reading the body too. */
  signal: AbortSignal;
}

export interface TransportResponse {
  status: number;
  /** Case-insensitive by construction (`Headers`), as Bugsnag's header names vary in case. */
  headers: Headers;
  /** The whole body, read under the same signal, so a timeout also covers a slow or stalled body. */
  body: string;
}

export type Transport = (request: TransportRequest) => Promise<TransportResponse>;

/**
 * A transport over built-in fetch (or any fetch given). The client's default is `nodeTransport` (node-transport.ts):
 * fetch takes no `lookup`, so with the real fetch the address guard can only resolve the name before fetch resolves
 * it again, whereas node:http connects to the very addresses the guard checked. Redirects are not followed: the Data
 * Access API never redirects, so a redirect means a wrong host (a dashboard or login page), and following it could
 * carry the token elsewhere.
 */
export function fetchTransport(fetchImpl: typeof fetch = globalThis.fetch): Transport {
  // Only the real network is guarded: a scripted fetch (tests) resolves nothing.
  const guard = fetchImpl === globalThis.fetch;
  return async (request) => {
    if (guard) await assertHostAllowed(new URL(request.url).hostname);
    const init: RequestInit = {
      method: request.method,
      headers: request.headers,
      signal: request.signal,
      redirect: 'manual',
    };
    if (request.body !== undefined) init.body = request.body;
    const response = await fetchImpl(request.url, init);
    const body = await response.text();
    return { status: response.status, headers: response.headers, body };
  };
}
