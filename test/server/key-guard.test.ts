import { afterEach, describe, expect, it } from 'vitest';
import { keyHeaders, login, setCookies, testServer, type TestServer } from './helpers.js';

/** Wrong server keys are slowed down per address and across addresses; the right key is never refused. */

let s: TestServer | undefined;
afterEach(async () => {
  await s?.cleanup();
  s = undefined;
});

const wrong = (i: number) => ({ authorization: `Bearer wrong-key-${i}-xxxxxxxxxxxx` });

async function wrongLogin(t: TestServer, i: number, ip?: string) {
  const page = await t.app.inject({ method: 'GET', url: '/login' });
  const nonce = /name="_login" value="([^"]+)"/.exec(page.body)![1]!;
  const pre = setCookies(page).get('snagsync_login')!.value;
  return t.app.inject({
    method: 'POST',
    url: '/login',
    ...(ip ? { remoteAddress: ip } : {}),
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `snagsync_login=${pre}` },
    payload: new URLSearchParams({ key: `wrong-${i}-xxxxxxxxxxxx`, _login: nonce }).toString(),
  });
}

describe('wrong server keys', () => {
  it('40 wrong bearer keys: 401 for the first 10, then 429 with Retry-After; the right key still passes', async () => {
    s = await testServer({ keyGuard: { maxDelayMs: 5 } });
    const codes: number[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await s.app.inject({ method: 'GET', url: '/api/data_credentials', headers: wrong(i) });
      codes.push(res.statusCode);
      if (res.statusCode === 429) {
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        expect(res.json()).toMatchObject({ error: 'rate_limited', hint: expect.stringContaining('right key') });
      }
    }
    expect(codes.slice(0, 10).every((c) => c === 401)).toBe(true);
    expect(codes.slice(10).every((c) => c === 429)).toBe(true);
    const ok = await s.app.inject({ method: 'GET', url: '/api/data_credentials', headers: keyHeaders() });
    expect(ok.statusCode).toBe(200);
  });

  it('the owner logs in with the right key after 12 wrong ones from the same address', async () => {
    s = await testServer({ keyGuard: { maxDelayMs: 5 } });
    let last = 0;
    for (let i = 0; i < 12; i++) last = (await wrongLogin(s, i)).statusCode;
    expect(last).toBe(429);
    // login() throws unless the right key gets a session (303 with the cookie).
    const browser = await login(s.app);
    expect(browser.csrf.length).toBeGreaterThan(10);
    const api = await s.app.inject({ method: 'GET', url: '/api/data_credentials', headers: keyHeaders() });
    expect(api.statusCode).toBe(200);
  });

  it('counts failures across addresses too (a guesser with many addresses is slowed down)', async () => {
    s = await testServer({ keyGuard: { maxDelayMs: 5, perClient: 10, global: 20 } });
    const codes: number[] = [];
    for (let i = 0; i < 25; i++) {
      const res = await s.app.inject({
        method: 'GET',
        url: '/api/data_credentials',
        remoteAddress: `10.0.${i}.1`,
        headers: wrong(i),
      });
      codes.push(res.statusCode);
    }
    expect(codes.slice(0, 20).every((c) => c === 401)).toBe(true);
    expect(codes.slice(20).every((c) => c === 429)).toBe(true);
    const ok = await s.app.inject({
      method: 'GET',
      url: '/api/data_credentials',
      remoteAddress: '10.0.99.1',
      headers: keyHeaders(),
    });
    expect(ok.statusCode).toBe(200);
  });

  it('failures are forgotten after the window', async () => {
    let t = 1_000_000;
    s = await testServer({ now: () => t, keyGuard: { maxDelayMs: 5 } });
    for (let i = 0; i < 11; i++) await s.app.inject({ method: 'GET', url: '/api', headers: wrong(i) });
    expect((await s.app.inject({ method: 'GET', url: '/api', headers: wrong(99) })).statusCode).toBe(429);
    t += 61_000;
    expect((await s.app.inject({ method: 'GET', url: '/api', headers: wrong(100) })).statusCode).toBe(401);
  });
});
