import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acceptNextLink } from '../../src/bugsnag/paginator.js';
import { SnagError } from '../../src/core/errors.js';
import { parseLinkHeader } from '../../src/http/link.js';
import { API, harness } from '../http/helpers/client.js';
import { FEW, RUNS } from './settings.js';

// Pieces a hostile or broken server puts in a Link header, mixed with arbitrary text.
const piece = fc.oneof(
  fc.string(),
  fc.constantFrom('<', '>', ';', ',', '"', '=', ' rel=next', ' rel="next"', 'rel="prev next"', '\\'),
  fc.webUrl(),
  fc.constantFrom(
    '//evil.example/x',
    'https://api.bugsnag.com.evil.example/',
    'http://api.bugsnag.com/x',
    '/relative?o=1',
  ),
  fc.constantFrom('https://api.bugsnag.com:444/', 'HTTPS://API.BUGSNAG.COM/ok', 'javascript:alert(1)', 'file:///etc'),
);
const header = fc.array(piece, { maxLength: 12 }).map((parts) => parts.join(''));
const nextHeader = fc.oneof(
  header,
  fc.tuple(piece, header).map(([url, rest]) => `<${url}>; rel="next"${rest}`),
);

describe('Link headers, arbitrary (property)', () => {
  it('parseLinkHeader never throws and returns well-formed entries', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 2000 }), header), (h) => {
        const entries = parseLinkHeader(h);
        for (const e of entries) {
          expect(typeof e.url).toBe('string');
          expect(e.rels.every((r) => typeof r === 'string' && r.length > 0)).toBe(true);
          expect(Object.getPrototypeOf(e.params)).toBe(Object.prototype);
        }
      }),
      RUNS,
    );
  });

  it('acceptNextLink returns a same-origin URL or throws a typed SnagError', () => {
    fc.assert(
      fc.property(piece, (link) => {
        try {
          const url = acceptNextLink(link, `${API}/projects/p/errors?per_page=30`, API);
          expect(new URL(url).origin).toBe(API);
        } catch (err) {
          expect(err).toBeInstanceOf(SnagError);
          expect((err as SnagError).code).toBe('not_bugsnag');
        }
      }),
      RUNS,
    );
  });

  it('the client follows only links to the configured origin, or stops with a SnagError', async () => {
    await fc.assert(
      fc.asyncProperty(nextHeader, async (link) => {
        const h = harness([
          { status: 200, headers: { Link: link }, body: [{ id: 'a' }] },
          { status: 200, body: [{ id: 'b' }] },
        ]);
        try {
          await h.client.organizations.list().all();
        } catch (err) {
          expect(err).toBeInstanceOf(SnagError);
        }
        for (const call of h.script.calls) expect(new URL(call.url).origin).toBe(API);
      }),
      FEW,
    );
  });
});
