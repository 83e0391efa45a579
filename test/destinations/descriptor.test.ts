import { describe, expect, it } from 'vitest';
import { compileStream } from '../../src/destinations/index.js';
import { CONVERTERS, jsonPath } from '../../src/destinations/descriptor.js';

describe('column conversion', () => {
  it('timestamps: every Bugsnag format becomes one sortable UTC form; unparseable text is kept as is', () => {
    const ts = CONVERTERS.timestamp;
    expect(ts('2017-12-12T10:58:55.000Z')).toBe('2017-12-12T10:58:55.000Z');
    expect(ts('2021-07-08T14:26:55+00:00')).toBe('2021-07-08T14:26:55.000Z');
    expect(ts('2017-12-12T10:58:49Z')).toBe('2017-12-12T10:58:49.000Z');
    expect(ts('2022-10-17 15:30:00 +0000')).toBe('2022-10-17T15:30:00.000Z');
    expect(ts('2022-10-17T17:30:00+02:00')).toBe('2022-10-17T15:30:00.000Z');
    expect(ts('yesterday')).toBe('yesterday');
    expect(ts(null)).toBeNull();
    expect(ts('')).toBeNull();
    expect(ts(undefined)).toBeNull();
  });

  it('booleans, numbers, text and json never lose a value', () => {
    expect(CONVERTERS.boolean(true)).toBe(1);
    expect(CONVERTERS.boolean(false)).toBe(0);
    expect(CONVERTERS.boolean('true')).toBe(1);
    expect(CONVERTERS.boolean('maybe')).toBe('maybe');
    expect(CONVERTERS.integer(42)).toBe(42);
    expect(CONVERTERS.integer('42')).toBe('42');
    expect(CONVERTERS.integer(Number.NaN)).toBeNull();
    expect(CONVERTERS.real(true)).toBe(1);
    expect(CONVERTERS.text(7)).toBe('7');
    expect(CONVERTERS.text({ a: 1 })).toBe('{"a":1}');
    expect(CONVERTERS.json(null)).toBe('null');
    expect(CONVERTERS.json(undefined)).toBeNull();
    expect(CONVERTERS.json(['x'])).toBe('["x"]');
  });

  it('reads nested paths; the key is JSON of the key values', () => {
    const s = compileStream({
      name: 'pivots',
      primaryKey: ['project_id', 'field'],
      columns: [
        { name: 'project_id', type: 'text' },
        { name: 'field', type: 'text', path: ['event_field', 'display id'] },
      ],
    });
    const r = { project_id: 'p1', event_field: { 'display id': 'app.version' } };
    expect(s.keyOf(r)).toBe('["p1","app.version"]');
    expect(s.columns[1]!.read({ event_field: 'not an object' })).toBeNull();
    expect(() => s.keyOf({ project_id: 'p1' })).toThrow(/no value for its key column "field"/);
    expect(jsonPath(['event_field', 'display id'])).toBe('$.event_field."display id"');
  });
});

describe('alternative paths (ColumnSpec.or)', () => {
  it('a typed column takes the first path that holds a value; the record itself is not read differently', () => {
    const s = compileStream({
      name: 'events',
      primaryKey: ['id'],
      columns: [
        { name: 'id', type: 'text' },
        { name: 'received_at', type: 'timestamp', or: [['receivedAt']] },
        { name: 'error_class', type: 'text', or: [['exceptions', '0', 'errorClass']] },
      ],
    });
    const [, received, cls] = s.columns;
    expect(received!.read({ receivedAt: '2021-07-08T14:26:55+00:00' })).toBe('2021-07-08T14:26:55.000Z');
    expect(received!.read({ received_at: '2017-12-12T10:58:55Z', receivedAt: 'other' })).toBe(
      '2017-12-12T10:58:55.000Z',
    );
    expect(received!.read({ received_at: null, receivedAt: '2017-12-12T10:58:55Z' })).toBe('2017-12-12T10:58:55.000Z');
    expect(cls!.read({ exceptions: [{ errorClass: 'TypeError' }] })).toBe('TypeError');
    expect(cls!.read({ error_class: 'Top', exceptions: [{ errorClass: 'TypeError' }] })).toBe('Top');
    expect(cls!.read({ exceptions: [] })).toBeNull();
    expect(() =>
      compileStream({ name: 'x', primaryKey: ['id'], columns: [{ name: 'id', type: 'text', or: [[]] }] }),
    ).toThrow(/empty alternative path/);
  });
});
