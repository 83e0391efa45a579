import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { nextRunAfter } from '../../src/engine/index.js';
import { startWebServer, useBrowserSuite, type WebServer } from '../helpers/browser.js';
import { requireService } from '../helpers/services.js';

/**
 * The source wizard's "Custom (cron)" schedule in real Chromium: a wrong field is refused at save, on the Schedule step, naming
 * the field; a good expression is saved as it was typed, and the source page shows when it runs next (the pattern's
 * next time, not "at once"). Editing the source brings the cron choice back.
 */
const enabled = requireService('chromium');

describe.skipIf(!enabled)('web UI: cron schedules in the source wizard (Chromium)', () => {
  const web = useBrowserSuite({ beforeAll, afterEach, afterAll });
  let sim: Simulator;
  let server: WebServer;
  beforeAll(async () => {
    sim = await startSimulator({ anchor: '2026-01-15T00:00:00Z', orgs: 1, projects: 1, errors: 2, events: 5 });
    server = await startWebServer();
    const res = await fetch(`${server.url}/api/data_credentials`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Bugsnag production',
        credentials: { auth_token: sim.tokens.find((t) => t.role === 'admin')!.token, host: sim.url },
      }),
    });
    expect(res.status).toBe(201);
  });
  afterAll(async () => {
    await server?.close();
    await sim?.close();
  });

  it('offers Custom (cron), refuses a bad field by name, saves a good one and shows the next run', async () => {
    const page = await web.page();
    await page.goto(`${server.url}/login?next=${encodeURIComponent('/sources/new')}`);
    await page.locator('#login-key').fill(server.key);
    await Promise.all([page.waitForURL(`${server.url}/sources/new`), page.locator('#login-key').press('Enter')]);
    await page.locator('#step-connector').getByRole('button', { name: 'Next' }).click();
    await page.getByText('Bugsnag production', { exact: true }).click();
    await page.locator('#wizard-projects [data-projects-state="listed"]').waitFor({ state: 'attached' });
    await page.locator('#step-authenticate').getByRole('button', { name: 'Next' }).click();
    await page.locator('#step-configure').getByRole('button', { name: 'Next' }).click();
    await page.locator('#step-destination').getByRole('button', { name: 'Next' }).click();

    const step = page.locator('#step-schedule');
    await step.getByLabel('Custom (cron)').check();
    await step.getByLabel('Cron expression').fill('0 25 * * *');
    await step.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Source name').fill('Every five minutes');
    await page.getByRole('button', { name: 'Save source' }).click();
    // Refused at save, on the Schedule step, naming the field.
    await step.getByText(/The hour field of "0 25 \* \* \*" \("25"\) is not valid: it takes 0-23/).waitFor();
    expect(await step.getByLabel('Custom (cron)').isChecked()).toBe(true);

    await step.getByLabel('Cron expression').fill('*/5 * * * *');
    await step.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Save source' }).click();
    await page.waitForURL(/\/sources\?selected=src_/);

    const sources = (await (
      await fetch(`${server.url}/api/data_sources`, { headers: { authorization: `Bearer ${server.key}` } })
    ).json()) as Array<{ id: string; poll_schedule: string; next_run_at: string; updated_at: string }>;
    const source = sources[0]!;
    expect(source.poll_schedule).toBe('*/5 * * * *');
    // The first run waits for the pattern's next time (a multiple of five minutes), unlike a preset's "at once".
    expect(Date.parse(source.next_run_at) % 300_000).toBe(0);
    expect(source.next_run_at).toBe(
      nextRunAfter('*/5 * * * *', new Date(Date.parse(source.next_run_at) - 300_000)).toISOString(),
    );

    await page.goto(`${server.url}/sources/${source.id}`);
    const next = page.locator('.facts time.next-run-at');
    expect(await next.getAttribute('datetime')).toBe(source.next_run_at);
    expect(await next.textContent()).toBe(`${source.next_run_at.slice(0, 16).replace('T', ' ')} UTC`);

    // Editing: the cron choice and its expression come back.
    await page.goto(`${server.url}/sources/${source.id}/edit`);
    expect(await page.locator('#step-schedule').getByLabel('Custom (cron)').isChecked()).toBe(true);
    expect(await page.locator('#step-schedule').getByLabel('Cron expression').inputValue()).toBe('*/5 * * * *');
  });
});
