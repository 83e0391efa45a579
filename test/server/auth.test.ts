import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { keyHeaders, login, postForm, setCookies, testServer, TEST_KEY, type TestServer } from './helpers.js';

/** Authentication (key and session), the login page, sessions, logout and CSRF. */

let s: TestServer;
beforeEach(async () => {
  s = await testServer();
});
afterEach(async () => {
  await s.cleanup();
});

/** Every route the app registered, with its parameters filled in. */
function routes(app: FastifyInstance): Array<{ method: string; url: string; public: boolean }> {
  return app.snag.routes.map((r) => ({ ...r, url: r.url.replace(':id', 'cred_x').replace(':file', 'app.js') }));
}

describe('authentication', () => {
  it('refuses every route and page without a key or a session, except the login page and static files', async () => {
    const all = routes(s.app);
    expect(all.length).toBeGreaterThan(20);
    expect(
      all
        .filter((r) => r.public)
        .map((r) => `${r.method} ${r.url}`)
        .sort(),
    ).toEqual([
      'GET /invite/:secret',
      'GET /login',
      'GET /login/oidc',
      'GET /login/oidc/callback',
      'GET /static/app.js',
      'POST /hooks/bugsnag/:source/:secret',
      'POST /invite/:secret',
      'POST /login',
    ]);
    for (const r of routes(s.app)) {
      const res = await s.app.inject({
        method: r.method as 'GET',
        url: r.url,
        ...(r.method === 'GET' ? {} : { payload: {} }),
      });
      if (r.public) {
        // The webhook route's own proof is the secret in its path: a wrong one is 404 (test/server/webhooks.test.ts).
        expect([200, 303, 403, 401, 400, 404], `${r.method} ${r.url}`).toContain(res.statusCode);
        continue;
      }
      if (r.url.startsWith('/api/')) {
        expect(res.statusCode, `${r.method} ${r.url}`).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Bearer realm="snagsync"');
        expect(res.json()).toMatchObject({ error: 'unauthorized' });
      } else {
        expect(res.statusCode, `${r.method} ${r.url}`).toBe(303);
        expect(res.headers.location).toMatch(/^\/login/);
      }
    }
  });

  it('an unknown path is refused the same way before it is reported missing', async () => {
    expect((await s.app.inject({ method: 'GET', url: '/api/nothing' })).statusCode).toBe(401);
    expect((await s.app.inject({ method: 'GET', url: '/nothing' })).statusCode).toBe(303);
    const known = await s.app.inject({ method: 'GET', url: '/api/nothing', headers: keyHeaders() });
    expect(known.statusCode).toBe(404);
    expect(known.json()).toMatchObject({ error: 'not_found' });
  });

  it('accepts the key as a bearer token or in X-Snagsync-Key; a wrong key is 401 even with a valid session', async () => {
    expect(
      (await s.app.inject({ method: 'GET', url: '/api/data_credentials', headers: keyHeaders() })).statusCode,
    ).toBe(200);
    expect(
      (await s.app.inject({ method: 'GET', url: '/api/data_credentials', headers: { 'x-snagsync-key': TEST_KEY } }))
        .statusCode,
    ).toBe(200);
    const wrong = await s.app.inject({
      method: 'GET',
      url: '/api/data_credentials',
      headers: keyHeaders('nope-nope-nope-nope'),
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).not.toContain(TEST_KEY);
    const browser = await login(s.app);
    const mixed = await s.app.inject({
      method: 'GET',
      url: '/api/data_credentials',
      headers: { ...keyHeaders('wrong-key-wrong-key'), cookie: browser.cookie },
    });
    expect(mixed.statusCode).toBe(401);
    expect(
      (await s.app.inject({ method: 'GET', url: '/api/data_credentials', headers: { authorization: 'Basic abc' } }))
        .statusCode,
    ).toBe(401);
  });

  it('the key works for pages too (a script can fetch HTML)', async () => {
    const res = await s.app.inject({ method: 'GET', url: '/credentials', headers: keyHeaders() });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
  });
});

describe('login page and session cookie', () => {
  it('logs in with the key: a random session id in an HttpOnly, SameSite=Strict cookie, no Secure over plain HTTP', async () => {
    const page = await s.app.inject({ method: 'GET', url: '/login?next=/credentials' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('type="password"');
    const nonce = /name="_login" value="([^"]+)"/.exec(page.body)![1]!;
    const pre = setCookies(page).get('snagsync_login')!;
    expect(pre.raw).toMatch(/HttpOnly/);
    expect(pre.raw).toMatch(/SameSite=Strict/);
    const res = await s.app.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `snagsync_login=${pre.value}` },
      payload: new URLSearchParams({ key: TEST_KEY, _login: nonce, next: '/credentials' }).toString(),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/credentials');
    const session = setCookies(res).get('snagsync_session')!;
    expect(session.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session.raw).toMatch(/HttpOnly/);
    expect(session.raw).toMatch(/SameSite=Strict/);
    expect(session.raw).toMatch(/Path=\//);
    expect(session.raw).not.toMatch(/Secure/);
    expect(session.value).not.toContain(TEST_KEY);
    const again = await s.app.inject({
      method: 'GET',
      url: '/credentials',
      headers: { cookie: `snagsync_session=${session.value}` },
    });
    expect(again.statusCode).toBe(200);
    // Two logins, two different random ids.
    const other = await login(s.app);
    expect(other.cookie).not.toBe(`snagsync_session=${session.value}`);
  });

  it('marks the cookie Secure when the server speaks TLS', async () => {
    await s.cleanup();
    s = await testServer({ secure: true });
    const page = await s.app.inject({ method: 'GET', url: '/login' });
    expect(setCookies(page).get('snagsync_login')!.raw).toMatch(/Secure/);
    const browser = await login(s.app);
    expect(browser.cookie).toMatch(/^snagsync_session=/);
    const res = await s.app.inject({ method: 'GET', url: '/credentials', headers: { cookie: browser.cookie } });
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
  });

  it('a wrong key re-renders the form with an inline error (401) and never echoes what was typed', async () => {
    const page = await s.app.inject({ method: 'GET', url: '/login' });
    const nonce = /name="_login" value="([^"]+)"/.exec(page.body)![1]!;
    const pre = setCookies(page).get('snagsync_login')!.value;
    const typed = 'my-typed-wrong-key-123456';
    const res = await s.app.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `snagsync_login=${pre}` },
      payload: new URLSearchParams({ key: typed, _login: nonce }).toString(),
    });
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('aria-invalid="true"');
    expect(res.body).toContain('That key is not right.');
    expect(res.body).not.toContain(typed);
    expect(setCookies(res).has('snagsync_session')).toBe(false);
    expect(s.logs.join('')).not.toContain(typed);
  });

  it('refuses a login POST without the login form token (login CSRF)', async () => {
    const res = await s.app.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ key: TEST_KEY }).toString(),
    });
    expect(res.statusCode).toBe(403);
    expect(setCookies(res).has('snagsync_session')).toBe(false);
  });

  it('a login form left open in a tab still works after logging in elsewhere (no session CSRF on /login)', async () => {
    const page = await s.app.inject({ method: 'GET', url: '/login' });
    const nonce = /name="_login" value="([^"]+)"/.exec(page.body)![1]!;
    const pre = setCookies(page).get('snagsync_login')!.value;
    const other = await login(s.app);
    const res = await s.app.inject({
      method: 'POST',
      url: '/login',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: `snagsync_login=${pre}; ${other.cookie}`,
      },
      payload: new URLSearchParams({ key: TEST_KEY, _login: nonce }).toString(),
    });
    expect(res.statusCode).toBe(303);
    // The old session was replaced by a new one.
    expect(setCookies(res).get('snagsync_session')!.value).not.toBe(other.cookie.split('=')[1]);
    expect(
      (await s.app.inject({ method: 'GET', url: '/credentials', headers: { cookie: other.cookie } })).statusCode,
    ).toBe(303);
  });

  it('slows down repeated wrong keys from one address (429 after 10)', async () => {
    let last = 0;
    for (let i = 0; i < 11; i++) {
      const page = await s.app.inject({ method: 'GET', url: '/login' });
      const nonce = /name="_login" value="([^"]+)"/.exec(page.body)![1]!;
      const pre = setCookies(page).get('snagsync_login')!.value;
      const res = await s.app.inject({
        method: 'POST',
        url: '/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `snagsync_login=${pre}` },
        payload: new URLSearchParams({ key: `wrong-${i}-xxxxxxxxxxxx`, _login: nonce }).toString(),
      });
      last = res.statusCode;
    }
    expect(last).toBe(429);
  });

  it('only redirects to local paths after login', async () => {
    for (const next of ['https://evil.example', '//evil.example/x', '/\\evil.example']) {
      const page = await s.app.inject({ method: 'GET', url: '/login' });
      const nonce = /name="_login" value="([^"]+)"/.exec(page.body)![1]!;
      const pre = setCookies(page).get('snagsync_login')!.value;
      const res = await s.app.inject({
        method: 'POST',
        url: '/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `snagsync_login=${pre}` },
        payload: new URLSearchParams({ key: TEST_KEY, _login: nonce, next }).toString(),
      });
      expect(res.headers.location, next).toBe('/');
    }
  });

  it('sessions expire when idle and after their lifetime; logout ends one', async () => {
    await s.cleanup();
    let now = Date.parse('2026-05-01T10:00:00Z');
    s = await testServer({ now: () => now, sessions: { idleMs: 60_000, absoluteMs: 300_000 } });
    const b = await login(s.app);
    const get = () => s.app.inject({ method: 'GET', url: '/credentials', headers: { cookie: b.cookie } });
    now += 50_000;
    expect((await get()).statusCode).toBe(200);
    now += 50_000; // 50 s since the last use: still fine
    expect((await get()).statusCode).toBe(200);
    now += 61_000; // idle too long
    expect((await get()).statusCode).toBe(303);

    const c = await login(s.app);
    for (let i = 0; i < 6; i++) {
      now += 55_000;
      await s.app.inject({ method: 'GET', url: '/credentials', headers: { cookie: c.cookie } });
    }
    expect((await s.app.inject({ method: 'GET', url: '/credentials', headers: { cookie: c.cookie } })).statusCode).toBe(
      303,
    );

    const d = await login(s.app);
    const out = await postForm(s.app, d, '/logout', {});
    expect(out.statusCode).toBe(303);
    expect(out.headers.location).toBe('/login');
    expect(setCookies(out).get('snagsync_session')?.value).toBe('');
    expect((await s.app.inject({ method: 'GET', url: '/credentials', headers: { cookie: d.cookie } })).statusCode).toBe(
      303,
    );
  });
});

describe('CSRF', () => {
  it('refuses a state-changing request from the session without the token, or with a wrong one', async () => {
    const b = await login(s.app);
    const form = { name: 'x', token: 'y' };
    const none = await s.app.inject({
      method: 'POST',
      url: '/credentials',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: b.cookie },
      payload: new URLSearchParams(form).toString(),
    });
    expect(none.statusCode).toBe(403);
    expect(none.body).toContain('CSRF');
    const wrong = await s.app.inject({
      method: 'POST',
      url: '/credentials',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: b.cookie,
        accept: 'application/json',
        'x-csrf-token': 'forged',
      },
      payload: new URLSearchParams(form).toString(),
    });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json()).toMatchObject({ error: 'csrf' });
    // Another session's token does not work either.
    const other = await login(s.app);
    const crossed = await postForm(s.app, { cookie: b.cookie, csrf: other.csrf }, '/logout', {});
    expect(crossed.statusCode).toBe(403);
    // The API with the session cookie needs it too.
    const api = await s.app.inject({
      method: 'POST',
      url: '/api/data_credentials',
      headers: { cookie: b.cookie },
      payload: { name: 'x' },
    });
    expect(api.statusCode).toBe(403);
    expect(await s.runtime.store.credentials.list()).toHaveLength(0);
  });

  it('accepts the token as a form field or a header; the API key needs none', async () => {
    const b = await login(s.app);
    const field = await postForm(s.app, b, '/credentials', { name: '', token: '' });
    expect(field.statusCode).toBe(400); // past CSRF: a validation error
    const header = await postForm(s.app, b, '/credentials', { name: '', token: '' }, 'fetch');
    expect(header.statusCode).toBe(400);
    const api = await s.app.inject({
      method: 'POST',
      url: '/api/data_credentials',
      headers: keyHeaders(),
      payload: { name: '' },
    });
    expect(api.statusCode).toBe(400);
  });

  it('refuses what the browser labels cross-site, even with the token', async () => {
    const b = await login(s.app);
    const res = await s.app.inject({
      method: 'POST',
      url: '/logout',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: b.cookie,
        'sec-fetch-site': 'cross-site',
      },
      payload: new URLSearchParams({ _csrf: b.csrf }).toString(),
    });
    expect(res.statusCode).toBe(403);
  });
});
