import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { sourcesServer, startSim, type SourcesServer } from './sources-helpers.js';

/** The OpenAPI schemas of data_sources and runs against real answers (the path coverage is in openapi.test.ts). */

let sim: Simulator;
let s: SourcesServer;
beforeAll(async () => {
  sim = await startSim();
  s = await sourcesServer();
});
afterAll(async () => {
  await s.cleanup();
  await sim.close();
});

describe('OpenAPI: sources and runs', () => {
  it('real answers validate against the documented schemas', async () => {
    const doc = (await s.api('GET', '/api/openapi.json')).json() as {
      components: { schemas: Record<string, unknown> };
      paths: Record<string, unknown>;
    };
    for (const p of [
      '/api/data_sources',
      '/api/data_sources/{id}',
      '/api/data_sources/{id}/activate',
      '/api/data_sources/{id}/pause',
      '/api/data_sources/{id}/runs',
      '/api/data_sources/preview',
      '/api/data_sources/{id}/preview',
      '/api/runs',
      '/api/runs/{id}',
      '/api/runs/{id}/events',
      '/api/runs/{id}/cancel',
    ]) {
      expect(doc.paths[p], p).toBeDefined();
    }
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema({ $id: 'doc', components: doc.components });
    const check = (name: string, value: unknown) => {
      const validate = ajv.getSchema(`doc#/components/schemas/${name}`)!;
      expect(validate(value), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
    };
    const credentialId = await s.credential(sim);
    const body = {
      name: 'doc',
      description: 'x',
      data_credentials_id: credentialId,
      source_config: { streams: ['errors'], filters: ['app.release_stage=production'] },
      poll_schedule: 'daily',
    };
    check('DataSourceCreate', body);
    const created = (await s.api('POST', '/api/data_sources', body)).json();
    check('DataSource', created);
    check('DataSourceUpdate', created);
    check('DataSource', (await s.api('PUT', `/api/data_sources/${created.id}/pause`)).json());
    check('Preview', (await s.api('POST', `/api/data_sources/${created.id}/preview`, { stream: 'errors' })).json());
    const runId = await s.runToEnd(created.id);
    check('Run', (await s.api('GET', `/api/runs/${runId}`)).json());
    for (const r of (await s.api('GET', '/api/runs')).json()) check('Run', r);
    for (const d of (await s.api('GET', '/api/data_sources')).json()) check('DataSource', d);
    check('Error', (await s.api('POST', '/api/data_sources', { name: '' })).json());
    check('DataSourceRemoved', (await s.api('DELETE', `/api/data_sources/${created.id}`)).json());
  });
});
