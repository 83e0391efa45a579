import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { WIZARD_OPTIONS } from '../../src/server/sources/wizard-values.js';
import { keyHeaders } from './helpers.js';
import { sourcesServer, startSim, type SourcesServer } from './sources-helpers.js';

/**
 * `events_backfill` and `events_backfill_threshold` are declared once, in the events stream: the HTTP API takes and
 * checks them, the OpenAPI document describes them, the wizard offers the mode.
 */
let sim: Simulator;
let s: SourcesServer;
let credentialId: string;

beforeAll(async () => {
  sim = await startSim();
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  s = await sourcesServer();
  credentialId = await s.credential(sim);
});
afterEach(async () => {
  await s.cleanup();
});

describe('events_backfill through the HTTP API', () => {
  it('is stored as given, shown with its default when unset, and a wrong value is a 400 on its field', async () => {
    const created = await s.source({
      name: 'bulk',
      data_credentials_id: credentialId,
      source_config: { streams: ['events'], events_backfill: 'bulk', events_backfill_threshold: 5000 },
    });
    expect(created.source_config).toMatchObject({ events_backfill: 'bulk', events_backfill_threshold: 5000 });

    const plain = await s.source({ name: 'plain', data_credentials_id: credentialId });
    expect((plain.source_config as Record<string, unknown>).events_backfill ?? 'auto').toBe('auto');

    const bad = await s.api('POST', '/api/data_sources', {
      name: 'bad',
      data_credentials_id: credentialId,
      source_config: { events_backfill: 'sometimes', events_backfill_threshold: -1 },
    });
    expect(bad.statusCode).toBe(400);
    const fields = bad.json().fields as Record<string, string>;
    expect(fields['source_config.events_backfill']).toMatch(/auto.*bulk.*list/);
    expect(fields['source_config.events_backfill_threshold']).toMatch(/whole number/);

    const updated = await s.api('PUT', `/api/data_sources/${created.id}`, {
      source_config: { events_backfill: 'list' },
    });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(updated.json().source_config.events_backfill).toBe('list');
  });

  it('is in the OpenAPI document with its values and default, and in the wizard', async () => {
    const doc = (await s.app.inject({ method: 'GET', url: '/api/openapi.json', headers: keyHeaders() })).json();
    const props = doc.components.schemas.DataSourceCreate.properties.source_config.properties;
    const mode = JSON.stringify(props.events_backfill);
    expect(mode).toContain('"auto"');
    expect(mode).toContain('"bulk"');
    expect(mode).toContain('"list"');
    // A request states its defaults in words (see docs/http-api.md, Generated clients); the answer keeps the keyword.
    expect(props.events_backfill.description).toContain('Default: "auto".');
    expect(props.events_backfill_threshold.description).toContain('Default: 10000.');
    const answer = doc.components.schemas.DataSource.properties.source_config.properties;
    expect(answer.events_backfill.default).toBe('auto');
    expect(answer.events_backfill_threshold.default).toBe(10_000);
    expect(WIZARD_OPTIONS.map((o) => o.key)).toContain('events_backfill');
  });
});
