import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS, ROUTE_PERMISSIONS, requirementOf } from '../../src/server/permissions.js';
import { createToken } from '../../src/store/team/tokens.js';
import type { Role, TokenScope } from '../../src/store/users.js';
import { keyHeaders, login, type TestServer, testServer } from './helpers.js';

/**
 * Roles and permissions: the table covers every route `serve` registers, and a user's API token is refused (403,
 * naming the permission) past the lower of its user's role and its scope. The server key keeps the owner's rights.
 */

let s: TestServer;
let app: FastifyInstance;
const tokens: Record<string, string> = {};

async function tokenFor(email: string, role: Role, scope: TokenScope): Promise<string> {
  const store = s.runtime.store;
  const user =
    (await store.users.list()).find((u) => u.email === email) ??
    (await store.users.add({ email, role, invitation_sha256: 'x'.repeat(64) }));
  return (await createToken(store, { user: user.id, scope }, Date.now())).token;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  s = await testServer();
  app = s.app;
  // The first user made is the owner; an admin makes the others.
  tokens.admin = await tokenFor('ada@example.com', 'admin', 'admin');
  tokens.editor = await tokenFor('ed@example.com', 'editor', 'admin');
  tokens.viewer = await tokenFor('vi@example.com', 'viewer', 'admin');
  tokens.adminRead = await tokenFor('ada@example.com', 'admin', 'read');
  tokens.adminWrite = await tokenFor('ada@example.com', 'admin', 'write');
});
afterAll(async () => s.cleanup());

describe('the permission table', () => {
  it('names every registered route, and names public exactly the routes marked public', async () => {
    await app.ready();
    expect(app.snag.routes.length).toBeGreaterThan(80);
    const undeclared = app.snag.routes.filter((r) => requirementOf(r.method, r.url, undefined) === undefined);
    expect(undeclared.map((r) => `${r.method} ${r.url}`)).toEqual([]);
    for (const r of app.snag.routes) {
      expect(`${r.method} ${r.url} ${requirementOf(r.method, r.url, undefined) === 'public'}`).toBe(
        `${r.method} ${r.url} ${r.public}`,
      );
    }
  });

  it('holds no entry for a route that does not exist (a renamed route is not left behind)', async () => {
    const registered = new Set(app.snag.routes.map((r) => `${r.method} ${r.url}`));
    expect(Object.keys(ROUTE_PERMISSIONS).filter((k) => !registered.has(k))).toEqual([]);
  });

  it('is the one documented in docs/team.md', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../docs/team.md'), 'utf8');
    for (const [permission, role] of Object.entries(PERMISSIONS)) {
      expect(doc).toMatch(new RegExp(`\\| \`${permission}\` \\| ${role} \\|`));
    }
  });
});

/** Representative routes; `null` = allowed (whatever the route answers then, it is not 401 or 403). */
const MATRIX: Array<{ name: string; method: 'GET' | 'POST'; url: string; body?: object; needs: string | null }> = [
  { name: 'list sources', method: 'GET', url: '/api/data_sources', needs: 'read' },
  { name: 'create a source', method: 'POST', url: '/api/data_sources', body: {}, needs: 'sources:write' },
  { name: 'add a credential', method: 'POST', url: '/api/data_credentials', body: {}, needs: 'credentials:write' },
  {
    name: 'apply a write-back',
    method: 'POST',
    url: '/api/data_sinks/snk_none/apply',
    body: {},
    needs: 'writeback:apply',
  },
  {
    name: 'apply a discard',
    method: 'POST',
    url: '/api/data_sinks/snk_none/apply',
    body: { confirm: true },
    needs: 'writeback:destructive',
  },
  { name: 'list users', method: 'GET', url: '/api/users', needs: 'users:manage' },
];

const EXPECTED: Record<string, Record<string, boolean>> = {
  // who: may they? (in MATRIX order)
  viewer: { 'list sources': true },
  editor: { 'list sources': true, 'create a source': true, 'apply a write-back': true },
  adminWrite: { 'list sources': true, 'create a source': true, 'apply a write-back': true },
  adminRead: { 'list sources': true },
  admin: Object.fromEntries(MATRIX.map((m) => [m.name, true])),
};

describe('roles and token scopes', () => {
  for (const who of Object.keys(EXPECTED)) {
    for (const m of MATRIX) {
      const allowed = EXPECTED[who]![m.name] === true;
      it(`${who}: ${m.name} → ${allowed ? 'allowed' : `403 naming ${m.needs}`}`, async () => {
        const res = await app.inject({
          method: m.method,
          url: m.url,
          headers: bearer(tokens[who]!),
          ...(m.body ? { payload: m.body } : {}),
        });
        if (allowed) {
          expect([401, 403]).not.toContain(res.statusCode);
        } else {
          expect(res.statusCode).toBe(403);
          expect(res.json().message).toContain(`permission ${m.needs}`);
        }
      });
    }
  }

  it('keeps the server key and its browser sessions at the owner’s rights', async () => {
    for (const m of MATRIX) {
      const res = await app.inject({
        method: m.method,
        url: m.url,
        headers: keyHeaders(),
        ...(m.body ? { payload: m.body } : {}),
      });
      expect([401, 403]).not.toContain(res.statusCode);
    }
    const browser = await login(app);
    const page = await app.inject({ method: 'GET', url: '/credentials/new', headers: { cookie: browser.cookie } });
    expect(page.statusCode).toBe(200);
  });

  it('refuses a viewer an admin page with a 403 naming the permission', async () => {
    const res = await app.inject({ method: 'GET', url: '/credentials/new', headers: bearer(tokens.viewer!) });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('credentials:write');
  });
});

describe('API tokens', () => {
  it('are refused once revoked or expired (401), and unknown ones too', async () => {
    const token = await tokenFor('vi@example.com', 'viewer', 'read');
    expect((await app.inject({ method: 'GET', url: '/api/runs', headers: bearer(token) })).statusCode).toBe(200);
    const [record] = (await s.runtime.store.users.listTokens()).slice(-1);
    const revoke = await app.inject({ method: 'DELETE', url: `/api/tokens/${record!.id}`, headers: keyHeaders() });
    expect(revoke.statusCode).toBe(200);
    expect(revoke.json().revoked_at).not.toBeNull();
    const after = await app.inject({ method: 'GET', url: '/api/runs', headers: bearer(token) });
    expect(after.statusCode).toBe(401);
    expect(after.body).not.toContain(token);

    const old = await createToken(
      s.runtime.store,
      { user: 'vi@example.com', scope: 'read', expires: '30d' },
      Date.now() - 31 * 86_400_000,
    );
    expect((await app.inject({ method: 'GET', url: '/api/runs', headers: bearer(old.token) })).statusCode).toBe(401);
    const unknown = `snagt_${'A'.repeat(43)}`;
    expect((await app.inject({ method: 'GET', url: '/api/runs', headers: bearer(unknown) })).statusCode).toBe(401);
  });

  it('are made through the API by an admin, shown once, and never stored or logged in clear', async () => {
    const made = await app.inject({
      method: 'POST',
      url: '/api/tokens',
      headers: bearer(tokens.admin!),
      payload: { user: 'ed@example.com', scope: 'write', expires: '30d' },
    });
    expect(made.statusCode).toBe(201);
    const token = made.json().token as string;
    expect(token).toMatch(/^snagt_[A-Za-z0-9_-]{43}$/);
    expect((await app.inject({ method: 'GET', url: '/api/data_sources', headers: bearer(token) })).statusCode).toBe(
      200,
    );
    const list = await app.inject({ method: 'GET', url: '/api/tokens', headers: bearer(tokens.admin!) });
    expect(list.body).not.toContain(token);
    await s.runtime.store.close();
    for (const f of readdirSync(s.home).filter((n) => n.startsWith('snagsync.db'))) {
      const bytes = readFileSync(join(s.home, f)).toString('latin1');
      for (const t of [token, ...Object.values(tokens)]) expect(bytes).not.toContain(t);
    }
    for (const t of [token, ...Object.values(tokens)]) expect(s.logs.join('')).not.toContain(t);
  });
});
