import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { closedPort, notifierKey, startSmallSim } from '../credentials/helpers.js';
import {
  activeId,
  loginInBrowser,
  startWebServer,
  useBrowserSuite,
  type TrackedPage,
  type WebServer,
} from '../helpers/browser.js';
import { requireService } from '../helpers/services.js';

/**
 * The Credentials screens in real headless Chromium, against `snagsync serve` listening on a port and the
 * simulator: the overlay (good token, bad token, project key, host problem), the keyboard, the tile actions, a narrow
 * window, and the same flow with JavaScript off.
 */

const enabled = requireService('chromium');

describe.skipIf(!enabled)('web UI: credentials (Chromium)', () => {
  const web = useBrowserSuite({ beforeAll, afterEach, afterAll });
  let sim: Simulator;
  let server: WebServer;
  beforeAll(async () => {
    sim = await startSmallSim();
    server = await startWebServer();
  });
  afterAll(async () => {
    await server?.close();
    await sim?.close();
  });
  afterEach(async () => {
    for (const t of sim.tokens) sim.restoreToken(t.token);
    for (const c of await server.runtime.store.credentials.list())
      await server.runtime.store.credentials.remove(c.id, { force: true });
  });

  const admin = () => sim.tokens.find((t) => t.role === 'admin')!;

  /** Problems the page reported, less the console lines Chromium prints for every 4xx a fetch gets (expected here). */
  const realProblems = (page: TrackedPage) =>
    page.problems.filter((p) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(p));

  async function loggedIn(options: Parameters<typeof web.page>[0] = {}): Promise<TrackedPage> {
    const page = await web.page(options);
    await loginInBrowser(page, server.url, server.key);
    return page;
  }

  async function createViaApi(name: string, token = admin().token): Promise<string> {
    const res = await fetch(`${server.url}/api/data_credentials`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name,
        description: 'made by the test',
        credentials: { auth_token: token, host: sim.url },
      }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  /** Opens the Add New Credential overlay and fills it in (the simulator as an on-premise host). */
  async function fillOverlay(
    page: TrackedPage,
    values: { name: string; description?: string; token: string; host?: string },
  ) {
    await page.getByRole('link', { name: 'Add Credential' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Add New Credential' }).waitFor();
    await dialog.getByLabel('Credential Name').fill(values.name);
    if (values.description) await dialog.getByLabel('Credential Description').fill(values.description);
    await dialog.locator('#credential-create-host').selectOption('custom');
    await dialog.getByLabel('On-premise API URL').fill(values.host ?? sim.url);
    await dialog.getByLabel('Auth Token').fill(values.token);
    return dialog;
  }

  const invalid = (page: TrackedPage, id: string) => page.locator(`#${id}[aria-invalid="true"]`).waitFor();

  it('logs in with the key, then adds a credential through the overlay: the new tile shows VERIFIED and is selected', async () => {
    const page = await loggedIn();
    expect(await page.getByRole('heading', { name: 'Credentials', level: 1 }).isVisible()).toBe(true);
    expect(await page.locator('[data-empty="credentials"]').isVisible()).toBe(true);
    const dialog = await fillOverlay(page, {
      name: 'Bugsnag production',
      description: 'hourly errors',
      token: admin().token,
    });
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const tile = page.locator('li.tile.is-selected');
    await tile.waitFor();
    expect(await tile.getByRole('heading').textContent()).toBe('Bugsnag production');
    // "No credentials yet" went with the first tile.
    expect(await page.locator('[data-empty="credentials"]').isVisible()).toBe(false);
    expect(await tile.locator('[data-status]').textContent()).toContain('VERIFIED');
    expect(await tile.textContent()).toContain(`…${admin().token.slice(-4)}`);
    expect(await tile.textContent()).toContain('hourly errors');
    expect(await tile.locator('time').textContent()).toMatch(/just now \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)/);
    const [stored] = await server.runtime.store.credentials.list();
    expect(await activeId(page)).toBe(`cred-${stored!.id}`);
    expect(await page.locator('[data-flash-region]').textContent()).toContain('VERIFIED');
    expect(await page.content()).not.toContain(admin().token);
    expect(realProblems(page)).toEqual([]);
  });

  it('a bad token: the error is inline on the token field, the token is emptied, name, description and host are kept', async () => {
    const page = await loggedIn();
    const dialog = await fillOverlay(page, {
      name: 'Prod',
      description: 'kept text',
      token: 'wrong-token-that-bugsnag-rejects',
    });
    await dialog.getByRole('button', { name: 'Save' }).click();
    await invalid(page, 'credential-create-token');
    const token = dialog.getByLabel('Auth Token');
    expect(await token.inputValue()).toBe('');
    expect(await token.getAttribute('aria-describedby')).toContain('credential-create-token-error');
    expect(await dialog.locator('#credential-create-token-error').textContent()).toMatch(
      /Bugsnag rejected the token.*Generate New Token/s,
    );
    expect(await dialog.locator('#credential-create-token-error').isVisible()).toBe(true);
    expect(await activeId(page)).toBe('credential-create-token');
    expect(await dialog.getByLabel('Credential Name').inputValue()).toBe('Prod');
    expect(await dialog.getByLabel('Credential Description').inputValue()).toBe('kept text');
    expect(await dialog.locator('#credential-create-host').inputValue()).toBe('custom');
    expect(await dialog.getByLabel('On-premise API URL').inputValue()).toBe(sim.url);
    expect(await dialog.isVisible()).toBe(true);
    expect(await server.runtime.store.credentials.list()).toHaveLength(0);

    // Fixing the token and saving again works from the same overlay.
    await token.fill(admin().token);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.locator('li.tile.is-selected [data-status="VERIFIED"]').waitFor();
    expect(realProblems(page)).toEqual([]);
  });

  it('a project API key gets its own message; a host problem keeps the typed token', async () => {
    const page = await loggedIn();
    const dialog = await fillOverlay(page, { name: 'Notifier', token: notifierKey(sim) });
    await dialog.getByRole('button', { name: 'Save' }).click();
    await invalid(page, 'credential-create-token');
    expect(await dialog.locator('#credential-create-token-error').textContent()).toContain(
      'looks like a project API key',
    );

    await dialog.getByLabel('Auth Token').fill(admin().token);
    await dialog.getByLabel('On-premise API URL').fill(await closedPort());
    await dialog.getByRole('button', { name: 'Save' }).click();
    await invalid(page, 'credential-create-host-custom');
    expect(await dialog.locator('#credential-create-host-error').textContent()).toMatch(/Host unreachable/);
    expect(await dialog.getByLabel('Auth Token').inputValue()).toBe(admin().token);
    expect(await dialog.getByLabel('Auth Token').getAttribute('aria-invalid')).toBeNull();
    expect(await dialog.locator('#credential-create-token-error').isVisible()).toBe(false);
  });

  it('too-long text is kept and counted, said before saving, and refused on save: nothing is cut silently', async () => {
    const page = await loggedIn();
    const dialog = await fillOverlay(page, {
      name: 'n'.repeat(101),
      description: 'd'.repeat(5000),
      token: admin().token,
    });
    // Nothing cut: what was typed (or pasted) is all there, with the overshoot said next to each field.
    expect((await dialog.getByLabel('Credential Name').inputValue()).length).toBe(101);
    expect((await dialog.getByLabel('Credential Description').inputValue()).length).toBe(5000);
    const nameCount = dialog.locator('#credential-create-name-count');
    expect(await nameCount.textContent()).toContain('101 / 100 characters: 1 too many');
    expect(await nameCount.textContent()).toContain('Too long: at most 100 characters');
    expect(await dialog.locator('#credential-create-description-count').textContent()).toContain(
      '5,000 / 1,000 characters: 4,000 too many',
    );
    expect(await dialog.getByLabel('Credential Name').getAttribute('aria-invalid')).toBe('true');
    expect(await dialog.getByLabel('Credential Name').getAttribute('aria-describedby')).toContain(
      'credential-create-name-count',
    );
    // Saving anyway is refused on the fields, not shortened.
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.locator('[data-error-for="name"]:not([hidden])').waitFor();
    expect(await server.runtime.store.credentials.list()).toHaveLength(0);
    // Back within the limit: the count says so and the field is no longer marked.
    await dialog.getByLabel('Credential Name').fill('n'.repeat(100));
    expect(await nameCount.textContent()).toContain('100 / 100 characters');
    expect(await nameCount.textContent()).not.toContain('too many');
    expect(realProblems(page)).toEqual([]);
  });

  it('keyboard: Enter opens the overlay, Tab and Shift+Tab stay inside it, Escape closes it and focus returns to the tile', async () => {
    const page = await loggedIn();
    const add = page.getByRole('link', { name: 'Add Credential' });
    await add.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Add New Credential' }).waitFor();
    expect(await activeId(page)).toBe('credential-create-name');
    const inside = () => page.evaluate<boolean>("document.getElementById('dialog').contains(document.activeElement)");
    const seen = new Set<string>();
    for (let i = 0; i < 14; i++) {
      await page.keyboard.press('Tab');
      expect(await inside(), `after ${i + 1} Tab presses`).toBe(true);
      seen.add(await page.evaluate<string>('document.activeElement.id || document.activeElement.textContent.trim()'));
    }
    expect(seen.has('Save')).toBe(true);
    expect(seen.has('Close') || seen.has('×')).toBe(true);
    for (let i = 0; i < 14; i++) {
      await page.keyboard.press('Shift+Tab');
      expect(await inside(), `after ${i + 1} Shift+Tab presses`).toBe(true);
    }
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await page.evaluate<boolean>("document.activeElement.textContent.includes('Add Credential')")).toBe(true);
  });

  it('tile actions: test (FAILED after a revoke, VERIFIED again), edit, delete with the warning about sources', async () => {
    const id = await createViaApi('Prod');
    await server.runtime.store.sources.create({
      name: 'nightly errors',
      credential_id: id,
      destination: `sqlite:${server.home}/b.db`,
    });
    const page = await loggedIn();
    const tile = page.locator(`#cred-${id}`);
    expect(await tile.locator('[data-status]').textContent()).toContain('VERIFIED');

    sim.revokeToken(admin().token);
    await tile.getByRole('button', { name: 'Test Prod' }).click();
    await page.locator(`#cred-${id} [data-status="FAILED"]`).waitFor();
    expect(await page.locator(`#cred-${id} .tile-error`).textContent()).toContain('now rejects this token');
    expect(await activeId(page)).toBe(`cred-${id}`);
    // A failed Test is reported as a failure, never in the green success banner.
    const flash = page.locator('[data-flash-region] .flash');
    expect(await flash.getAttribute('class')).toContain('flash-error');
    expect(await flash.textContent()).toMatch(/^Error: "Prod" failed the test/);
    sim.restoreToken(admin().token);
    await page.locator(`#cred-${id}`).getByRole('button', { name: 'Test Prod' }).click();
    await page.locator(`#cred-${id} [data-status="VERIFIED"]`).waitFor();
    expect(await flash.getAttribute('class')).toContain('flash-success');

    await page.locator(`#cred-${id}`).getByRole('link', { name: 'Edit Prod' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Edit credential: Prod' }).waitFor();
    expect(await dialog.getByLabel('Credential Name').inputValue()).toBe('Prod');
    await dialog.getByLabel('Credential Name').fill('Prod renamed');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.locator(`#cred-${id} h2`, { hasText: 'Prod renamed' }).waitFor();

    await page.locator(`#cred-${id}`).getByRole('link', { name: 'Delete Prod renamed' }).click();
    await dialog.getByRole('heading', { name: 'Delete Prod renamed?' }).waitFor();
    expect(await dialog.textContent()).toContain('1 source uses this credential');
    expect(await dialog.textContent()).toContain('nightly errors');
    await dialog.getByRole('button', { name: 'Delete and disable 1 source' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.locator(`#cred-${id}`).waitFor({ state: 'detached' });
    expect(await page.locator('[data-flash-region]').textContent()).toContain('Disabled 1 source');
    expect(realProblems(page)).toEqual([]);
  });

  it('a narrow window: no horizontal scrolling, the overlay fits', async () => {
    await createViaApi('A credential with a rather long name to wrap on a phone');
    const page = await loggedIn({ viewport: { width: 375, height: 740 } });
    const overflow = await page.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await page.getByRole('link', { name: 'Add Credential' }).click();
    const box = await page.getByRole('dialog').boundingBox();
    expect(box!.width).toBeLessThanOrEqual(375);
    const dir = mkdtempSync(join(tmpdir(), 'snagsync-shot-'));
    try {
      await page.screenshot({ path: join(dir, 'narrow.png'), fullPage: true });
      expect(statSync(join(dir, 'narrow.png')).size).toBeGreaterThan(5000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without JavaScript: the Add tile opens the form page, errors re-render inline, success selects the new tile', async () => {
    const page = await loggedIn({ javaScriptEnabled: false });
    await page.getByRole('link', { name: 'Add Credential' }).click();
    await page.waitForURL(`${server.url}/credentials/new`);
    await page.getByLabel('Credential Name').fill('No JS');
    await page.getByLabel('On-premise API URL').fill(sim.url);
    await page.locator('#credential-create-host').selectOption('custom');
    await page.getByLabel('Auth Token').fill('wrong-token-that-bugsnag-rejects');
    await Promise.all([page.waitForLoadState('domcontentloaded'), page.getByRole('button', { name: 'Save' }).click()]);
    await page.locator('#credential-create-token[aria-invalid="true"]').waitFor();
    expect(await page.getByLabel('Credential Name').inputValue()).toBe('No JS');
    expect(await page.getByLabel('Auth Token').inputValue()).toBe('');
    await page.getByLabel('Auth Token').fill(admin().token);
    await Promise.all([
      page.waitForURL(/\/credentials\?selected=cred_/),
      page.getByRole('button', { name: 'Save' }).click(),
    ]);
    await page.locator('li.tile.is-selected', { hasText: 'No JS' }).waitFor();
  });
});
