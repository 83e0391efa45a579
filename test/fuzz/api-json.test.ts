import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BugsnagClient } from '../../src/bugsnag/client.js';
import { SnagError } from '../../src/core/errors.js';
import { harness } from '../http/helpers/client.js';
import type { Step } from '../http/helpers/scripted.js';
import { hostileJson, nested } from './arbitraries.js';
import { RUNS } from './settings.js';

/**
 * What the Bugsnag API (or something answering in its place) sends back, arbitrary: truncated JSON, huge and deeply
 * nested documents, wrong types, any status. The client returns data of the declared shape or throws a SnagError —
 * never a TypeError from reading a field that is not there.
 */

const P = '5a2fc37fd1befa003981d5b9';
const CALLS: Array<[string, (c: BugsnagClient) => Promise<unknown>]> = [
  ['organizations.list', (c) => c.organizations.list().all()],
  ['organizations.get', (c) => c.organizations.get('o1')],
  ['projects.list', (c) => c.projects.list('o1').all()],
  ['projects.get', (c) => c.projects.get(P)],
  ['errors.list', (c) => c.errors.list(P).all()],
  ['errors.get', (c) => c.errors.get(P, 'e1')],
  ['events.list', (c) => c.events.list(P).all()],
  ['events.get', (c) => c.events.get(P, 'ev1')],
];

const element = fc.oneof(
  hostileJson,
  fc.record({ id: hostileJson }, { requiredKeys: [] }),
  fc.record({
    id: fc.string(),
    name: hostileJson,
    created_at: hostileJson,
    received_at: hostileJson,
    url: hostileJson,
  }),
);
const bodyText = fc.oneof(
  hostileJson.map((v) => JSON.stringify(v) ?? ''),
  fc.array(element, { maxLength: 5 }).map((v) => JSON.stringify(v)),
  element.map((v) => JSON.stringify(v) ?? ''),
  // Truncated: a valid document cut anywhere.
  fc.tuple(fc.array(element, { maxLength: 4 }), fc.nat()).map(([v, cut]) => {
    const s = JSON.stringify(v);
    return s.slice(0, cut % (s.length + 1));
  }),
  fc.nat({ max: 100_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.nat({ max: 1_000 }).map((n) => JSON.stringify(nested(n))),
  fc.nat({ max: 2_000_000 }).map((n) => JSON.stringify([{ id: 'big', name: 'z'.repeat(n) }])),
  fc.constantFrom('', 'null', '<html>502 Bad Gateway</html>', '\ufeff[]', '[{"id":"a"},]', '{"errors":["x"]}'),
);
const status = fc.oneof(
  fc.constant(200),
  fc.constantFrom(200, 201, 204, 301, 400, 401, 403, 404, 410, 422, 429, 500, 503),
);
const contentType = fc.constantFrom('application/json; charset=utf-8', 'text/html', 'application/json', '');

describe('JSON bodies from the API, arbitrary (property)', () => {
  it('every call returns or throws a SnagError, whatever the answer', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CALLS), status, bodyText, contentType, async ([, call], code, body, type) => {
        const step: Step = { status: code, headers: type ? { 'content-type': type } : {}, body };
        // The same answer to every retry: the client's budget ends the call, not the script.
        const h = harness(Array.from({ length: 8 }, () => step));
        try {
          await call(h.client);
        } catch (err) {
          if (!(err instanceof SnagError)) throw err;
          expect(err.message).not.toContain(h.token);
        }
      }),
      RUNS,
    );
  });
});
