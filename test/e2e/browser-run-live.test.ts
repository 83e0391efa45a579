import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { loginInBrowser, startWebServer, useBrowserSuite, type WebServer } from '../helpers/browser.js';
import { requireService } from '../helpers/services.js';

/**
 * A running sync's page in Chromium while the rate limit makes it wait: the wait counts down, a cancel is news (not
 * a success), the partition it stopped is "cancelled" (not "failed"), and what was said when it started is gone at
 * the end. The simulator allows one request per 4 s window (and the server is told that window), so every request
 * after the first waits seconds: long enough to see the countdown move, without sleeping anywhere.
 */

const enabled = requireService('chromium');
const WINDOW_MS = 4000;

describe.skipIf(!enabled)('web UI: a live run (Chromium)', () => {
  const web = useBrowserSuite({ beforeAll, afterEach, afterAll });
  let sim: Simulator;
  let server: WebServer;
  let sourceId: string;
  beforeAll(async () => {
    sim = await startSimulator({
      anchor: '2026-01-15T00:00:00Z',
      rateLimit: 1,
      rateWindowMs: WINDOW_MS,
      orgs: 1,
      projects: 2,
      errors: 3,
      events: 300,
      releases: 2,
    });
    server = await startWebServer({ env: { SNAGSYNC_RATE_WINDOW_MS: String(WINDOW_MS) } });
    const auth = { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' };
    const cred = await fetch(`${server.url}/api/data_credentials`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'Slow', credentials: { auth_token: sim.tokens[0]!.token, host: sim.url } }),
    });
    expect(cred.status).toBe(201);
    const src = await fetch(`${server.url}/api/data_sources`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        name: 'Waits a lot',
        data_credentials_id: ((await cred.json()) as { id: string }).id,
        source_config: { streams: ['errors', 'events'] },
      }),
    });
    expect(src.status).toBe(201);
    sourceId = ((await src.json()) as { id: string }).id;
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await sim?.close();
  });

  it('the rate-limit wait counts down; cancelling is news, the partition says cancelled, the start message goes', async () => {
    const page = await web.page();
    page.setDefaultTimeout(10_000);
    await loginInBrowser(page, server.url, server.key, '/sources');
    await page.locator(`#source-${sourceId}`).getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL(/\/runs\/run_/);
    expect(await page.locator('[data-flash-region]').textContent()).toContain('has started');

    // The status line counts the wait down: a number of seconds, then a smaller one.
    const status = page.locator('[data-live-status]');
    await page.locator('[data-live-run][data-wait-left]').waitFor({ timeout: 20_000 });
    const first = Number(/Waiting (\d+) s/.exec((await status.textContent()) ?? '')?.[1]);
    expect(first).toBeGreaterThan(1);
    await page.locator(`[data-live-status]:text-matches("Waiting ([1-${first - 1}]) s")`).waitFor({ timeout: 5000 });

    // Cancel: shown as news (not in the green success banner), and not as a failure of the partition in flight.
    // The cancel's message is short-lived (the finished page replaces it): every message shown is recorded.
    await page.evaluate(`(() => {
      window.flashesSeen = [];
      const region = document.querySelector('[data-flash-region]');
      new MutationObserver(() => {
        for (const p of region.querySelectorAll('.flash')) window.flashesSeen.push(p.className + '|' + p.textContent);
      }).observe(region, { childList: true, subtree: true });
    })()`);
    // A partition in flight (started, not done) when the cancel comes.
    await page.locator('[data-live-streams] tr[data-outcome=""]').first().waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Cancel the run' }).click();
    await page.locator('[data-run-page][data-run-status="cancelled"]').waitFor({ timeout: 20_000 });
    const seen = await page.evaluate<string[]>('window.flashesSeen');
    const cancelling = seen.filter((f) => f.includes('Cancelling'));
    expect(cancelling.length).toBeGreaterThan(0);
    for (const f of cancelling) expect(f).toMatch(/^flash flash-info\|/);
    expect(await page.locator('main').textContent()).not.toContain('✕ failed');
    expect(await page.locator('[data-run-streams]').textContent()).toContain('■ cancelled');
    // What was said when the run started (and while cancelling) no longer stands on the finished run's page.
    expect(await page.locator('[data-flash-region]').textContent()).not.toContain('has started');
    expect(await page.locator('[data-flash-region]').textContent()).not.toContain('Cancelling');
  }, 60_000);
});
