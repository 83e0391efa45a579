import { SnagError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import { findNextLink } from '../http/link.js';

/**
 * Link-header pagination (docs/bugsnag-api.md §8). The next page is always the server's `rel="next"` URL exactly as given —
 * never rebuilt, never with filters re-added — and paging stops only when there is no next link (a short or empty
 * page proves nothing). A next link to another origin is refused (the token would go there), a link seen before in
 * this pass is a loop, and a link past ~8 KB is refused before Bugsnag rejects it (docs/bugsnag-api.md §10).
 *
 * Pages are exposed one by one with the exact next URL, so the sync engine can checkpoint after each page and later
 * resume from a saved next URL.
 */
export interface Page<T> {
  items: T[];
  /** The URL this page was read from. */
  url: string;
  /** The next page's URL exactly as Bugsnag sent it; absent on the last page. */
  nextUrl?: string;
  /** `X-Total-Count`, when sent: an estimate for progress displays, computed as of the first page's `base`. */
  totalCount?: number;
  /** 0 for the first page read by this paginator (a resumed paginator starts at 0 too). */
  index: number;
}

export interface FetchedPage<T> {
  items: T[];
  headers: Headers;
}

export type PageFetcher<T> = (url: string) => Promise<FetchedPage<T>>;

export const MAX_NEXT_LINK_LENGTH = 8_000;

export class Paginator<T> implements AsyncIterable<T> {
  constructor(
    private readonly fetchPage: PageFetcher<T>,
    /** The first URL to read: a first-page request, or a saved next URL when resuming. */
    readonly startUrl: string,
    private readonly baseUrl: string,
  ) {}

  /** Page by page; stop early by breaking out of the loop (no further request is made). */
  async *pages(): AsyncGenerator<Page<T>, void, undefined> {
    // Hashes, not the URLs: a pass over a million events follows ~33,000 links of a few hundred bytes each.
    const seen = new Set<number>();
    let url = this.startUrl;
    for (let index = 0; ; index++) {
      seen.add(linkHash(url));
      const { items, headers } = await this.fetchPage(url);
      const raw = findNextLink(headers);
      const nextUrl = raw === undefined ? undefined : acceptNextLink(raw, url, this.baseUrl);
      if (nextUrl !== undefined && seen.has(linkHash(nextUrl))) {
        throw new SnagError(
          'server_error',
          `Bugsnag sent a next-page link that was already read in this pass (${redact(new URL(nextUrl).pathname)}); stopped to avoid an endless loop.`,
          {
            hint: 'Try again later. If it keeps happening, narrow the time range of the sync.',
            details: { reason: 'pagination-loop', pages: index + 1 },
          },
        );
      }
      const page: Page<T> = { items, url, index };
      if (nextUrl !== undefined) page.nextUrl = nextUrl;
      const total = totalCount(headers);
      if (total !== undefined) page.totalCount = total;
      yield page;
      if (nextUrl === undefined) return;
      url = nextUrl;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages()) yield* page.items;
  }

  /** Only the first page (one request). */
  async first(): Promise<Page<T>> {
    for await (const page of this.pages()) return page;
    throw new Error('unreachable: a paginator always yields a first page');
  }

  /** Every item, optionally stopping once `max` items are collected. */
  async all(max = Infinity): Promise<T[]> {
    const out: T[] = [];
    if (max <= 0) return out;
    for await (const item of this) {
      out.push(item);
      if (out.length >= max) break;
    }
    return out;
  }
}

/** 53-bit FNV-1a of a URL (two 32-bit lanes): collisions across one pass's links are vanishingly unlikely. */
function linkHash(url: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x5bd1e995) >>> 0;
  }
  return (a & 0x1fffff) * 0x100000000 + b;
}

function totalCount(headers: Headers): number | undefined {
  const v = headers.get('x-total-count');
  return v !== null && /^\s*\d+\s*$/.test(v) ? Number(v) : undefined;
}

/**
 * Validate a next (or saved) page URL against the configured API base URL and return the URL to request: the link
 * exactly as given, except that a relative link is resolved and an `auth_token` parameter is dropped (we send the
 * token in a header; a token in a URL would end up in checkpoints and logs).
 */
export function acceptNextLink(link: string, currentUrl: string, baseUrl: string): string {
  let parsed: URL;
  try {
    parsed = new URL(link, currentUrl);
  } catch {
    throw new SnagError('not_bugsnag', 'Bugsnag sent a next-page link that is not a valid URL.', {
      hint: 'Check the API host; this does not look like the Bugsnag Data Access API.',
    });
  }
  const expected = new URL(baseUrl).origin;
  if (parsed.origin !== expected) {
    throw new SnagError(
      'not_bugsnag',
      `The next-page link points to ${parsed.origin}, not to the configured API host ${expected}; snagsync does not follow it, as the token would be sent there.`,
      {
        hint:
          'If this is an on-premise server, its public URL is probably configured wrongly on the server side (it ' +
          'builds links with another host). Fix the server setting, or configure the host its links use.',
        details: { reason: 'cross-origin-link', expectedOrigin: expected, linkOrigin: parsed.origin },
      },
    );
  }
  let url = /^[a-z][a-z0-9+.-]*:/i.test(link) ? link : parsed.href;
  url = dropQueryParam(url, 'auth_token');
  if (url.length > MAX_NEXT_LINK_LENGTH) {
    throw new SnagError(
      'result_too_large',
      `Bugsnag's next-page link has grown to ${url.length} characters; Bugsnag would reject it as too long.`,
      {
        hint: 'Restart this part of the sync with a narrower time range (event.since / event.before).',
        details: { reason: 'next-link-too-long', length: url.length },
      },
    );
  }
  return url;
}

/** Remove one query parameter by text, leaving every other byte of the URL as the server wrote it. */
function dropQueryParam(url: string, name: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash === -1 ? undefined : hash);
  const kept = query.split('&').filter((part) => {
    const key = part.split('=')[0] ?? '';
    try {
      return decodeURIComponent(key.replace(/\+/g, ' ')) !== name;
    } catch {
      return true;
    }
  });
  if (kept.length === query.split('&').length) return url;
  return `${url.slice(0, q)}${kept.length ? `?${kept.join('&')}` : ''}${hash === -1 ? '' : url.slice(hash)}`;
}
