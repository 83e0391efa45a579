import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer, useBrowserSuite, type WebServer } from '../helpers/browser.js';
import { listenProvider, OIDC_CLIENT, type TestProvider } from '../helpers/oidc.js';
import { requireService } from '../helpers/services.js';

/**
 * Signing in as a person, in Chromium: an admin invites a user through the API, the user opens the link, sets a
 * password, is signed in and sees the pages their role allows (a viewer gets the 403 page on an admin page), signs
 * out and back in with the password; and sign-in through a real OpenID provider (oidc-provider on 127.0.0.1) lands
 * with the role the user's groups map to.
 */

const enabled = requireService('chromium');
const PASSWORD = 'a long enough passphrase';

describe.skipIf(!enabled)('web UI: signing in as a user (Chromium)', () => {
  const web = useBrowserSuite({ beforeAll, afterEach, afterAll });
  let provider: TestProvider;
  let server: WebServer;

  beforeAll(async () => {
    provider = await listenProvider({ dee: { email: 'dee@example.com', groups: ['data-team'] } });
    server = await startWebServer({
      app: {
        oidc: {
          issuer: provider.issuer,
          clientId: OIDC_CLIENT.id,
          clientSecret: OIDC_CLIENT.secret,
          name: 'Test IdP',
          roles: { admin: ['snag-admins'], editor: ['data-team'] },
        },
      },
    });
    provider.start([`${server.url}/login/oidc/callback`]);
  });
  afterAll(async () => {
    await server?.close();
    await provider?.close();
  });

  const api = (path: string, body: object) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('an invited viewer sets a password from the link, signs in, and is refused an admin page', async () => {
    expect((await api('/api/users', { email: 'ada@example.com', role: 'admin' })).status).toBe(201);
    const invited = await api('/api/users', { email: 'vi@example.com', role: 'viewer' });
    const { invitation_path } = (await invited.json()) as { invitation_path: string };

    const page = await web.page();
    await page.goto(`${server.url}${invitation_path}`);
    await page.getByText('vi@example.com').first().waitFor();
    await page.getByLabel('New password').fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(PASSWORD);
    await Promise.all([
      page.waitForURL(`${server.url}/`),
      page.getByRole('button', { name: 'Set password and sign in' }).click(),
    ]);
    await page.goto(`${server.url}/sources`);
    expect(await page.getByRole('heading', { level: 1 }).first().textContent()).toContain('Sources');
    const refused = await page.goto(`${server.url}/users`);
    expect(refused?.status()).toBe(403);
    await page.getByText('users:manage').first().waitFor();

    // The link works once.
    const again = await page.goto(`${server.url}${invitation_path}`);
    expect(again?.status()).toBe(404);

    // Sign out everywhere, then back in with the password.
    await page.goto(`${server.url}/account`);
    await Promise.all([page.waitForURL(/\/login$/), page.getByRole('button', { name: 'Sign out everywhere' }).click()]);
    await page.goto(`${server.url}/login?next=${encodeURIComponent('/sources')}`);
    await page.locator('#login-email').fill('vi@example.com');
    await page.locator('#login-password').fill(PASSWORD);
    await Promise.all([
      page.waitForURL(`${server.url}/sources`),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    // The 403 and 404 answers above are logged by Chromium as failed loads; nothing else went wrong.
    expect(page.problems.filter((p) => !p.includes('Failed to load resource'))).toEqual([]);
  });

  it('signs in through the OpenID provider and lands with the mapped role', async () => {
    const page = await web.page();
    await page.goto(`${server.url}/login?next=${encodeURIComponent('/sources')}`);
    await page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
    // The provider's own (development) pages: any login, then consent.
    await page.locator('input[name="login"]').fill('dee');
    await page.locator('input[name="password"]').fill('any');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${server.url}/sources`);
    expect((await server.runtime.store.users.find('dee@example.com')).role).toBe('editor');
    // An editor: may add a source, may not add a credential.
    expect((await page.goto(`${server.url}/sources/new`))?.status()).toBe(200);
    expect((await page.goto(`${server.url}/credentials/new`))?.status()).toBe(403);
  });
});
