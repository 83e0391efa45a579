import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/store/team/passwords.js';
import { type Browser, keyHeaders, login, passwordLogin, setCookies, type TestServer, testServer } from './helpers.js';

/**
 * Signing in as a user: an invitation redeemed once for a password, email and password on the login page (the same
 * answer for an unknown email and a wrong password), the lockout per account with its backoff (never locking out the
 * server key), sessions acting as their user's current role, and signing out everywhere. Real SQLite, real scrypt.
 */

let s: TestServer;
let now: number;
const PASSWORD = 'correct horse battery staple';

beforeEach(async () => {
  now = Date.parse('2026-05-01T10:00:00Z');
  // Wrong passwords from one address are also slowed down (after 10 a minute); these tests count per account.
  s = await testServer({ now: () => now, keyGuard: { perClient: 1000, global: 1000 } });
});
afterEach(async () => s.cleanup());

async function invite(email: string, role: string): Promise<{ id: string; path: string; invitation: string }> {
  const res = await s.app.inject({
    method: 'POST',
    url: '/api/users',
    headers: keyHeaders(),
    payload: { email, role },
  });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json();
  return { id: body.id, path: body.invitation_path, invitation: body.invitation };
}

/** Opens the invitation page and submits the password form; returns the answer and the page's form token cookie. */
async function redeem(app: FastifyInstance, path: string, password: string, confirm = password) {
  const page = await app.inject({ method: 'GET', url: path });
  const nonce = /name="_invite" value="([^"]+)"/.exec(page.body)?.[1];
  const pre = setCookies(page).get('snagsync_invite')?.value;
  return {
    page,
    res:
      nonce && pre
        ? await app.inject({
            method: 'POST',
            url: path,
            headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `snagsync_invite=${pre}` },
            payload: new URLSearchParams({ _invite: nonce, password, confirm }).toString(),
          })
        : null,
  };
}

function sessionOf(res: LightMyRequestResponse): Browser {
  const id = setCookies(res).get('snagsync_session')?.value;
  expect(res.statusCode, res.body).toBe(303);
  expect(id).toBeTruthy();
  return { cookie: `snagsync_session=${id}`, csrf: '' };
}

const get = (b: Browser, url: string) => s.app.inject({ method: 'GET', url, headers: { cookie: b.cookie } });

async function csrfOf(b: Browser): Promise<Browser> {
  const page = await get(b, '/account');
  return { ...b, csrf: /<meta name="csrf-token" content="([^"]+)">/.exec(page.body)![1]! };
}

describe('passwords', () => {
  it('hashes with scrypt, parameters stored with the hash, and verifies in constant time', async () => {
    const hash = await hashPassword(PASSWORD);
    expect(hash).toMatch(/^scrypt\$1\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(hash).not.toContain(PASSWORD);
    expect(await verifyPassword(PASSWORD, hash)).toBe(true);
    expect(await verifyPassword(`${PASSWORD}!`, hash)).toBe(false);
    expect(await hashPassword(PASSWORD)).not.toBe(hash); // salted
    expect(await verifyPassword(PASSWORD, hash.replace('$1$', '$9$'))).toBe(false);
  });
});

describe('invitations', () => {
  it('sets a password once and signs the invitee in with their role', async () => {
    await invite('ada@example.com', 'admin');
    const vi = await invite('vi@example.com', 'viewer');
    expect(vi.path).toBe(`/invite/${vi.invitation}`);
    const { page, res } = await redeem(s.app, vi.path, PASSWORD);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('vi@example.com');
    const b = sessionOf(res!);
    expect(res!.headers.location).toBe('/');
    // A viewer: reads, but is refused what an editor or admin may do.
    expect((await get(b, '/sources')).statusCode).toBe(200);
    const refused = await get(b, '/credentials/new');
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('credentials:write');
    expect((await s.app.inject({ method: 'GET', url: '/api/users', headers: { cookie: b.cookie } })).statusCode).toBe(
      403,
    );
    // Once only.
    const again = await redeem(s.app, vi.path, 'another long password');
    expect(again.page.statusCode).toBe(404);
    expect(again.page.body).toContain('not valid');
    expect(again.res).toBeNull();
    expect((await passwordLogin(s.app, 'vi@example.com', PASSWORD)).statusCode).toBe(303);
    // The secret never reaches the logs.
    expect(s.logs.join('')).not.toContain(vi.invitation);
  });

  it('refuses a short password, two different ones, an expired invitation, and a forged form', async () => {
    const ed = await invite('ed@example.com', 'editor');
    expect((await redeem(s.app, ed.path, 'short')).res!.statusCode).toBe(400);
    const differ = await redeem(s.app, ed.path, PASSWORD, `${PASSWORD}.`);
    expect(differ.res!.statusCode).toBe(400);
    expect(differ.res!.body).toContain('The two passwords differ');
    const forged = await s.app.inject({
      method: 'POST',
      url: ed.path,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _invite: 'x', password: PASSWORD, confirm: PASSWORD }).toString(),
    });
    expect(forged.statusCode).toBe(403);
    now += 7 * 24 * 3600_000 + 1000;
    const late = await redeem(s.app, ed.path, PASSWORD);
    expect(late.page.statusCode).toBe(404);
    expect((await passwordLogin(s.app, 'ed@example.com', PASSWORD)).statusCode).toBe(401);
  });
});

describe('email and password', () => {
  it('answers an unknown email exactly like a wrong password, and records sign-ins without secrets', async () => {
    const ed = await invite('ed@example.com', 'editor');
    await redeem(s.app, ed.path, PASSWORD);
    const wrong = await passwordLogin(s.app, 'ed@example.com', 'not the password at all');
    const unknown = await passwordLogin(s.app, 'nobody@example.com', 'not the password at all');
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    const message = (r: LightMyRequestResponse) => /<div class="form-error"[^>]*>([\s\S]*?)<\/div>/.exec(r.body)?.[1];
    expect(message(wrong)).toContain('do not match an account');
    expect(message(wrong)).toBe(message(unknown));
    const ok = sessionOf(await passwordLogin(s.app, 'ED@example.com', PASSWORD));
    expect((await get(ok, '/credentials')).statusCode).toBe(200);
    const page = await s.runtime.store.audit.list({ limit: 50 });
    const signIns = page.entries.filter((e) => e.kind === 'sign-in').map((e) => `${e.actor} ${e.outcome} ${e.status}`);
    expect(signIns).toEqual([
      'ed@example.com ok 303',
      'nobody@example.com refused 401',
      'ed@example.com refused 401',
      'ed@example.com ok 303',
    ]);
    const all = JSON.stringify(page);
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain('not the password at all');
    expect(all).not.toContain(ed.invitation);
  });

  it('locks an account after 5 failures, with a doubling wait; the server key still signs in', async () => {
    const ed = await invite('ed@example.com', 'editor');
    await redeem(s.app, ed.path, PASSWORD);
    for (let i = 0; i < 5; i++) {
      expect((await passwordLogin(s.app, 'ed@example.com', `wrong password ${i}`)).statusCode).toBe(401);
    }
    // Locked: even the right password waits 30 s, and is not looked at.
    const locked = await passwordLogin(s.app, 'ed@example.com', PASSWORD);
    expect(locked.statusCode).toBe(429);
    expect(locked.headers['retry-after']).toBe('30');
    expect(locked.body).toContain('paused for 30 seconds');
    // An unknown email is locked the same way, so the lock tells nothing about who exists.
    for (let i = 0; i < 5; i++) await passwordLogin(s.app, 'ghost@example.com', `wrong password ${i}`);
    expect((await passwordLogin(s.app, 'ghost@example.com', PASSWORD)).statusCode).toBe(429);
    // Other accounts and the server key are untouched.
    expect((await login(s.app)).cookie).toMatch(/^snagsync_session=/);
    now += 30_000;
    // The next failure doubles the wait.
    expect((await passwordLogin(s.app, 'ed@example.com', 'wrong again')).statusCode).toBe(401);
    const longer = await passwordLogin(s.app, 'ed@example.com', PASSWORD);
    expect(longer.headers['retry-after']).toBe('60');
    now += 60_000;
    // Success clears the count.
    sessionOf(await passwordLogin(s.app, 'ed@example.com', PASSWORD));
    expect(await s.runtime.store.users.lockoutOf('ed@example.com')).toBeNull();
    // A day after its last failure, an email's count is forgotten (the next failure anywhere sweeps it).
    expect((await s.runtime.store.users.lockoutOf('ghost@example.com'))?.failures).toBe(5);
    now += 24 * 3600_000 + 60_000;
    await passwordLogin(s.app, 'other@example.com', 'a wrong password');
    expect(await s.runtime.store.users.lockoutOf('ghost@example.com')).toBeNull();
    const audit = await s.runtime.store.audit.list({ limit: 100 });
    expect(audit.entries.some((e) => e.kind === 'sign-in' && e.status === 429 && e.actor === 'ed@example.com')).toBe(
      true,
    );
  });
});

describe('wrong passwords from one address', () => {
  it('are slowed down across accounts, like wrong keys; the server key still signs in', async () => {
    await s.cleanup();
    s = await testServer({ now: () => now, keyGuard: { maxDelayMs: 0, stepDelayMs: 0 } });
    const statuses = [];
    for (let i = 0; i < 11; i++) {
      statuses.push((await passwordLogin(s.app, `user${i}@example.com`, 'some wrong password')).statusCode);
    }
    expect(statuses.slice(0, 10).every((c) => c === 401)).toBe(true);
    const slowed = await passwordLogin(s.app, 'user11@example.com', 'some wrong password');
    expect(slowed.statusCode).toBe(429);
    expect(slowed.body).toContain('Too many failed sign-ins from this address');
    expect((await login(s.app)).cookie).toMatch(/^snagsync_session=/);
  });
});

describe('sessions per user', () => {
  it("act as the user's current role: a role change or removal applies at once", async () => {
    await invite('ada@example.com', 'admin');
    const ed = await invite('ed@example.com', 'editor');
    const b = sessionOf((await redeem(s.app, ed.path, PASSWORD)).res!);
    expect((await get(b, '/credentials')).statusCode).toBe(200);
    await s.app.inject({
      method: 'PUT',
      url: `/api/users/${ed.id}`,
      headers: keyHeaders(),
      payload: { role: 'viewer' },
    });
    expect((await get(b, '/credentials')).statusCode).toBe(403);
    await s.app.inject({
      method: 'PUT',
      url: `/api/users/${ed.id}`,
      headers: keyHeaders(),
      payload: { role: 'admin' },
    });
    expect((await get(b, '/credentials/new')).statusCode).toBe(200);
    await s.app.inject({ method: 'DELETE', url: `/api/users/${ed.id}`, headers: keyHeaders() });
    const gone = await get(b, '/credentials');
    expect(gone.statusCode).toBe(303);
    expect(gone.headers.location).toContain('/login');
  });

  it('changes are recorded under the user, not the server key', async () => {
    const ada = await invite('ada@example.com', 'admin');
    const b = await csrfOf(sessionOf((await redeem(s.app, ada.path, PASSWORD)).res!));
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/users',
      headers: { cookie: b.cookie, 'x-csrf-token': b.csrf },
      payload: { email: 'ed@example.com', role: 'editor' },
    });
    expect(res.statusCode).toBe(201);
    const [last] = (await s.runtime.store.audit.list({ limit: 1 })).entries;
    expect(last).toMatchObject({ actor: 'ada@example.com', actor_kind: 'session', route: '/api/users' });
  });

  it('sign out everywhere ends every session of the account, and only of it', async () => {
    await invite('ada@example.com', 'admin');
    const ed = await invite('ed@example.com', 'editor');
    const first = await csrfOf(sessionOf((await redeem(s.app, ed.path, PASSWORD)).res!));
    const second = sessionOf(await passwordLogin(s.app, 'ed@example.com', PASSWORD));
    const keySession = await login(s.app);
    const account = await get(first, '/account');
    expect(account.body).toContain('ed@example.com');
    expect(account.body).toContain('Sign out everywhere');
    const out = await s.app.inject({
      method: 'POST',
      url: '/account/sign-out-everywhere',
      headers: { cookie: first.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: first.csrf }).toString(),
    });
    expect(out.statusCode).toBe(303);
    expect(out.headers.location).toBe('/login');
    expect((await get(first, '/sources')).statusCode).toBe(303);
    expect((await get(second, '/sources')).statusCode).toBe(303);
    expect((await get(keySession, '/sources')).statusCode).toBe(200);

    // The API: the caller's own sessions, and an admin's for another user.
    const third = await csrfOf(sessionOf(await passwordLogin(s.app, 'ed@example.com', PASSWORD)));
    const fourth = sessionOf(await passwordLogin(s.app, 'ed@example.com', PASSWORD));
    const ended = await s.app.inject({
      method: 'DELETE',
      url: '/api/sessions',
      headers: { cookie: third.cookie, 'x-csrf-token': third.csrf },
    });
    expect(ended.json()).toEqual({ ended: 2 });
    expect((await get(fourth, '/sources')).statusCode).toBe(303);
    const fifth = sessionOf(await passwordLogin(s.app, 'ed@example.com', PASSWORD));
    const byAdmin = await s.app.inject({
      method: 'DELETE',
      url: `/api/users/${ed.id}/sessions`,
      headers: keyHeaders(),
    });
    expect(byAdmin.json()).toEqual({ ended: 1 });
    expect((await get(fifth, '/sources')).statusCode).toBe(303);
    expect((await get(keySession, '/sources')).statusCode).toBe(200);
  });

  it('keeps only the sha256 of the cookie in the store', async () => {
    const b = await login(s.app);
    const id = b.cookie.split('=')[1]!;
    const db = (s.runtime.store as unknown as { users: { db: { prepare(q: string): { all(): unknown[] } } } }).users.db;
    const rows = JSON.stringify(db.prepare('SELECT * FROM sessions').all());
    expect(rows).not.toContain(id);
    expect(rows).toContain('"user_id":null');
  });
});
