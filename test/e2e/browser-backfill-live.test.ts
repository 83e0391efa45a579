import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { loginInBrowser, startWebServer, useBrowserSuite, type WebServer } from '../helpers/browser.js';
import { requireService } from '../helpers/services.js';

/**
 * A bulk backfill followed live in Chromium: the partition's row says where the export stands, and app.js keeps it
 * current from the server-sent events. The simulator prepares each export for 9 s and knows its size after a third of
 * that, so the row first says the export is being prepared, then (from a later event, applied in the browser) how
 * many events it holds, then the finished run's page with every event read.
 */

const enabled = requireService('chromium');

describe.skipIf(!enabled)('web UI: a live bulk backfill (Chromium)', () => {
  const web = useBrowserSuite({ beforeAll, afterEach, afterAll });
  let sim: Simulator;
  let server: WebServer;
  let sourceId: string;
  beforeAll(async () => {
    sim = await startSimulator({
      anchor: '2026-01-15T00:00:00Z',
      orgs: 1,
      projects: 1,
      errors: 3,
      events: 300,
      releases: 1,
      edrPrepareMs: 9000,
    });
    server = await startWebServer({});
    const auth = { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' };
    const cred = await fetch(`${server.url}/api/data_credentials`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'Bulk', credentials: { auth_token: sim.tokens[0]!.token, host: sim.url } }),
    });
    expect(cred.status).toBe(201);
    const src = await fetch(`${server.url}/api/data_sources`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        name: 'Backfilled',
        data_credentials_id: ((await cred.json()) as { id: string }).id,
        source_config: { streams: ['events'], events_backfill: 'bulk' },
      }),
    });
    expect(src.status).toBe(201);
    sourceId = ((await src.json()) as { id: string }).id;
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await sim?.close();
  });

  it('the row shows the export being prepared, then its size; then the finished run', async () => {
    const page = await web.page();
    page.setDefaultTimeout(20_000);
    await loginInBrowser(page, server.url, server.key, '/sources');
    await page.locator(`#source-${sourceId}`).getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL(/\/runs\/run_/);
    const state = page.locator('tr[data-key^="events|"] [data-cell="state"]');
    await state.filter({ hasText: /^export: (requested|Bugsnag is preparing it)$/ }).waitFor();
    await state.filter({ hasText: 'export: Bugsnag is preparing it (300 events)' }).waitFor();
    // At the end the finished run's page replaces the live view: every event written.
    const records = page.locator('[data-run-totals] [data-total="records"]');
    await records.filter({ hasText: '300' }).waitFor({ timeout: 30_000 });
  }, 90_000);
});
