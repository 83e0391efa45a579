import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { loginInBrowser, startWebServer, useBrowserSuite, type WebServer } from '../helpers/browser.js';
import { requireService } from '../helpers/services.js';
import { startSim } from '../server/sources-helpers.js';
import { projectsOf, simComments, simError, simErrorIds, simWrites } from '../writeback/helpers.js';

/**
 * Retry failed rows in Chromium: an apply whose comments fail (a simulator fault), the report's Retry failed rows
 * button after the fault is cleared, the plan of exactly those rows, Apply, and a report with every row applied.
 */

const enabled = requireService('chromium');

describe.skipIf(!enabled)('web UI: Retry failed rows (Chromium)', () => {
  const web = useBrowserSuite({ beforeAll, afterEach, afterAll });
  let sim: Simulator;
  let server: WebServer;
  let credentialId: string;
  beforeAll(async () => {
    sim = await startSim({ errors: 30 });
    server = await startWebServer({ env: { SNAGSYNC_RETRY_BASE_MS: '20' } });
    const admin = sim.tokens.find((t) => t.role === 'admin')!;
    const res = await fetch(`${server.url}/api/data_credentials`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Triage token', credentials: { auth_token: admin.token, host: sim.url } }),
    });
    expect(res.status).toBe(201);
    credentialId = ((await res.json()) as { id: string }).id;
  });
  afterAll(async () => {
    sim?.setFaults('');
    await server?.close();
    await sim?.close();
  });

  it('retries the failed rows of a report from its page: they end applied, nothing is sent twice', async () => {
    const project = projectsOf(sim)[0]!;
    const quiet: string[] = [];
    for (const id of await simErrorIds(sim, project, 30))
      if (((await simError(sim, project, id)) as { comment_count?: number }).comment_count === 0) quiet.push(id);
    const [a, c, d] = quiet as [string, string, string];
    const rows = [
      { project_id: project, error_id: a, operation: 'fix' },
      { project_id: project, error_id: c, operation: 'comment', message: `browser ticket ${c}` },
      { project_id: project, error_id: d, operation: 'comment', message: `browser ticket ${d}` },
    ];
    const created = await fetch(`${server.url}/api/data_sinks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Tickets',
        data_credentials_id: credentialId,
        data_sink_config: {
          input: { type: 'file', format: 'jsonl', content: rows.map((r) => JSON.stringify(r)).join('\n') },
          operation: null,
        },
      }),
    });
    expect(created.status).toBe(201);
    const sinkId = ((await created.json()) as { id: string }).id;

    const page = await web.page();
    await loginInBrowser(page, server.url, server.key, `/destinations/${sinkId}/plan`);
    await page.getByRole('button', { name: 'Plan', exact: true }).click();
    await page.locator('table[data-plan]').waitFor();
    // Every comment POST answers 500 (and so does the read-back after it): the comments fail, the fix lands.
    sim.setFaults('500:1~/comments');
    await Promise.all([
      page.waitForURL(/\/destinations\/snk_[0-9a-z]+\/runs\/wbr_[0-9a-z]+$/),
      page.getByRole('button', { name: 'Apply' }).click(),
    ]);
    const firstUrl = page.url();
    await page.locator('table[data-report]').waitFor({ timeout: 20_000 });
    sim.setFaults('');
    expect(await page.locator('[data-total="failed"]').textContent()).toBe('2');
    expect(await page.locator('tr[data-outcome="failed"]').count()).toBe(2);
    expect((await simError(sim, project, a)).status).toBe('fixed');
    const writesBefore = simWrites(sim);

    // Retry failed rows: the plan of the two comments only, then Apply.
    await page.getByRole('button', { name: 'Retry failed rows (2)' }).click();
    await page.getByRole('heading', { name: 'Retry failed rows: Tickets' }).waitFor();
    expect(await page.locator('[data-plan-summary]').textContent()).toMatch(/^2 rows/);
    expect(
      await page.locator('[data-plan-group]').evaluateAll((els) => els.map((e) => e.getAttribute('data-plan-group'))),
    ).toEqual(['comment', 'comment']); // one group per message; no fix
    expect(simWrites(sim)).toBe(writesBefore);
    await Promise.all([
      page.waitForURL((u) => /\/runs\/wbr_[0-9a-z]+$/.test(u.pathname) && u.href !== firstUrl),
      page.getByRole('button', { name: 'Apply' }).click(),
    ]);
    await page.locator('table[data-report]').waitFor({ timeout: 20_000 });
    expect(await page.locator('tr[data-outcome="applied"]').count()).toBe(2);
    expect(await page.locator('tr[data-outcome="failed"]').count()).toBe(0);
    expect(await page.getByRole('button', { name: /Retry failed rows/ }).count()).toBe(0);
    expect(simWrites(sim) - writesBefore).toBe(2);
    expect(await simComments(sim, project, c)).toEqual([`browser ticket ${c}`]);
    expect(await simComments(sim, project, d)).toEqual([`browser ticket ${d}`]);
  });
});
