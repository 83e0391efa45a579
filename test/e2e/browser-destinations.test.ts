import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { loginInBrowser, startWebServer, useBrowserSuite, type WebServer } from '../helpers/browser.js';
import { requireService } from '../helpers/services.js';
import { startSim } from '../server/sources-helpers.js';
import { projectsOf, simError, simErrorIds, simWrites } from '../writeback/helpers.js';

/**
 * The destination wizard in Chromium against the simulator: Destinations → New destination → the Bugsnag tile →
 * Authenticate with a credential tile → an uploaded file and an operation → name → Plan (nothing sent) → Apply →
 * the run's page, live, then its per-row report.
 */

const enabled = requireService('chromium');

describe.skipIf(!enabled)('web UI: Destinations (Chromium)', () => {
  const web = useBrowserSuite({ beforeAll, afterEach, afterAll });
  let sim: Simulator;
  let server: WebServer;
  beforeAll(async () => {
    sim = await startSim({ errors: 6 });
    server = await startWebServer();
    const admin = sim.tokens.find((t) => t.role === 'admin')!;
    const res = await fetch(`${server.url}/api/data_credentials`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Triage token', credentials: { auth_token: admin.token, host: sim.url } }),
    });
    expect(res.status).toBe(201);
  });
  afterAll(async () => {
    await server?.close();
    await sim?.close();
  });

  it('creates a destination from a file, shows its plan without writing, applies it and shows the report', async () => {
    const project = projectsOf(sim)[0]!;
    const ids = await simErrorIds(sim, project, 2);
    const rows = [
      { project_id: project, error_id: ids[0] },
      { project_id: project, error_id: ids[1] },
      { project_id: project, error_id: 'abcdefabcdefabcdefabcdef' },
    ];
    sim.resetStats();
    const page = await web.page();
    await loginInBrowser(page, server.url, server.key, '/destinations');
    await page.getByRole('link', { name: 'New destination' }).click();
    await page.getByRole('heading', { name: 'New destination' }).waitFor();
    // 1: the connector tile is Bugsnag.
    expect(await page.getByRole('radio', { name: 'Bugsnag' }).isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Next' }).click();
    // 2: Authenticate with a credential tile (Next without one stays and says so).
    await page.getByRole('radio', { name: 'Triage token' }).check();
    await page.locator('#dstep-authenticate').getByRole('button', { name: 'Next' }).click();
    // 3: the input (an uploaded file) and the operation.
    await page.locator('#dest-file').setInputFiles({
      name: 'triage.jsonl',
      mimeType: 'application/json',
      buffer: Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n')),
    });
    await expect.poll(() => page.locator('#dest-content').inputValue()).toContain(ids[0]!);
    expect(await page.getByRole('radio', { name: /An uploaded file/ }).isChecked()).toBe(true);
    await page.getByLabel('Operation', { exact: true }).selectOption('ignore');
    await page.locator('#dstep-input').getByRole('button', { name: 'Next' }).click();
    // 4: a name, then Save: the plan page, which reads nothing from Bugsnag until Plan is pressed.
    await page.getByLabel('Destination name').fill('Ignore noisy');
    sim.resetStats();
    await Promise.all([
      page.waitForURL(/\/destinations\/snk_[0-9a-z]+\/plan$/),
      page.getByRole('button', { name: 'Save', exact: true }).click(),
    ]);
    await page.locator('[data-plan-pending]').waitFor();
    expect(sim.stats().requests).toBe(0);
    await page.getByRole('button', { name: 'Plan', exact: true }).click();
    const plan = page.locator('table[data-plan]');
    await plan.waitFor();
    expect(await plan.locator('[data-plan-group="ignore"] [data-plan-change]').textContent()).toMatch(/^[012]$/);
    expect(await page.locator('[data-plan-summary]').textContent()).toContain('Nothing has been sent');
    expect(simWrites(sim)).toBe(0);

    // Every request on errors waits 1.5 s at the simulator (the plan's reads, then the one bulk PATCH): the run's page
    // opens while it applies, follows it live, and shows the report when it ends.
    sim.setFaults('slow:1500ms~/errors');
    await Promise.all([
      page.waitForURL(/\/destinations\/snk_[0-9a-z]+\/runs\/wbr_[0-9a-z]+$/),
      page.getByRole('button', { name: 'Apply' }).click(),
    ]);
    await page.locator('[data-live-sink-run]').waitFor();
    const report = page.locator('table[data-report]');
    await report.waitFor({ timeout: 20_000 });
    const outcomes = await report
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-outcome')));
    expect(outcomes.slice(0, 2).every((o) => o === 'applied' || o === 'skipped')).toBe(true);
    expect(outcomes[2]).toBe('failed');
    expect(await report.locator('tr[data-row="3"]').textContent()).toMatch(/404/);
    expect(await page.locator('[data-total="failed"]').textContent()).toBe('1');
    sim.setFaults('');
    expect((await simError(sim, project, ids[0]!)).status).toBe('ignored');
    expect((await simError(sim, project, ids[1]!)).status).toBe('ignored');

    // The Destinations page lists it as a tile with its last run.
    await page.getByRole('link', { name: 'Destinations' }).click();
    const tile = page.locator('[data-tiles="destinations"] li', { hasText: 'Ignore noisy' });
    await tile.waitFor();
    expect(await tile.textContent()).toContain('Triage token');
  });
});
