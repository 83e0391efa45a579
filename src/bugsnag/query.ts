import { SnagError } from '../core/errors.js';

/**
 * Query strings for first-page requests (next pages are never rebuilt: their URL comes from the Link header).
 * Encoded like Bugsnag's own next links: brackets and colons percent-encoded, dots kept. Arrays use `name[]=`,
 * as Bugsnag rejects repeated bare names.
 */
export type QueryValue = string | number | boolean | undefined | null | ReadonlyArray<string | number>;

export function queryPairs(params: Readonly<Record<string, QueryValue>>): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      for (const v of value as ReadonlyArray<string | number>) pairs.push([`${name}[]`, String(v)]);
    } else {
      pairs.push([name, String(value)]);
    }
  }
  return pairs;
}

export function encodeQuery(pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

/** A path segment from an id. Ids are opaque (24-hex today) but must not be able to change the path. */
export function seg(what: string, value: string): string {
  if (typeof value !== 'string' || value.trim() === '' || /[/?#\s\\]/.test(value) || value === '.' || value === '..') {
    throw new SnagError('config', `"${String(value)}" is not a valid ${what}.`, {
      hint: `Give the ${what} as Bugsnag shows it (for example 5a2fc37fd1befa003981d5b9).`,
    });
  }
  return encodeURIComponent(value);
}

/** Join the API base URL (which may carry an on-premise path prefix) with a path and query. */
export function buildUrl(baseUrl: string, path: string, pairs: ReadonlyArray<readonly [string, string]> = []): string {
  const q = encodeQuery(pairs);
  return `${baseUrl}${path}${q ? `?${q}` : ''}`;
}
