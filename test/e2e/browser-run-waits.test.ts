import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { loginInBrowser, startWebServer, useBrowserSuite, type WebServer } from '../helpers/browser.js';
import { requireService } from '../helpers/services.js';

/**
 * Issue 23, defect 1: a rate-limit wait stays on the live run's page until it is over, even when a page (the answer
 * to a request already in flight, of another partition or of the waiting one) lands meanwhile. The simulator allows 3 requests per 5 s window and every
 * answer takes 400 ms, and three projects are read at once: while one partition waits, another's page lands.
 *
 * The page's EventSource listeners are wrapped (an init script) to record, after each event was applied, the status
 * line and the row states (and the waits the server rendered into the page, running when it loaded): the test then
 * checks, event by event, that a wait still running is still shown.
 */

const enabled = requireService('chromium');
const WINDOW_MS = 5000;

interface Seen {
  type: string;
  key: string;
  ms: number;
  t: number;
  status: string;
  rowState: string;
}

const RECORDER = `(() => {
  window.__seen = [];
  const stateOf = (key) => {
    const row = [...document.querySelectorAll('tr[data-key]')].find((r) => r.dataset.key === key);
    return row?.querySelector('[data-cell="state"]')?.textContent ?? '';
  };
  // Waits already running when the server rendered the page come in data-waits, not as events: recorded first.
  document.addEventListener('DOMContentLoaded', () => {
    const view = document.querySelector('[data-live-run]');
    const waits = view?.dataset.waits ? JSON.parse(view.dataset.waits) : {};
    for (const [key, ms] of Object.entries(waits))
      window.__seen.push({
        type: 'rate-limit-wait', key, ms, t: Date.now(),
        status: document.querySelector('[data-live-status]')?.textContent ?? '',
        rowState: stateOf(key),
      });
  });
  const add = EventSource.prototype.addEventListener;
  EventSource.prototype.addEventListener = function (type, listener, options) {
    if (type === 'error' || typeof listener !== 'function') return add.call(this, type, listener, options);
    return add.call(this, type, function (message) {
      const result = listener.call(this, message);
      let e = {};
      try { e = JSON.parse(message.data); } catch {}
      const key = e.stream ? e.stream + '|' + (e.partition ?? '') : '';
      const row = [...document.querySelectorAll('tr[data-key]')].find((r) => r.dataset.key === key);
      window.__seen.push({
        type, key, ms: e.ms ?? 0, t: Date.now(),
        status: document.querySelector('[data-live-status]')?.textContent ?? '',
        rowState: row?.querySelector('[data-cell="state"]')?.textContent ?? '',
      });
      return result;
    }, options);
  };
})()`;

describe.skipIf(!enabled)('web UI: rate-limit waits on a live run (Chromium)', () => {
  const web = useBrowserSuite({ beforeAll, afterEach, afterAll });
  let sim: Simulator;
  let server: WebServer;
  let sourceId: string;
  beforeAll(async () => {
    sim = await startSimulator({
      anchor: '2026-01-15T00:00:00Z',
      rateLimit: 3,
      rateWindowMs: WINDOW_MS,
      faults: 'slow:400ms',
      orgs: 1,
      projects: 3,
      errors: 3,
      events: 150,
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
        name: 'Three at once',
        data_credentials_id: ((await cred.json()) as { id: string }).id,
        source_config: { streams: ['events'], concurrency: 3 },
      }),
    });
    expect(src.status).toBe(201);
    sourceId = ((await src.json()) as { id: string }).id;
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await sim?.close();
  });

  it('a page landing during a wait does not end it: the status line and the waiting row keep counting', async () => {
    const page = await web.page();
    page.setDefaultTimeout(10_000);
    await page.addInitScript(RECORDER);
    await loginInBrowser(page, server.url, server.key, '/sources');
    await page.locator(`#source-${sourceId}`).getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL(/\/runs\/run_/);
    await page
      .locator('[data-run-page][data-run-status]:not([data-run-status="running"])')
      .waitFor({ timeout: 60_000 });
    const seen = await page.evaluate<Seen[]>('window.__seen');

    // Replay the events: which waits were running when each event was applied.
    const waits = new Map<string, number>();
    let crossings = 0;
    let waitsSeen = 0;
    for (const s of seen) {
      for (const [k, until] of waits) if (until <= s.t) waits.delete(k);
      if (s.type === 'rate-limit-wait') {
        waitsSeen++;
        waits.set(s.key, s.t + s.ms);
        expect(s.status).toMatch(/^Waiting \d+ s for the rate limit/);
        if (s.key && s.ms >= 1500) expect(s.rowState).toMatch(/^waiting \d+ s for the rate limit$/);
      } else if (s.type === 'stream-done') {
        waits.delete(s.key);
      } else if (s.type === 'page') {
        // A wait with more than a second left is still on: the page must still say so. (A page answers a request sent
        // before the wait began: of another partition, or of the same one, whose next request is what waits.)
        const running = [...waits.values()].some((until) => until - s.t > 1000);
        if (running && s.type === 'page') {
          crossings++;
          expect(s.status, JSON.stringify(s)).toMatch(/^Waiting \d+ s for the rate limit/);
        }
      }
    }
    expect(waitsSeen).toBeGreaterThan(0);
    // The case of the issue happened at least once in this run (else the test proves nothing).
    expect(crossings).toBeGreaterThan(0);
  }, 90_000);
});
