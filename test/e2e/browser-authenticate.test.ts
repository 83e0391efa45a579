import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { authenticateStep } from '../../src/server/components/authenticate.js';
import { html } from '../../src/server/html.js';
import { sendPage } from '../../src/server/pages/respond.js';
import type { Simulator } from '../../src/sim/index.js';
import { startSmallSim } from '../credentials/helpers.js';
import { activeId, loginInBrowser, startWebServer, useBrowserSuite, type WebServer } from '../helpers/browser.js';
import { requireService } from '../helpers/services.js';

/**
 * The Authenticate step (for the source wizard) in Chromium: a page of this test renders it inside a form, as a
 * wizard will; adding a credential from its Add tile opens the overlay, and the saved credential comes back as a
 * pick tile, checked and focused, without leaving the page.
 */

const enabled = requireService('chromium');

function wizardPage(app: FastifyInstance): void {
  app.get<{ Querystring: { credential_id?: string } }>('/test/wizard', async (request, reply) => {
    const credentials = await app.snag.credentials.listCredentials();
    return sendPage(request, reply, {
      title: 'Wizard',
      active: 'sources',
      body: (ctx) => html`<h1>New source</h1><form method="get" action="/test/wizard" id="wizard">
<input type="text" name="source_name" id="source-name" aria-label="Source name">
${authenticateStep({ credentials, selectedId: request.query.credential_id ?? null, returnTo: '/test/wizard', now: ctx.now })}
<button type="submit">Next</button></form>`,
    });
  });
}

describe.skipIf(!enabled)('web UI: the Authenticate step (Chromium)', () => {
  const web = useBrowserSuite({ beforeAll, afterEach, afterAll });
  let sim: Simulator;
  let server: WebServer;
  beforeAll(async () => {
    sim = await startSmallSim();
    server = await startWebServer({ routes: [wizardPage] });
  });
  afterAll(async () => {
    await server?.close();
    await sim?.close();
  });

  it('adds a credential from the step: the overlay closes, the new tile is checked and focused, the wizard keeps its input', async () => {
    const page = await web.page();
    await loginInBrowser(page, server.url, server.key, '/test/wizard');
    await page.locator('#source-name').fill('my source');
    await page.getByRole('link', { name: 'Add Credential' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Add New Credential' }).waitFor();
    await dialog.getByLabel('Credential Name').fill('From the wizard');
    await dialog.locator('#credential-create-host').selectOption('custom');
    await dialog.getByLabel('On-premise API URL').fill(sim.url);
    await dialog.getByLabel('Auth Token').fill(sim.tokens[0]!.token);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const radio = page.getByRole('radio', { name: 'From the wizard' });
    await radio.waitFor();
    expect(await radio.isChecked()).toBe(true);
    expect(await activeId(page)).toMatch(/^credential_id-cred_/);
    expect(await page.locator('#source-name').inputValue()).toBe('my source');
    // The form submits the chosen credential like any radio group.
    await Promise.all([page.waitForURL(/credential_id=cred_/), page.getByRole('button', { name: 'Next' }).click()]);
    expect(await page.getByRole('radio', { name: 'From the wizard' }).isChecked()).toBe(true);
  });

  it('without JavaScript the Add tile goes to the form page and comes back to the wizard with the credential checked', async () => {
    const page = await web.page({ javaScriptEnabled: false });
    await loginInBrowser(page, server.url, server.key, '/test/wizard');
    await page.getByRole('link', { name: 'Add Credential' }).click();
    await page.getByLabel('Credential Name').fill('No JS wizard');
    await page.locator('#credential-create-host').selectOption('custom');
    await page.getByLabel('On-premise API URL').fill(sim.url);
    await page.getByLabel('Auth Token').fill(sim.tokens[0]!.token);
    await Promise.all([
      page.waitForURL(/\/test\/wizard\?credential_id=cred_/),
      page.getByRole('button', { name: 'Save' }).click(),
    ]);
    expect(await page.getByRole('radio', { name: 'No JS wizard' }).isChecked()).toBe(true);
  });
});
