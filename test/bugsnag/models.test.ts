import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as models from '../../src/bugsnag/models/index.js';
import { Event, ErrorGroup, Release, normalizeTimestamp } from '../../src/bugsnag/models/index.js';

function parsed<T>(model: models.Model<T>, raw: unknown): T {
  const r = model.parse(raw);
  if (!r.ok) throw new Error(r.problem);
  return r.value;
}

function normalized<T>(model: models.Model<T>, raw: unknown): T {
  return model.normalize(parsed(model, raw));
}

describe('lenient models', () => {
  it('parse every timestamp format Bugsnag sends (docs/bugsnag-api.md §15) to one canonical form', () => {
    expect(normalizeTimestamp('2017-12-12T10:58:55.000Z')).toBe('2017-12-12T10:58:55.000Z');
    expect(normalizeTimestamp('2021-07-08T14:26:55+00:00')).toBe('2021-07-08T14:26:55.000Z');
    expect(normalizeTimestamp('2017-12-12T10:58:49Z')).toBe('2017-12-12T10:58:49.000Z');
    expect(normalizeTimestamp('2022-10-17 15:30:00 +0000')).toBe('2022-10-17T15:30:00.000Z');
    expect(normalizeTimestamp('2022-10-17 17:30:00 +0200')).toBe('2022-10-17T15:30:00.000Z');
    // Not a timestamp: left exactly as it came, never dropped.
    expect(normalizeTimestamp('soon')).toBe('soon');
    expect(normalizeTimestamp(null)).toBeNull();
  });

  it('keep timestamps as the API sent them, and normalise them on request', () => {
    const raw = { id: 'r1', release_time: '2021-07-08T14:26:55+00:00' };
    const r = parsed(Release, raw);
    expect(r.release_time).toBe('2021-07-08T14:26:55+00:00');
    expect(Release.normalize(r).release_time).toBe('2021-07-08T14:26:55.000Z');
    expect(r.release_time, 'normalize copies').toBe('2021-07-08T14:26:55+00:00');
    const e = normalized(ErrorGroup, {
      id: 'e1',
      first_seen: '2017-12-12T10:58:50.000Z',
      last_seen: '2022-10-17 15:30:00 +0000',
      last_seen_unfiltered: '2017-12-12T10:58:55.648Z',
    });
    expect(e).toMatchObject({
      last_seen: '2022-10-17T15:30:00.000Z',
      last_seen_unfiltered: '2017-12-12T10:58:55.648Z',
    });
  });

  it('accept both received_at and receivedAt; normalising gives received_at and keeps the original', () => {
    expect('received_at' in parsed(Event, { id: 'a', receivedAt: '2017-12-12T10:58:55.000Z' })).toBe(false);
    const old = normalized(Event, { id: 'a', receivedAt: '2017-12-12T10:58:55.000Z' });
    expect(old.received_at).toBe('2017-12-12T10:58:55.000Z');
    expect(old.receivedAt).toBe('2017-12-12T10:58:55.000Z');
    const current = normalized(Event, { id: 'b', received_at: '2021-07-08T14:26:55+00:00' });
    expect(current.received_at).toBe('2021-07-08T14:26:55.000Z');
    expect('receivedAt' in current).toBe(false);
    expect('received_at' in normalized(Event, { id: 'c' })).toBe(false);
  });

  it('keep unknown fields, and nested ones, as they came', () => {
    const e = parsed(Event, {
      id: 'a',
      metaData: { Custom: { Deep: [1, 2] } },
      app: { releaseStage: 'production', brandNewField: true },
      somethingNew: { x: 1 },
    });
    expect(e).toMatchObject({
      somethingNew: { x: 1 },
      app: { brandNewField: true },
      metaData: { Custom: { Deep: [1, 2] } },
    });
  });

  it('accept nulls for known fields, but need the id', () => {
    expect(ErrorGroup.parse({ id: 'e', message: null, events: null, reopen_rules: null }).ok).toBe(true);
    const bad = ErrorGroup.parse({ message: 'no id' });
    expect(bad).toEqual({ ok: false, problem: expect.stringMatching(/^id: /) });
    expect(ErrorGroup.parse({ id: 'e', events: 'many' }).ok).toBe(false);
  });

  it('every exported schema converts to JSON Schema (for stream catalogs)', () => {
    const schemas = Object.entries(models).filter(([name]) => name.endsWith('Schema'));
    expect(schemas.length).toBeGreaterThanOrEqual(20);
    for (const [name, schema] of schemas) {
      const json = z.toJSONSchema(schema as z.ZodType, { io: 'input' }) as Record<string, unknown>;
      expect(json, name).toHaveProperty('$schema');
    }
    const event = z.toJSONSchema(models.EventSchema) as {
      properties: Record<string, unknown>;
      additionalProperties: unknown;
      required: string[];
    };
    expect(event.required).toEqual(['id']);
    expect(event.additionalProperties).toEqual({});
    expect(event.properties.received_at).toMatchObject({
      description: 'timestamp, as the API sent it (any ISO 8601 form)',
    });
  });
});
