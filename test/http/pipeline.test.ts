import { describe, expect, it } from 'vitest';
import { SnagError } from '../../src/core/errors.js';
import { VERSION } from '../../src/core/version.js';
import { Organization } from '../../src/bugsnag/models/organization.js';
import { API, harness } from './helpers/client.js';
import { ok, sysError } from './helpers/scripted.js';

const ORGS = `${API}/user/organizations?per_page=100`;
const org = { id: '5a1589f0d1befa47553ffd60', name: 'Acme' };

async function failure(p: Promise<unknown>): Promise<SnagError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(SnagError);
    return err as SnagError;
  }
  throw new Error('expected a failure');
}

describe('request headers', () => {
  it('sends the token, version, X-Bugsnag-API, accept and user agent on every request, and the token nowhere else', async () => {
    const h = harness([ok([org])]);
    await h.client.organizations.list().all();
    const [call] = h.script.calls;
    expect(call!.headers).toEqual({
      Authorization: `token ${h.token}`,
      'X-Version': '2',
      'X-Bugsnag-API': 'true',
      Accept: 'application/json',
      'User-Agent': `snagsync/${VERSION}`,
    });
    expect(call!.url).toBe(ORGS);
    expect(call!.url).not.toContain(h.token);
    expect(call!.body).toBeUndefined();
  });

  it('adds Content-Type only when there is a body', async () => {
    const h = harness([{ status: 201, body: { id: 'c1', message: 'hi' } }]);
    await h.client.comments.create('p1', 'e1', 'hi');
    expect(h.script.calls[0]!.headers['Content-Type']).toBe('application/json');
    expect(h.script.calls[0]!.body).toBe('{"message":"hi"}');
  });
});

describe('retries on reads', () => {
  it('retries 5xx with exponential backoff, then succeeds', async () => {
    const h = harness([{ status: 503, body: '' }, { status: 502, body: '<html>bad gateway</html>' }, ok([org])]);
    const orgs = await h.client.organizations.list().all();
    expect(orgs.map((o) => o.id)).toEqual([org.id]);
    expect(h.script.lines()).toEqual([`GET ${ORGS}`, `GET ${ORGS}`, `GET ${ORGS}`]);
    // base 100 ms, random 0.5: 75 ms then 150 ms.
    expect(h.clock.sleeps).toEqual([75, 150]);
    expect(h.events.filter((e) => e.type === 'retry')).toEqual([
      { type: 'retry', method: 'GET', url: ORGS, attempt: 1, status: 503, waitMs: 75 },
      { type: 'retry', method: 'GET', url: ORGS, attempt: 2, status: 502, waitMs: 150 },
    ]);
    expect(h.client.stats()).toMatchObject({ requests: 3, retries: 2, backoffWaitMs: 225 });
  });

  it('gives up after the budget with server_error', async () => {
    const h = harness(Array.from({ length: 4 }, () => ({ status: 500, body: { errors: ['boom'] } })));
    const err = await failure(h.client.organizations.get('o1'));
    expect(err.code).toBe('server_error');
    expect(err.exitCode).toBe(17);
    expect(err.message).toContain('after 4 attempts');
    expect(h.script.calls).toHaveLength(4);
  });

  it('honours a longer Retry-After on a 503', async () => {
    const h = harness([{ status: 503, headers: { 'Retry-After': '7' }, body: '' }, ok(org)]);
    await h.client.organizations.get('o1');
    expect(h.clock.sleeps).toEqual([7_000]);
  });

  it('retries connection resets and other network failures', async () => {
    const h = harness([
      { throws: sysError('ECONNRESET') },
      { throws: sysError('UND_ERR_SOCKET', 'other side closed') },
      ok(org),
    ]);
    const o = await h.client.organizations.get('o1');
    expect(o.id).toBe(org.id);
    expect(h.script.calls).toHaveLength(3);
    expect(h.events.filter((e) => e.type === 'retry').map((e) => (e as { error?: string }).error)).toEqual([
      'connection reset',
      'connection closed by the other side',
    ]);
  });

  it('maps a persistent network failure to network with the system code', async () => {
    const h = harness(Array.from({ length: 4 }, () => ({ throws: sysError('ECONNREFUSED') })));
    const err = await failure(h.client.organizations.get('o1'));
    expect(err.code).toBe('network');
    expect(err.exitCode).toBe(18);
    expect(err.message).toBe('Could not reach https://api.bugsnag.com after 4 attempts: connection refused.');
    expect(err.details).toMatchObject({ errorCode: 'ECONNREFUSED', attempts: 4, method: 'GET' });
  });

  it('says DNS when the host name does not resolve', async () => {
    const h = harness(Array.from({ length: 4 }, () => ({ throws: sysError('ENOTFOUND', 'getaddrinfo ENOTFOUND x') })));
    const err = await failure(h.client.organizations.get('o1'));
    expect(err.message).toContain('host name not found (DNS)');
    expect(err.hint).toContain('spelling of the host');
  });

  it('does not retry certificate failures (tls)', async () => {
    const h = harness([{ throws: sysError('CERT_HAS_EXPIRED', 'certificate has expired') }]);
    const err = await failure(h.client.organizations.get('o1'));
    expect(err.code).toBe('tls');
    expect(err.exitCode).toBe(19);
    expect(h.script.calls).toHaveLength(1);
  });

  it('retries a truncated JSON body on a read', async () => {
    const h = harness([
      { status: 200, headers: { 'content-type': 'application/json' }, body: '[{"id":"5a1589f0d1befa47553ffd60","na' },
      ok([org]),
    ]);
    expect(await h.client.organizations.list().all()).toHaveLength(1);
    expect(h.script.calls).toHaveLength(2);
    expect(h.events.find((e) => e.type === 'retry')).toMatchObject({ status: 200, error: 'incomplete JSON body' });
  });

  it('reports a body that stays truncated as server_error', async () => {
    const cut = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"id":' };
    const h = harness([cut, cut, cut, cut]);
    const err = await failure(h.client.organizations.get('o1'));
    expect(err.code).toBe('server_error');
    expect(err.message).toContain('cut off');
    expect(h.script.calls).toHaveLength(4);
  });

  it('does not retry an HTML page: that is not Bugsnag', async () => {
    const h = harness([
      { status: 200, headers: { 'content-type': 'text/html' }, body: '<!doctype html><p>Sign in</p>' },
    ]);
    const err = await failure(h.client.organizations.list().all());
    expect(err.code).toBe('not_bugsnag');
    expect(err.exitCode).toBe(20);
    expect(err.message).toBe(
      'https://api.bugsnag.com answered GET /user/organizations with an HTML page, not Bugsnag API data.',
    );
    expect(h.script.calls).toHaveLength(1);
  });
});

describe('writes are never retried automatically', () => {
  const update = { operation: 'fix' } as const;

  it('POST answered 503 is sent once', async () => {
    const h = harness([
      { status: 503, body: '' },
      { status: 201, body: { id: 'c' } },
    ]);
    const err = await failure(h.client.comments.create('p1', 'e1', 'hello'));
    expect(err.code).toBe('server_error');
    expect(err.message).toContain('not retried automatically');
    expect(h.script.lines()).toEqual([`POST ${API}/projects/p1/errors/e1/comments`]);
    expect(h.client.stats().retries).toBe(0);
  });

  it('PATCH after a connection reset is sent once', async () => {
    const h = harness([{ throws: sysError('ECONNRESET') }, ok({ id: 'e1' })]);
    const err = await failure(h.client.errors.update('p1', 'e1', update));
    expect(err.code).toBe('network');
    expect(h.script.calls).toHaveLength(1);
  });

  it('PATCH answered 429 is sent once, and says when to come back', async () => {
    const h = harness([{ status: 429, headers: { 'Retry-After': '12' }, body: '' }, ok({ id: 'e1' })]);
    const err = await failure(h.client.errors.bulkUpdate('p1', ['e1', 'e2'], update));
    expect(err.code).toBe('rate_limited');
    expect(err.details.retryAfterSeconds).toBe(12);
    expect(h.script.calls).toHaveLength(1);
  });

  it('PATCH that times out is sent once', async () => {
    const h = harness([{ hang: true }, ok({ id: 'e1' })], { timeoutMs: 20 });
    const err = await failure(h.client.errors.update('p1', 'e1', update));
    expect(err.code).toBe('network');
    expect(err.message).toContain('no answer within 20 ms');
    expect(h.script.calls).toHaveLength(1);
  });

  it('a truncated answer to a write is not retried either', async () => {
    const h = harness([{ status: 200, headers: { 'content-type': 'application/json' }, body: '{"id":"e' }]);
    const err = await failure(h.client.errors.update('p1', 'e1', update));
    expect(err.code).toBe('server_error');
    expect(h.script.calls).toHaveLength(1);
  });
});

describe('timeouts and aborts', () => {
  it('times out a stalled read and retries it', async () => {
    const h = harness([{ hang: true }, ok(org)], { timeoutMs: 20 });
    await h.client.organizations.get('o1');
    expect(h.script.calls).toHaveLength(2);
    expect(h.events[0]).toMatchObject({ type: 'request', error: 'no answer within 20 ms', attempt: 1 });
  });

  it('aborting the client signal stops a request in flight, without retry', async () => {
    const ac = new AbortController();
    const h = harness([{ hang: true }, ok(org)], { signal: ac.signal });
    const p = h.client.organizations.get('o1');
    await new Promise((r) => setImmediate(r));
    ac.abort();
    const err = await failure(p);
    expect(err.code).toBe('aborted');
    expect(err.exitCode).toBe(130);
    expect(h.script.calls).toHaveLength(1);
    expect(h.script.calls[0]!.signal.aborted).toBe(true);
  });

  it('a call signal aborts one call while the client also has a signal, and listeners are cleaned up', async () => {
    const clientSignal = new AbortController();
    let listeners = 0;
    const add = clientSignal.signal.addEventListener.bind(clientSignal.signal);
    const remove = clientSignal.signal.removeEventListener.bind(clientSignal.signal);
    clientSignal.signal.addEventListener = ((...args: Parameters<typeof add>) => {
      listeners++;
      return add(...args);
    }) as typeof add;
    clientSignal.signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      listeners--;
      return remove(...args);
    }) as typeof remove;
    const h = harness([{ hang: true }, ok(org), ok(org)], { signal: clientSignal.signal });
    const call = new AbortController();
    const p = h.client.organizations.get('o1', { signal: call.signal });
    await new Promise((r) => setImmediate(r));
    call.abort();
    expect((await failure(p)).code).toBe('aborted');
    // The client is still usable, and no listener stays on its long-lived signal.
    await h.client.organizations.get('o1', { signal: new AbortController().signal });
    await h.client.organizations.get('o1');
    expect(h.script.calls).toHaveLength(3);
    expect(listeners).toBe(0);
  });

  it('a call signal that is already aborted sends nothing', async () => {
    const h = harness([ok(org)]);
    const err = await failure(h.client.organizations.get('o1', { signal: AbortSignal.abort() }));
    expect(err.code).toBe('aborted');
    expect(h.script.calls).toHaveLength(0);
  });

  it('aborting during a backoff wait stops the retries', async () => {
    const ac = new AbortController();
    const h = harness([{ status: 503, body: '' }, ok(org)], { signal: ac.signal });
    const sleep = h.clock.sleep;
    h.clock.sleep = async (ms, signal) => {
      ac.abort();
      return sleep(ms, signal);
    };
    const err = await failure(h.client.organizations.get('o1'));
    expect(err.code).toBe('aborted');
    expect(h.script.calls).toHaveLength(1);
  });
});

describe('rate limits', () => {
  it('on 429 waits Retry-After (plus jitter) and retries the read', async () => {
    const h = harness([{ status: 429, headers: { 'Retry-After': '20' }, body: '' }, ok([org])]);
    await h.client.organizations.list().all();
    expect(h.script.lines()).toEqual([`GET ${ORGS}`, `GET ${ORGS}`]);
    // 20 s + 0.5 × min(1 s, 10%) jitter.
    expect(h.clock.sleeps).toEqual([20_500]);
    const kinds = h.events.map((e) => e.type);
    expect(kinds).toEqual(['request', 'retry', 'rate-limit-wait', 'request']);
    expect(h.events[2]).toEqual({ type: 'rate-limit-wait', ms: 20_500, reason: 'retry-after' });
    expect(h.client.stats()).toMatchObject({
      requests: 2,
      retries: 1,
      rateLimited: 1,
      rateLimitWaits: 1,
      rateLimitWaitMs: 20_500,
    });
  });

  it('caps a huge Retry-After', async () => {
    const h = harness([{ status: 429, headers: { 'Retry-After': '86400' }, body: '' }, ok(org)], {
      retry: { maxRetryAfterMs: 90_000, baseDelayMs: 100 },
    });
    await h.client.organizations.get('o1');
    expect(h.clock.sleeps).toEqual([90_500]);
  });

  it('gives up after the 429 budget with rate_limited', async () => {
    const tooMany = { status: 429, headers: { 'Retry-After': '1' }, body: '' };
    const h = harness([tooMany, tooMany, tooMany]);
    const err = await failure(h.client.organizations.get('o1'));
    expect(err.code).toBe('rate_limited');
    expect(err.exitCode).toBe(16);
    expect(err.message).toContain('after 3 attempts');
    expect(err.details.retryAfterSeconds).toBe(1);
    expect(h.script.calls).toHaveLength(3);
  });

  it('waits proactively when X-RateLimit-Remaining reaches 0 (header names in odd case)', async () => {
    const page = (remaining: number, body: unknown = [org]) => ({
      status: 200,
      body,
      headers: { 'x-RATELIMIT-limit': '2', 'X-Ratelimit-Remaining': String(remaining) },
    });
    const h = harness([page(1, org), page(0), page(1)], { rateWindowMs: 60_000 });
    await h.client.organizations.get('a');
    await h.client.organizations.list().all();
    expect(h.clock.sleeps).toEqual([]);
    await h.client.organizations.list().all();
    expect(h.clock.sleeps).toEqual([61_000]);
    expect(h.events.filter((e) => e.type === 'rate-limit-wait')).toEqual([
      { type: 'rate-limit-wait', ms: 61_000, reason: 'limit-reached', limit: 2, remaining: 0 },
    ]);
    expect(h.events.filter((e) => e.type === 'rate-limit')).toEqual([
      { type: 'rate-limit', limit: 2, remaining: 1 },
      { type: 'rate-limit', limit: 2, remaining: 0 },
      { type: 'rate-limit', limit: 2, remaining: 1 },
    ]);
    expect(h.client.stats()).toMatchObject({ rateLimitWaitMs: 61_000, rateLimitLimit: 2, rateLimitRemaining: 1 });
  });

  it('learns the window from the Retry-After of a 429 instead of assuming a minute', async () => {
    const page = (remaining: number, body: unknown = org) => ({
      status: 200,
      body,
      headers: { 'X-RateLimit-Limit': '2', 'X-RateLimit-Remaining': String(remaining) },
    });
    const tooMany = { status: 429, headers: { 'Retry-After': '1' }, body: '' };
    const h = harness([page(1), page(0), tooMany, page(1), page(0), page(1)]);
    expect(h.limiter.windowSource).toBe('assumed');
    await h.client.organizations.get('a');
    h.clock.advance(300);
    await h.client.organizations.get('b');
    // Out of budget: one request asks (429, Retry-After: 1) rather than a wait of the assumed minute.
    await h.client.organizations.get('c');
    expect(h.clock.sleeps).toEqual([1_050]); // Retry-After and its jitter
    // 300 ms spent in the window, and 1 s left: the window is 1.3 s.
    expect(h.limiter.windowSource).toBe('learned');
    expect(h.limiter.window).toBe(1_300);
    await h.client.organizations.get('d');
    // Out of budget again: a wait of the learned window (and its 2% margin), not 61 s.
    await h.client.organizations.get('e');
    expect(h.clock.sleeps).toEqual([1_050, 1_326]);
    expect(h.script.calls).toHaveLength(6);
  });

  it('a window given by the caller is not probed for', async () => {
    const h = harness(
      [{ status: 200, body: org, headers: { 'X-RateLimit-Limit': '1', 'X-RateLimit-Remaining': '0' } }, ok(org)],
      { rateWindowMs: 60_000 },
    );
    await h.client.organizations.get('a');
    await h.client.organizations.get('b');
    expect(h.clock.sleeps).toEqual([61_000]);
    expect(h.limiter.window).toBe(60_000);
  });

  it('shares one budget between two clients of the same token', async () => {
    const h = harness(
      [{ status: 200, body: org, headers: { 'X-RateLimit-Limit': '1', 'X-RateLimit-Remaining': '0' } }, ok(org)],
      { rateWindowMs: 60_000 },
    );
    const { createBugsnagClient } = await import('../../src/bugsnag/client.js');
    const other = createBugsnagClient({
      token: h.token,
      host: API,
      transport: h.script.transport,
      clock: h.clock,
      logger: false,
      rateLimiter: h.limiter,
    });
    await h.client.organizations.get('a');
    await other.request({ method: 'GET', path: '/organizations/b', model: Organization });
    expect(h.clock.sleeps).toEqual([61_000]);
    expect(other.stats().rateLimitWaitMs).toBe(61_000);
    expect(h.client.stats().rateLimitWaitMs).toBe(0);
  });
});

describe('events', () => {
  it('reports every request with method, URL, status and attempt', async () => {
    const h = harness([ok(org)]);
    await h.client.organizations.get('o1');
    expect(h.events).toEqual([
      { type: 'request', method: 'GET', url: `${API}/organizations/o1`, status: 200, ms: 0, attempt: 1 },
    ]);
  });

  it('a failing listener does not break the request', async () => {
    const h = harness([ok(org)], {
      onEvent: () => {
        throw new Error('display broke');
      },
    });
    await expect(h.client.organizations.get('o1')).resolves.toMatchObject({ id: org.id });
  });
});
