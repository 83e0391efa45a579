import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../src/server/security-headers.js';
import { keyHeaders, login, postForm, testServer, type TestServer } from './helpers.js';

/** Security headers on every kind of answer; static files with their cache headers; no inline script or style. */

let s: TestServer;
beforeEach(async () => {
  s = await testServer({ verify: { logger: false } });
});
afterEach(async () => {
  await s.cleanup();
});

function expectSecurityHeaders(headers: Record<string, unknown>, what: string): void {
  const csp = String(headers['content-security-policy']);
  expect(csp, what).toBe(CONTENT_SECURITY_POLICY);
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).not.toContain('unsafe-eval');
  expect(headers['x-frame-options'], what).toBe('DENY');
  expect(headers['x-content-type-options'], what).toBe('nosniff');
  expect(headers['referrer-policy'], what).toBe('no-referrer');
}

describe('security headers', () => {
  it('are on pages, API answers, errors, refusals, redirects, static files and 404s', async () => {
    const b = await login(s.app);
    const answers = {
      page: await s.app.inject({ method: 'GET', url: '/credentials', headers: { cookie: b.cookie } }),
      login: await s.app.inject({ method: 'GET', url: '/login' }),
      redirect: await s.app.inject({ method: 'GET', url: '/credentials' }),
      api: await s.app.inject({ method: 'GET', url: '/api/data_credentials', headers: keyHeaders() }),
      unauthorized: await s.app.inject({ method: 'GET', url: '/api/data_credentials' }),
      badRequest: await s.app.inject({
        method: 'POST',
        url: '/api/data_credentials',
        headers: keyHeaders(),
        payload: { name: '' },
      }),
      csrf: await postForm(s.app, { cookie: b.cookie, csrf: 'x' }, '/logout', {}),
      notFound: await s.app.inject({ method: 'GET', url: '/api/nope', headers: keyHeaders() }),
      static: await s.app.inject({ method: 'GET', url: '/static/app.js' }),
    };
    for (const [what, res] of Object.entries(answers)) expectSecurityHeaders(res.headers, what);
    expect(answers.page.headers['cache-control']).toBe('no-store');
    expect(answers.api.headers['cache-control']).toBe('no-store');
  });

  it('pages hold no inline script, no inline style, no style attribute', async () => {
    const b = await login(s.app);
    const created = await s.app.inject({
      method: 'POST',
      url: '/api/data_credentials',
      headers: keyHeaders(),
      payload: { name: 'unchecked', credentials: { auth_token: 'abcdefghijklmnop' }, verify: false },
    });
    const id = (created.json() as { id: string }).id;
    for (const url of [
      '/',
      '/sources',
      '/runs',
      '/credentials',
      '/credentials/new',
      `/credentials/${id}/edit`,
      `/credentials/${id}/delete`,
    ]) {
      const res = await s.app.inject({ method: 'GET', url, headers: { cookie: b.cookie } });
      expect(res.statusCode, url).toBe(200);
      const scripts = [...res.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length, url).toBe(1);
      for (const [, attrs, content] of scripts) {
        expect(attrs).toMatch(/src="\/static\/app\.js\?v=[0-9a-f]{16}"/);
        expect(content).toBe('');
      }
      expect(res.body, url).not.toMatch(/<style\b/);
      expect(res.body, url).not.toMatch(/\sstyle=/);
      expect(res.body, url).not.toMatch(/\son[a-z]+=/);
    }
    const loginPage = await s.app.inject({ method: 'GET', url: '/login' });
    expect(loginPage.body).not.toMatch(/\sstyle=|<style\b|\son[a-z]+=/);
  });
});

describe('static files', () => {
  it('serve the JS and CSS with their types; a versioned URL is cached for a year, others revalidate with the ETag', async () => {
    const page = await s.app.inject({ method: 'GET', url: '/login' });
    const cssUrl = /href="(\/static\/app\.css\?v=[0-9a-f]+)"/.exec(page.body)![1]!;
    const css = await s.app.inject({ method: 'GET', url: cssUrl });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const js = await s.app.inject({ method: 'GET', url: '/static/app.js' });
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('no-cache');
    expect(js.body).toContain('X-CSRF-Token');
    const again = await s.app.inject({
      method: 'GET',
      url: '/static/app.js',
      headers: { 'if-none-match': String(js.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
    expect((await s.app.inject({ method: 'GET', url: '/static/../app.ts' })).statusCode).not.toBe(200);
    expect((await s.app.inject({ method: 'GET', url: '/static/secret.key' })).statusCode).toBe(404);
  });
});
