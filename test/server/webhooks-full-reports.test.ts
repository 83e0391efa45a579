import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ensureWebhook } from '../../src/engine/webhooks/secret.js';
import type { Simulator } from '../../src/sim/index.js';
import { newCredentialId } from '../../src/store/index.js';
import { tempDir } from '../store/helpers.js';
import { testServer, type TestServer } from './helpers.js';
import { startSim } from './sources-helpers.js';
import { rows, until } from './webhooks-helpers.js';

/**
 * A source that syncs full event reports gets them from a webhook too (issue 21, item 3): the message carries a
 * summary of its event, so `serve` reads the full report once — one GET per event, through the token's limiter — and
 * writes that; a source of summaries makes no request at all.
 */
let sim: Simulator;
let s: TestServer;
let base: string;
let data: { dir: string; cleanup: () => void };

beforeAll(async () => {
  sim = await startSim({ projects: 1, errors: 3, events: 20 });
  s = await testServer();
  await s.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(s.app.server.address() as { port: number }).port}`;
  data = tempDir('snagsync-webhook-full-');
});
afterAll(async () => {
  await s.cleanup();
  await sim.close();
  data.cleanup();
});

/** A source over the simulator (its admin token, sealed), with its webhook. */
async function source(name: string, fullReports: boolean) {
  const project = sim.info().organizations[0]!.projects[0]!.id;
  const id = newCredentialId();
  const sealed = await s.runtime.vault.seal(id, sim.tokens.find((t) => t.role === 'admin')!.token);
  await s.runtime.store.credentials.create({
    id,
    name,
    host: sim.url,
    ...sealed,
    verified_status: 'VERIFIED',
    verified_at: '2026-01-15T00:00:00Z',
    organizations: [],
  });
  const destination = `sqlite:${join(data.dir, `${name}.db`)}`;
  const src = await s.runtime.store.sources.create({
    name,
    credential_id: id,
    destination,
    config: { projects: [project], streams: ['errors', 'events'], full_reports: fullReports },
  });
  const w = await ensureWebhook(s.runtime, src.id);
  sim.webhooks.add({
    url: `${base}/hooks/bugsnag/${src.id}/${w.secret}`,
    triggers: ['exception'],
    project_id: project,
  });
  return { project, destination };
}

const eventReads = () => sim.stats().byToken.admin?.endpoints['GET /projects/{project_id}/events/{event_id}'] ?? 0;

describe('webhooks for a source of full reports', () => {
  it('the event row is the full report, read once per event; a source of summaries reads nothing', async () => {
    const full = await source('full', true);
    const summary = await source('summary', false);
    sim.resetStats();
    const added = sim.addEvents({ projectId: full.project, count: 3 });
    await sim.idle();
    const events = await until('the three full rows', async () => {
      const r = await rows(full.destination, 'events');
      return r.length === 3 ? r : null;
    });
    await until('the three summary rows', async () => (await rows(summary.destination, 'events')).length === 3);
    expect(eventReads()).toBe(3);
    const admin = sim.tokens.find((t) => t.role === 'admin')!.token;
    for (const a of added) {
      const row = events.find((e) => e.id === a.id)!;
      const api = (await (
        await fetch(`${sim.url}/projects/${full.project}/events/${a.id}`, {
          headers: { authorization: `token ${admin}`, 'x-version': '2' },
        })
      ).json()) as Record<string, unknown>;
      // What only a full report holds: the breadcrumbs, the metadata, the app and device as the API gives them.
      expect(Array.isArray(api.breadcrumbs)).toBe(true);
      expect(row.breadcrumbs).toEqual(api.breadcrumbs);
      expect(row.metaData ?? row.meta_data).toEqual(api.metaData ?? api.meta_data);
      expect(row).toMatchObject({ project_id: full.project, error_id: a.error_id });
    }
    const thin = (await rows(summary.destination, 'events')).find((e) => e.id === added[0]!.id)!;
    expect(thin.breadcrumbs).toBeUndefined();
  });
});
