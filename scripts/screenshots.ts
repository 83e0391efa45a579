// Screenshots of the web UI's main screens for the README, taken in headless Chromium against `snagsync serve` and the
// simulator (no network, no Bugsnag account). Rerun after changing a page:
//
//   npx tsx scripts/screenshots.ts            → docs/screenshots/*.png
//
// The tests never write into the repository; this script is the only thing that makes these files.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startSimulator } from '../src/sim/index.js';
import { launchChromium, loginInBrowser, startWebServer } from '../test/helpers/browser.js';

const OUT = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const sim = await startSimulator({ rateLimit: 1_000_000, orgs: 2, projects: 2, errors: 2, events: 10, releases: 2, seed: 7 });
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
    await api({ name: 'Bugsnag production', description: 'Data team token; hourly sync of errors and events', credentials: { auth_token: admin.token, host: sim.url } });
    const staging = await api({ name: 'Staging (member)', description: 'Read-only member of the staging org', credentials: { auth_token: member.token, host: sim.url } });
    await api({ name: 'SmartBear EU', description: 'Saved without checking, to test later', credentials: { auth_token: 'c7a1e1e0-5b43-4d8e-9d7c-3f2f2a1b9e04', host: 'https://api.bugsnag.smartbear.com' }, verify: false });
    // A token revoked since it was saved: the tile shows FAILED with the reason after a test.
    sim.revokeToken(member.token);
    await fetch(`${server.url}/api/data_credentials/${staging.id}/probe`, { method: 'POST', headers: { authorization: `Bearer ${server.key}` } });

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
    process.stderr.write(`screenshots written to ${OUT}\n`);
  } finally {
    await browser.close();
    await server.close();
    await sim.close();
  }
}

await main();
