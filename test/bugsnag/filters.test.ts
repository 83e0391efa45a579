import { describe, expect, it } from 'vitest';
import { SnagError } from '../../src/core/errors.js';
import { filterObject, filterPairs, filterTime } from '../../src/bugsnag/filters.js';
import { encodeQuery, queryPairs, seg } from '../../src/bugsnag/query.js';

const NOW = new Date('2024-05-10T12:00:00Z');
const decoded = (pairs: Array<[string, string]>) => pairs.map(([k, v]) => `${k}=${v}`).join('&');

describe('filter encoding', () => {
  it('puts each type right next to its value, with the [] marker', () => {
    expect(decoded(filterPairs({ 'error.status': ['open', 'fixed'] }, NOW))).toBe(
      'filters[error.status][][type]=eq&filters[error.status][][value]=open&' +
        'filters[error.status][][type]=eq&filters[error.status][][value]=fixed',
    );
  });

  it("percent-encodes exactly like Bugsnag's own next links", () => {
    expect(encodeQuery(filterPairs({ 'error.status': 'open' }, NOW))).toBe(
      'filters%5Berror.status%5D%5B%5D%5Btype%5D=eq&filters%5Berror.status%5D%5B%5D%5Bvalue%5D=open',
    );
  });

  it('supports eq, ne and empty, several per field, and several fields', () => {
    const pairs = filterPairs(
      {
        'user.email': [
          { type: 'ne', value: 'bot@example.com' },
          { type: 'ne', value: 'ci@example.com' },
        ],
        'error.assigned_to': { type: 'empty', value: true },
        'app.release_stage': 'production',
      },
      NOW,
    );
    expect(decoded(pairs)).toBe(
      'filters[user.email][][type]=ne&filters[user.email][][value]=bot@example.com&' +
        'filters[user.email][][type]=ne&filters[user.email][][value]=ci@example.com&' +
        'filters[error.assigned_to][][type]=empty&filters[error.assigned_to][][value]=true&' +
        'filters[app.release_stage][][type]=eq&filters[app.release_stage][][value]=production',
    );
    expect(encodeQuery(pairs)).toContain('filters%5Buser.email%5D%5B%5D%5Bvalue%5D=bot%40example.com');
  });

  it('serialises numbers and booleans as strings', () => {
    expect(decoded(filterPairs({ 'error.has_issue': false, 'app.version_code': 42 }, NOW))).toBe(
      'filters[error.has_issue][][type]=eq&filters[error.has_issue][][value]=false&' +
        'filters[app.version_code][][type]=eq&filters[app.version_code][][value]=42',
    );
  });

  it('passes Bugsnag relative times through and normalises absolute ones', () => {
    expect(decoded(filterPairs({ 'event.since': '7d' }, NOW))).toBe(
      'filters[event.since][][type]=eq&filters[event.since][][value]=7d',
    );
    expect(filterTime('24h', 'event.since', NOW)).toBe('24h');
    expect(filterTime('2024-05-01T00:00:00.123Z', 'event.since', NOW)).toBe('2024-05-01T00:00:00Z');
    expect(filterTime('2021-07-08T14:26:55+02:00', 'event.since', NOW)).toBe('2021-07-08T12:26:55Z');
    expect(filterTime('2022-10-17 15:30:00 +0000', 'event.before', NOW)).toBe('2022-10-17T15:30:00Z');
    expect(filterTime('2024-05-01', 'event.since', NOW)).toBe('2024-05-01T00:00:00Z');
    expect(filterTime(new Date('2024-05-01T10:00:00.999Z'), 'event.since', NOW)).toBe('2024-05-01T10:00:00Z');
  });

  it('turns durations Bugsnag does not understand into absolute times', () => {
    expect(filterTime('2w', 'event.since', NOW)).toBe('2024-04-26T12:00:00Z');
    expect(filterTime('30m', 'event.since', NOW)).toBe('2024-05-10T11:30:00Z');
  });

  it('rejects what Bugsnag would reject or silently misread', () => {
    const bad: Array<() => unknown> = [
      () => filterPairs({ 'event.since': 'yesterday' }, NOW),
      () => filterPairs({ 'event.since': { type: 'ne', value: '7d' } }, NOW),
      () => filterPairs({ 'event.since': ['7d', '1d'] }, NOW),
      () => filterPairs({ 'user.email': { type: 'like' as 'eq', value: 'x' } }, NOW),
      () => filterPairs({ 'error.assigned_to': { type: 'empty', value: 'maybe' } }, NOW),
      () => filterPairs({ 'bad[field]': 'x' }, NOW),
      () => filterPairs({ 'user.id': null as unknown as string }, NOW),
      () => filterPairs({ 'user.id': { type: 'eq', value: ['a'] as unknown as string } }, NOW),
    ];
    for (const f of bad) {
      expect(f).toThrow(SnagError);
    }
  });
});

describe('query building', () => {
  it('drops undefined, encodes arrays as name[]=, keeps order', () => {
    const pairs = queryPairs({ sort: 'last_seen', q: undefined, per_page: 100, error_ids: ['a', 'b'], admin: false });
    expect(encodeQuery(pairs)).toBe('sort=last_seen&per_page=100&error_ids%5B%5D=a&error_ids%5B%5D=b&admin=false');
  });

  it('encodes times like Bugsnag (colons percent-encoded)', () => {
    expect(encodeQuery(queryPairs({ base: '2017-12-12T11:55:26Z' }))).toBe('base=2017-12-12T11%3A55%3A26Z');
  });

  it('refuses ids that could change the path', () => {
    expect(seg('project id', '5a2fc37fd1befa003981d5b9')).toBe('5a2fc37fd1befa003981d5b9');
    expect(seg('event field display id', 'user.email')).toBe('user.email');
    for (const bad of ['', ' ', '../x', 'a/b', 'a?b', 'a#b', '..'])
      expect(() => seg('project id', bad)).toThrow(SnagError);
  });
});

describe('filterObject (filters in a JSON body)', () => {
  it('carries the same comparisons as the query pairs, every value a string', () => {
    const now = new Date('2026-01-15T00:00:00Z');
    const filters = {
      'event.since': '2w',
      'app.in_foreground': true,
      'error.status': [
        { type: 'ne' as const, value: 'fixed' },
        { type: 'ne' as const, value: 'ignored' },
      ],
    };
    expect(filterObject(filters, now)).toEqual({
      'event.since': [{ type: 'eq', value: '2026-01-01T00:00:00Z' }],
      'app.in_foreground': [{ type: 'eq', value: 'true' }],
      'error.status': [
        { type: 'ne', value: 'fixed' },
        { type: 'ne', value: 'ignored' },
      ],
    });
    expect(filterObject(undefined)).toEqual({});
    expect(() => filterObject({ 'event.since': [{ type: 'ne', value: '7d' }] })).toThrow(/only supports "eq"/);
  });
});
