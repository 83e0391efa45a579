import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { buildServer } from '../../src/server/app.js';
import { pushFlash } from '../../src/server/sessions.js';
import { requireService } from '../helpers/services.js';
import { tempDir } from '../store/helpers.js';
import { type TestSchema, testSchema } from '../store/pg.js';
import { keyHeaders, login, passwordLogin, setCookies, TEST_KEY } from './helpers.js';

/**
 * Several servers, one store: two `serve` apps (each its own home and runtime) on one PostgreSQL schema. A session
 * opened on one is accepted by the other, ended by a logout on the other, and both count one account's failed
 * passwords together; a notice pushed on one is shown by the other.
 */

const enabled = requireService('postgres');
const PASSWORD = 'correct horse battery staple';

/** A form's answer that leaves a notice for the next page (as Run now and Save do). */
function noticeRoute(app: FastifyInstance): void {
  app.post('/test/notice', { config: { permission: 'read' } }, async (request, reply) => {
    if (request.auth.kind === 'session') pushFlash(request.auth.session, 'success', 'Saved on the first server.');
    return reply.redirect('/account', 303);
  });
}

describe.skipIf(!enabled)('sessions and lockouts shared by two servers on one PostgreSQL store', () => {
  let schema: TestSchema;
  const servers: Array<{ app: FastifyInstance; runtime: Runtime; cleanup: () => void }> = [];
  let a: FastifyInstance;
  let b: FastifyInstance;

  beforeAll(async () => {
    schema = testSchema('snagsignin');
    for (let i = 0; i < 2; i++) {
      const home = tempDir('snagsync-signin-pg-');
      const runtime = openRuntime({ home: home.dir, env: { SNAGSYNC_DATABASE_URL: schema.url } });
      const app = await buildServer({
        runtime,
        apiKey: TEST_KEY,
        logger: createLogger(process.stderr, 'silent'),
        routes: [noticeRoute],
      });
      servers.push({ app, runtime, cleanup: home.cleanup });
    }
    a = servers[0]!.app;
    b = servers[1]!.app;
  }, 60_000);
  afterAll(async () => {
    for (const s of servers) {
      await s.app.close();
      await s.runtime.close();
      s.cleanup();
    }
    await schema?.drop();
  });

  it('one server accepts the sessions of the other, and a logout on either ends them', async () => {
    const key = await login(a);
    expect((await b.inject({ method: 'GET', url: '/credentials', headers: { cookie: key.cookie } })).statusCode).toBe(
      200,
    );
    // A user invited through one server signs in on the other, with their role.
    const added = await a.inject({
      method: 'POST',
      url: '/api/users',
      headers: keyHeaders(),
      payload: { email: 'vi@example.com', role: 'viewer' },
    });
    const vi = added.json();
    const path: string = vi.invitation_path;
    const page = await b.inject({ method: 'GET', url: path });
    const nonce = /name="_invite" value="([^"]+)"/.exec(page.body)![1]!;
    const pre = setCookies(page).get('snagsync_invite')!.value;
    const redeemed = await b.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `snagsync_invite=${pre}` },
      payload: new URLSearchParams({ _invite: nonce, password: PASSWORD, confirm: PASSWORD }).toString(),
    });
    expect(redeemed.statusCode).toBe(303);
    const cookie = `snagsync_session=${setCookies(redeemed).get('snagsync_session')!.value}`;
    expect((await a.inject({ method: 'GET', url: '/sources', headers: { cookie } })).statusCode).toBe(200);
    expect((await a.inject({ method: 'GET', url: '/credentials/new', headers: { cookie } })).statusCode).toBe(403);
    // Promoted through B, A sees the new role on the next request.
    await b.inject({ method: 'PUT', url: `/api/users/${vi.id}`, headers: keyHeaders(), payload: { role: 'admin' } });
    expect((await a.inject({ method: 'GET', url: '/credentials/new', headers: { cookie } })).statusCode).toBe(200);

    // A notice pushed while answering on A is shown by B after the redirect, once.
    const accountPage = await a.inject({ method: 'GET', url: '/account', headers: { cookie: key.cookie } });
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(accountPage.body)![1]!;
    const noticed = await a.inject({
      method: 'POST',
      url: '/test/notice',
      headers: { cookie: key.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: csrf }).toString(),
    });
    expect(noticed.statusCode).toBe(303);
    const shown = await b.inject({ method: 'GET', url: '/account', headers: { cookie: key.cookie } });
    expect(shown.body).toContain('Saved on the first server.');
    expect((await a.inject({ method: 'GET', url: '/account', headers: { cookie: key.cookie } })).body).not.toContain(
      'Saved on the first server.',
    );
    const out = await b.inject({
      method: 'POST',
      url: '/logout',
      headers: { cookie: key.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: csrf }).toString(),
    });
    expect(out.statusCode).toBe(303);
    expect((await a.inject({ method: 'GET', url: '/credentials', headers: { cookie: key.cookie } })).statusCode).toBe(
      303,
    );
    // Sign out everywhere on A ends the user's session for B.
    const ended = await a.inject({ method: 'DELETE', url: `/api/users/${vi.id}/sessions`, headers: keyHeaders() });
    expect(ended.json()).toEqual({ ended: 1 });
    expect((await b.inject({ method: 'GET', url: '/sources', headers: { cookie } })).statusCode).toBe(303);
  });

  it('counts failed passwords for one account across both servers', async () => {
    for (let i = 0; i < 5; i++) {
      const app = i % 2 === 0 ? a : b;
      expect((await passwordLogin(app, 'vi@example.com', `wrong password ${i}`)).statusCode).toBe(401);
    }
    const onA = await passwordLogin(a, 'vi@example.com', PASSWORD);
    const onB = await passwordLogin(b, 'vi@example.com', PASSWORD);
    expect([onA.statusCode, onB.statusCode]).toEqual([429, 429]);
    // The server key is never locked out.
    expect((await login(b)).cookie).toMatch(/^snagsync_session=/);
  });
});
