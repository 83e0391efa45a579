import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newCredentialId } from '../../src/store/index.js';
import { credentialInput } from '../store/helpers.js';
import { login, postForm, type Browser, type TestServer, testServer } from './helpers.js';

/**
 * The source page's Failure notifications panel, as plain forms: a wrong URL is refused saying why, a good one is
 * saved (shown only as its hint, never filled back in), the format and the recovery switch are kept, Remove removes.
 */

let s: TestServer;
let browser: Browser;
let sourceId = '';

beforeAll(async () => {
  s = await testServer();
  browser = await login(s.app);
  // A credential sealed by the real vault (the notification URL is sealed under the same master key).
  const id = newCredentialId();
  const sealed = await s.runtime.vault.seal(id, 'not-a-real-token-0000');
  const cred = await s.runtime.store.credentials.create(credentialInput('c', { id, ...sealed }));
  sourceId = (
    await s.runtime.store.sources.create({ name: 'paged', credential_id: cred.id, destination: 'sqlite:/tmp/p.db' })
  ).id;
});

afterAll(async () => s?.cleanup());

const page = async () =>
  (await s.app.inject({ method: 'GET', url: `/sources/${sourceId}`, headers: { cookie: browser.cookie } })).body;

describe('the Failure notifications panel', () => {
  it('sets, shows masked, replaces and removes the notification', async () => {
    expect(await page()).toContain('data-notification="none"');

    const bad = await postForm(s.app, browser, `/sources/${sourceId}/notification`, {
      url: 'https://169.254.169.254/hook',
      format: 'slack',
    });
    expect(bad.statusCode).toBe(303);
    expect(bad.headers.location).toBe(`/sources/${sourceId}#notification`);
    const refused = await page();
    expect(refused).toContain('The notification URL points at the cloud metadata service');
    expect(refused).toContain('data-notification="none"');

    const secret = 'T0AAA/B0BBB/xyzSecretPart9';
    const ok = await postForm(s.app, browser, `/sources/${sourceId}/notification`, {
      url: `https://hooks.example.com/services/${secret}`,
      format: 'teams',
    });
    expect(ok.statusCode).toBe(303);
    const shown = await page();
    expect(shown).toContain('data-notification="set"');
    expect(shown).toContain('<code data-notify-hint>https://hooks.example.com/…art9</code> (Microsoft Teams)');
    expect(shown).toContain('<dd>a run fails</dd>');
    expect(shown).not.toContain('xyzSecretPart9');
    expect(shown).toMatch(/<input type="radio" name="format" value="teams" checked>/);
    const stored = (await s.runtime.store.notifications.get(sourceId))!;
    expect(stored).toMatchObject({ format: 'teams', on_recovery: false });
    expect(JSON.stringify(stored)).not.toContain('xyzSecretPart9');

    await postForm(s.app, browser, `/sources/${sourceId}/notification`, {
      url: `https://hooks.slack.com/services/${secret}`,
      format: 'slack',
      on_recovery: 'yes',
    });
    expect(await page()).toContain('<dd>a run fails, and when the source recovers</dd>');

    const removed = await postForm(s.app, browser, `/sources/${sourceId}/notification/remove`, {});
    expect(removed.statusCode).toBe(303);
    expect(await page()).toContain('data-notification="none"');
    expect(await s.runtime.store.notifications.get(sourceId)).toBeNull();
  });
});
