// Screenshots of the web UI's main screens for the README, taken in headless Chromium against `snagsync serve` and the
// simulator (no network, no Bugsnag account). Rerun after changing a page:
//
//   npx tsx scripts/screenshots.ts            → docs/screenshots/*.png
//
// The tests never write into the repository; this script is the only thing that makes these files.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { startSimulator } from '../src/sim/index.js';
import { launchChromium, loginInBrowser, startWebServer } from '../test/helpers/browser.js';

const OUT = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const sim = await startSimulator({
    rateLimit: 1_000_000,
    orgs: 2,
    projects: 2,
    errors: 2,
    events: 10,
    releases: 2,
    seed: 7,
  });
  const server = await startWebServer();
  const browser = await launchChromium();
  try {
    const admin = sim.tokens.find((t) => t.role === 'admin')!;
    const member = sim.tokens.find((t) => t.role === 'member')!;
    const api = (body: object) =>
      fetch(`${server.url}/api/data_credentials`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.json() as Promise<{ id: string }>);
    await api({
      name: 'Bugsnag production',
      description: 'Data team token; hourly sync of errors and events',
      credentials: { auth_token: admin.token, host: sim.url },
    });
    const staging = await api({
      name: 'Staging (member)',
      description: 'Read-only member of the staging org',
      credentials: { auth_token: member.token, host: sim.url },
    });
    await api({
      name: 'SmartBear EU',
      description: 'Saved without checking, to test later',
      credentials: { auth_token: 'c7a1e1e0-5b43-4d8e-9d7c-3f2f2a1b9e04', host: 'https://api.bugsnag.smartbear.com' },
      verify: false,
    });
    // A token revoked since it was saved: the tile shows FAILED with the reason after a test.
    sim.revokeToken(member.token);
    await fetch(`${server.url}/api/data_credentials/${staging.id}/probe`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.key}` },
    });

    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
    const page = await context.newPage();

    await page.goto(`${server.url}/login`);
    await page.getByLabel('Server key').fill('wrong-key-typed-by-hand');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#login-key[aria-invalid="true"]').waitFor();
    await page.getByLabel('Server key').fill('');
    await page.screenshot({ path: `${OUT}login.png` });

    await loginInBrowser(page, server.url, server.key);
    await page.screenshot({ path: `${OUT}credentials.png`, fullPage: true });

    await page.getByRole('link', { name: 'Add Credential' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Add New Credential' }).waitFor();
    await dialog.getByLabel('Credential Name').fill('Bugsnag EU');
    await dialog.getByLabel('Credential Description').fill('Token of the EU team, daily sync');
    await page.screenshot({ path: `${OUT}add-credential.png` });

    await dialog.locator('#credential-create-host').selectOption('custom');
    await dialog.getByLabel('On-premise API URL').fill(sim.url);
    await dialog.getByLabel('Auth Token').fill(sim.info().organizations[0]!.projects[0]!.api_key);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.locator('#credential-create-token[aria-invalid="true"]').waitFor();
    await page.screenshot({ path: `${OUT}add-credential-error.png` });
    await page.keyboard.press('Escape');

    const narrow = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
    const phone = await narrow.newPage();
    await loginInBrowser(phone, server.url, server.key);
    await phone.screenshot({ path: `${OUT}credentials-narrow.png` });
    await sourceScreens(browser);
    process.stderr.write(`screenshots written to ${OUT}\n`);
  } finally {
    await browser.close();
    await server.close();
    await sim.close();
  }
}

/**
 * Sources, the wizard with a Test result, a run in progress, a finished run and the Overview. The simulator allows
 * 3 requests per 400 ms (and the server is told so), so a run lasts long enough to be caught mid-way.
 */
async function sourceScreens(browser: Browser): Promise<void> {
  const WINDOW_MS = 400;
  const sim = await startSimulator({
    rateLimit: 3,
    rateWindowMs: WINDOW_MS,
    orgs: 1,
    projects: 3,
    errors: 8,
    events: 900,
    releases: 3,
    seed: 11,
  });
  // The scheduler is on, as in `snagsync serve`, with a long tick: it swept once at start (nothing was there yet), so
  // the runs below are the script's own, and the list shows the next runs it would make.
  const server = await startWebServer({
    env: { SNAGSYNC_RATE_WINDOW_MS: String(WINDOW_MS) },
    app: { scheduler: { tickMs: 3_600_000 } },
  });
  try {
    const api = async <T>(method: string, path: string, body?: object): Promise<T> => {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${server.key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return (await res.json()) as T;
    };
    /** Starts a run and resolves when it has ended (its event stream closes). */
    const runToEnd = async (sourceId: string) => {
      const { run_id } = await api<{ run_id: string }>('POST', `/api/data_sources/${sourceId}/runs`);
      await (
        await fetch(`${server.url}/api/runs/${run_id}/events`, { headers: { authorization: `Bearer ${server.key}` } })
      ).text();
      return run_id;
    };
    const admin = sim.tokens.find((t) => t.role === 'admin')!;
    const credential = await api<{ id: string }>('POST', '/api/data_credentials', {
      name: 'Bugsnag production',
      description: 'Data team token',
      credentials: { auth_token: admin.token, host: sim.url },
    });
    const projects = sim.info().organizations[0]!.projects;
    // Today's traffic differs per project, so the lines part at the end of the chart.
    projects.forEach((p, i) => sim.addEvents({ projectId: p.id, count: [40, 12, 24][i] ?? 5 }));
    const production = await api<{ id: string }>('POST', '/api/data_sources', {
      name: 'Production apps',
      description: 'Errors, events and stability of the shipping apps',
      data_credentials_id: credential.id,
      source_config: { streams: ['projects', 'errors', 'events', 'releases', 'stability_trend'] },
      poll_schedule: 'hourly',
    });
    await api('POST', '/api/data_sources', {
      name: 'Staging',
      data_credentials_id: credential.id,
      source_config: { streams: ['errors'], projects: [projects[2]!.id] },
      poll_schedule: 'every 15m',
      status: 'PAUSED',
    });
    const archive = await api<{ id: string }>('POST', '/api/data_sources', {
      name: 'Event archive (JSONL)',
      data_credentials_id: credential.id,
      source_config: {
        streams: ['projects', 'errors', 'events', 'releases'],
        projects: [projects[0]!.id, projects[1]!.id],
      },
      destination: 'jsonl:bugsnag-archive',
      poll_schedule: 'daily',
    });
    const productionRun = await runToEnd(production.id);

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    await loginInBrowser(page, server.url, server.key, '/sources');

    // A run in progress: caught once the live view has applied events and counted records.
    const { run_id: liveRun } = await api<{ run_id: string }>('POST', `/api/data_sources/${archive.id}/runs`);
    await page.goto(`${server.url}/runs/${liveRun}`);
    await page
      .locator(
        '[data-live-run][data-status="running"]:not([data-applied="0"]):has([data-total="records"]:not(:text-is("0"))):has([data-cell="state"]:text-is("✓ done"))',
      )
      .waitFor({ timeout: 60_000 });
    await page.screenshot({ path: `${OUT}run-live.png`, fullPage: true });
    await page.locator('[data-run-page][data-run-status="succeeded"]').waitFor({ timeout: 120_000 });

    await page.goto(`${server.url}/runs/${productionRun}`);
    await page.screenshot({ path: `${OUT}run-detail.png`, fullPage: true });

    await page.goto(`${server.url}/sources`);
    await page.screenshot({ path: `${OUT}sources.png` });

    await page.goto(`${server.url}/`);
    await page.locator('[data-chart="events-0"]').waitFor();
    await page.screenshot({ path: `${OUT}overview.png`, fullPage: true });

    // The wizard on its third step, after Test.
    await page.goto(`${server.url}/sources/new`);
    await page.locator('[data-step-link="2"]').click();
    await page.locator('#wizard-projects [data-projects-state="listed"]').waitFor({ state: 'attached' });
    await page.getByLabel('Test: read a few records of').selectOption('errors');
    await page.getByRole('button', { name: 'Test' }).click();
    await page.locator('#test-result [data-preview-stream="errors"]').waitFor();
    await page.screenshot({ path: `${OUT}source-wizard.png`, fullPage: true });

    const narrow = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
    const phone = await narrow.newPage();
    await loginInBrowser(phone, server.url, server.key, '/sources');
    await phone.screenshot({ path: `${OUT}sources-narrow.png` });
  } finally {
    await server.close();
    await sim.close();
  }
}

await main();
