import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oidcSettings } from '../../src/server/signin/oidc-config.js';
import { listenProvider, OIDC_CLIENT, type TestProvider } from '../helpers/oidc.js';
import { keyHeaders, setCookies, type TestServer, testServer } from './helpers.js';

/**
 * Sign-in with OpenID Connect against a real provider (oidc-provider@9 on 127.0.0.1), driven with plain HTTP: the
 * browser's part is fetch with manual redirects and a cookie jar. The code flow with PKCE, state and nonce lands
 * with the role the user's groups map to; a user with no mapped group, or without a verified email, is refused.
 */

const REDIRECT = 'http://localhost/login/oidc/callback';
const ROLES = { admin: ['snag-admins'], editor: ['data-team'], viewer: ['analysts'] };

let provider: TestProvider;
let s: TestServer;

beforeAll(async () => {
  provider = await listenProvider({
    ana: { email: 'Ana@example.com', groups: ['analysts', 'staff'] },
    dee: { email: 'dee@example.com', groups: ['data-team'] },
    nob: { email: 'nob@example.com', groups: ['staff'] },
    unv: { email: 'unv@example.com', email_verified: false, groups: ['snag-admins'] },
  });
  provider.start([REDIRECT]);
  s = await testServer({
    oidc: {
      issuer: provider.issuer,
      clientId: OIDC_CLIENT.id,
      clientSecret: OIDC_CLIENT.secret,
      redirectUrl: REDIRECT,
      name: 'Test IdP',
      roles: ROLES,
    },
  });
});
afterAll(async () => {
  await s?.cleanup();
  await provider?.close();
});

/** The provider's side, as a browser does it: follow its redirects, fill its login form, accept its consent. */
async function throughProvider(start: string, login: string): Promise<URL> {
  const jar = new Map<string, string>();
  const send = async (url: string, form?: Record<string, string>) => {
    const res = await fetch(url, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    return res;
  };
  let url = start;
  let form: Record<string, string> | undefined;
  for (let hop = 0; hop < 12; hop++) {
    const res = await send(url, form);
    form = undefined;
    const location = res.headers.get('location');
    if (location) {
      const next = new URL(location, url);
      if (next.href.startsWith(REDIRECT)) return next;
      url = next.href;
      continue;
    }
    const body = await res.text();
    expect(res.status, body).toBe(200);
    const action = /<form[^>]+action="([^"]+)"[^>]*method="post"/.exec(body)?.[1];
    const prompt = /name="prompt" value="([^"]+)"/.exec(body)?.[1];
    if (!action || !prompt) throw new Error(`no form on the provider's page: ${body.slice(0, 300)}`);
    url = new URL(action, url).href;
    form = prompt === 'login' ? { prompt, login, password: 'any' } : { prompt };
  }
  throw new Error('the provider never redirected back');
}

async function signIn(app: FastifyInstance, login: string, next = '/sources') {
  const begin = await app.inject({ method: 'GET', url: `/login/oidc?next=${encodeURIComponent(next)}` });
  expect(begin.statusCode, begin.body).toBe(303);
  const authorize = new URL(begin.headers.location as string);
  expect(authorize.origin).toBe(provider.issuer);
  expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
  expect(authorize.searchParams.get('state')).toBeTruthy();
  expect(authorize.searchParams.get('nonce')).toBeTruthy();
  const flow = setCookies(begin).get('snagsync_oidc')!;
  expect(flow.raw).toMatch(/HttpOnly/i);
  const back = await throughProvider(authorize.href, login);
  expect(back.searchParams.get('state')).toBe(authorize.searchParams.get('state'));
  return app.inject({
    method: 'GET',
    url: `/login/oidc/callback${back.search}`,
    headers: { cookie: `snagsync_oidc=${flow.value}` },
  });
}

describe('OpenID Connect sign-in', () => {
  it('offers the provider on the login page', async () => {
    const page = await s.app.inject({ method: 'GET', url: '/login' });
    expect(page.body).toContain('Sign in with Test IdP');
  });

  it('lands with the mapped role, matched by verified email; the role follows the groups at each sign-in', async () => {
    const res = await signIn(s.app, 'ana');
    expect(res.statusCode, res.body).toBe(303);
    expect(res.headers.location).toBe('/sources');
    const cookie = `snagsync_session=${setCookies(res).get('snagsync_session')!.value}`;
    expect((await s.app.inject({ method: 'GET', url: '/sources', headers: { cookie } })).statusCode).toBe(200);
    expect((await s.app.inject({ method: 'GET', url: '/credentials', headers: { cookie } })).statusCode).toBe(403);
    const users = await s.runtime.store.users.list();
    expect(users.find((u) => u.email === 'ana@example.com')).toMatchObject({ role: 'viewer' });

    // An existing user is matched by email and gets the mapped role (another admin exists: the last one is kept).
    await s.app.inject({
      method: 'POST',
      url: '/api/users',
      headers: keyHeaders(),
      payload: { email: 'ada@example.com', role: 'admin' },
    });
    await s.app.inject({
      method: 'POST',
      url: '/api/users',
      headers: keyHeaders(),
      payload: { email: 'dee@example.com', role: 'admin' },
    });
    const dee = await signIn(s.app, 'dee');
    expect(dee.statusCode).toBe(303);
    expect((await s.runtime.store.users.find('dee@example.com')).role).toBe('editor');
    const audit = await s.runtime.store.audit.list({ limit: 20 });
    expect(audit.entries.filter((e) => e.kind === 'sign-in').map((e) => `${e.actor} ${e.outcome}`)).toEqual([
      'dee@example.com ok',
      'ana@example.com ok',
    ]);
    expect(JSON.stringify(audit)).not.toContain(OIDC_CLIENT.secret);
    expect(s.logs.join('')).not.toContain(OIDC_CLIENT.secret);
  });

  it('refuses a user whose groups map to no role, and one without a verified email', async () => {
    const none = await signIn(s.app, 'nob');
    expect(none.statusCode).toBe(403);
    expect(none.body).toContain('has no snagsync role');
    expect(setCookies(none).get('snagsync_session')).toBeUndefined();
    const unverified = await signIn(s.app, 'unv');
    expect(unverified.statusCode).toBe(403);
    expect(unverified.body).toContain('verified email');
    expect((await s.runtime.store.users.list()).map((u) => u.email)).not.toContain('nob@example.com');
  });

  it('refuses a callback whose state does not match the flow this browser started', async () => {
    const begin = await s.app.inject({ method: 'GET', url: '/login/oidc' });
    const flow = setCookies(begin).get('snagsync_oidc')!;
    const back = await throughProvider(begin.headers.location as string, 'ana');
    back.searchParams.set('state', 'forged');
    const res = await s.app.inject({
      method: 'GET',
      url: `/login/oidc/callback${back.search}`,
      headers: { cookie: `snagsync_oidc=${flow.value}` },
    });
    expect(res.statusCode).toBe(401);
    expect(setCookies(res).get('snagsync_session')).toBeUndefined();
    const noFlow = await s.app.inject({ method: 'GET', url: `/login/oidc/callback${back.search}` });
    expect(noFlow.statusCode).toBe(400);
  });

  it('refuses a plain-http issuer that is not on this machine', () => {
    const options = { clientId: 'x', clientSecret: 'y', roles: {} };
    expect(() => oidcSettings({ ...options, issuer: 'http://idp.example.com' })).toThrow(/does not use https/);
    expect(oidcSettings({ ...options, issuer: 'http://127.0.0.1:4000' }).insecureLoopback).toBe(true);
    expect(oidcSettings({ ...options, issuer: 'https://idp.example.com' }).insecureLoopback).toBe(false);
  });
});
