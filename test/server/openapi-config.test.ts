import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOURCE_CONFIG_KEYS } from '../../src/engine/index.js';
import { STREAMS } from '../../src/streams/catalog.js';
import { keyHeaders, testServer, type TestServer } from './helpers.js';

/** source_config in the OpenAPI document is the engine's one declaration, stream-owned options included. */

let s: TestServer;
beforeAll(async () => {
  s = await testServer({ verify: { logger: false } });
});
afterAll(async () => {
  await s.cleanup();
});

describe('source_config in the OpenAPI document', () => {
  it('lists every option the streams declare, with its description and default', async () => {
    const doc = (await s.app.inject({ method: 'GET', url: '/api/openapi.json', headers: keyHeaders() })).json();
    const props = doc.components.schemas.DataSourceCreate.properties.source_config.properties as Record<
      string,
      { description?: string; default?: unknown }
    >;
    expect(Object.keys(props).sort()).toEqual([...SOURCE_CONFIG_KEYS].sort());
    const owned = STREAMS.flatMap((st) => Object.keys(st.options?.shape ?? {}));
    expect(owned).toEqual(
      expect.arrayContaining([
        'errors_full_pass_interval',
        'releases_full_pass_interval',
        'full_reports',
        'trends_resolution',
        'trends_days',
      ]),
    );
    for (const k of owned) expect(props[k]?.description, k).toBeTruthy();
    // A request states its defaults in words (a `default` keyword reads as "always present" to generators); the
    // answer, where they are always present, keeps the keyword.
    expect(props.releases_full_pass_interval!.description).toContain('Default: "1d".');
    expect(
      doc.components.schemas.DataSource.properties.source_config.properties.releases_full_pass_interval.default,
    ).toBe('1d');
    expect(doc.components.schemas.DataSourceCreate.properties.source_config.additionalProperties).toBe(false);
  });
});
