import { describe, expect, it } from 'vitest';
import { parseQuery, ParamError, toQuery } from '../../src/sim/query/params.js';
import { IdCodec } from '../../src/sim/ids.js';
import { ErrorPattern } from '../../src/sim/data/pattern.js';

/** The building blocks the simulator's fidelity rests on: Rails' parameter rules, reversible ids, the event pattern. */
describe('Rails query parameters', () => {
  it('builds arrays of hashes from [] keys, starting a new hash when a key repeats', () => {
    expect(
      parseQuery('filters[s][][type]=eq&filters[s][][value]=open&filters[s][][type]=eq&filters[s][][value]=fixed'),
    ).toEqual({
      filters: {
        s: [
          { type: 'eq', value: 'open' },
          { type: 'eq', value: 'fixed' },
        ],
      },
    });
    // All types first: incomplete hashes (the API then answers 400).
    expect(parseQuery('f[s][][type]=eq&f[s][][type]=ne&f[s][][value]=a&f[s][][value]=b')).toEqual({
      f: { s: [{ type: 'eq' }, { type: 'ne', value: 'a' }, { value: 'b' }] },
    });
    // Without []: the last pair wins.
    expect(parseQuery('f[s][type]=eq&f[s][value]=a&f[s][type]=ne&f[s][value]=b')).toEqual({
      f: { s: { type: 'ne', value: 'b' } },
    });
    expect(parseQuery('ids[]=a&ids[]=b&x=1&x=2&q=a+b%21')).toEqual({ ids: ['a', 'b'], x: '2', q: 'a b!' });
    expect(() => parseQuery('a=1&a[]=2')).toThrow(ParamError);
  });

  it('writes next-link queries like to_query: CGI-escaped, pieces sorted, array order kept', () => {
    expect(
      toQuery({
        per_page: '1',
        base: '2021-07-21T12:00:00Z',
        offset: '1',
        release_stage: 'development',
        sort: 'percent_of_sessions',
      }),
    ).toBe('base=2021-07-21T12%3A00%3A00Z&offset=1&per_page=1&release_stage=development&sort=percent_of_sessions');
    expect(
      toQuery({
        offset: { total_count: '475', count: '63', timestamp: '2017-12-12T10:58:54Z' },
        base: '2017-12-12T11:55:26Z',
      }),
    ).toBe(
      'base=2017-12-12T11%3A55%3A26Z&offset%5Bcount%5D=63&offset%5Btimestamp%5D=2017-12-12T10%3A58%3A54Z&offset%5Btotal_count%5D=475',
    );
    expect(toQuery({ page_token: 'abc|1625754415284|0', per_page: '1' })).toBe(
      'page_token=abc%7C1625754415284%7C0&per_page=1',
    );
    const q =
      'filters[error.status][][type]=eq&filters[error.status][][value]=open&filters[error.status][][type]=eq&filters[error.status][][value]=in progress';
    expect(toQuery(parseQuery(q))).toBe(
      'filters%5Berror.status%5D%5B%5D%5Btype%5D=eq&filters%5Berror.status%5D%5B%5D%5Bvalue%5D=open&filters%5Berror.status%5D%5B%5D%5Btype%5D=eq&filters%5Berror.status%5D%5B%5D%5Bvalue%5D=in+progress',
    );
  });
});

describe('ids', () => {
  it('are 24-hex ObjectId-like, reversible, seed-specific, and reject made-up values', () => {
    const a = new IdCodec(1);
    const b = new IdCodec(2);
    const id = a.encode('event', 12, 987_654_321);
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    expect(a.decode(id)).toEqual({ kind: 'event', parent: 12, index: 987_654_321 });
    expect(b.decode(id)).toBeNull();
    expect(a.decode('000000000000000000000000')).toBeNull();
    expect(a.decodeAs('error', id)).toBeNull();
    const many = new Set(Array.from({ length: 10_000 }, (_, i) => a.encode('error', 3, i)));
    expect(many.size).toBe(10_000);
  });
});

describe('error pattern', () => {
  it('maps events to errors and back, and counts occurrences below any index', () => {
    const p = new ErrorPattern(42, 37, 10_000);
    const seen = new Array<number>(37).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const e = p.errorAt(i);
      const k = p.occurrenceAt(i);
      expect(k).toBe(seen[e]);
      expect(p.indexOf(e, k)).toBe(i);
      expect(p.countBelow(e, i)).toBe(seen[e]);
      seen[e]!++;
    }
    // Skewed: the busiest error has many times the events of the quietest.
    expect(Math.max(...seen)).toBeGreaterThan(10 * Math.min(...seen));
    expect(seen.every((n) => n > 0)).toBe(true);
  });
});
