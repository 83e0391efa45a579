import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import { SnagError } from '../../src/core/errors.js';
import { createBugsnagClient, type BugsnagClient } from '../../src/bugsnag/client.js';
import type { ClientEvent } from '../../src/http/events.js';
import { RateLimiter } from '../../src/http/rate-limiter.js';
import { fakeClock, script, type Step } from '../http/helpers/scripted.js';

/**
 * The token must never appear in an error (message, hint, details, stack, causes, JSON, inspection), an event, a log
 * line, the stats or the client object itself — whatever goes wrong.
 */
let n = 0;
const secretToken = () => `leakcheck${++n}x${process.pid}Zq8R2vX7mN4pL0sT`;

function everything(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e && depth < 10; depth++) {
    parts.push(String(e), inspect(e, { depth: Infinity, showHidden: true }));
    if (e instanceof Error) parts.push(e.message, e.stack ?? '');
    if (e instanceof SnagError) parts.push(JSON.stringify(e), JSON.stringify(e.details), e.hint ?? '', e.describe());
    e = (e as { cause?: unknown }).cause;
  }
  return parts.join('\n');
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface Scenario {
  /** Scripted answers (built from the token, to echo it back), or a real connection to a closed local port. */
  steps: ((token: string) => Step[]) | 'closed-port';
  call: (c: BugsnagClient) => Promise<unknown>;
}

async function leakCheck({ steps, call }: Scenario) {
  const token = secretToken();
  const lines: string[] = [];
  const logger = createLogger(
    new Writable({
      write(chunk: Buffer, _e, cb) {
        lines.push(chunk.toString());
        cb();
      },
    }),
    'debug',
  );
  const events: ClientEvent[] = [];
  const clock = fakeClock();
  const scripted = steps === 'closed-port' ? undefined : script(...steps(token));
  const client = createBugsnagClient({
    token,
    host: scripted ? 'https://api.bugsnag.com' : `http://127.0.0.1:${await closedPort()}`,
    ...(scripted ? { transport: scripted.transport } : {}),
    clock,
    logger,
    rateLimiter: new RateLimiter({ clock }),
    retry: { retries: 2, baseDelayMs: 1 },
    onEvent: (e) => {
      events.push(e);
      // A listener that fails with the token in its message: the warning it causes must not carry it.
      if (e.type === 'retry') throw new Error(`listener broke while holding ${token}`);
    },
  });
  let thrown: unknown;
  try {
    await call(client);
  } catch (err) {
    thrown = err;
  }
  expect(thrown, 'the call should fail').toBeInstanceOf(SnagError);
  const haystack = [
    everything(thrown),
    JSON.stringify(events),
    lines.join(''),
    JSON.stringify(client.stats()),
    JSON.stringify(client),
    inspect(client, { depth: 6, showHidden: true }),
  ].join('\n');
  expect(lines.length, 'log lines were written, so they were checked').toBeGreaterThan(0);
  expect(events.length, 'events were emitted, so they were checked').toBeGreaterThan(0);
  expect(haystack).not.toContain(token);
  return { err: thrown as SnagError, scripted };
}

describe('the token never leaks', () => {
  it('the check finds a token when there is one', () => {
    const token = secretToken();
    expect(everything(new Error(`x ${token}`))).toContain(token);
    expect(everything(new Error('outer', { cause: new Error(token) }))).toContain(token);
  });

  it('on 401, even when Bugsnag echoes the token in its answer', async () => {
    const { err } = await leakCheck({
      steps: (token) => [{ status: 401, body: { errors: [`Invalid token ${token}`, token] } }],
      call: (c) => c.organizations.list().all(),
    });
    expect(err.code).toBe('auth_invalid');
    expect(err.message).toContain('[REDACTED]');
  });

  it('on 500 after retries', async () => {
    const { err, scripted } = await leakCheck({
      steps: (token) =>
        Array.from({ length: 3 }, () => ({ status: 500, body: { errors: [`upstream said ${token}`] } })),
      call: (c) => c.projects.get('p1'),
    });
    expect(err.code).toBe('server_error');
    expect(scripted!.calls).toHaveLength(3);
  });

  it('on a real network failure (connection refused), after retries', async () => {
    const { err } = await leakCheck({ steps: 'closed-port', call: (c) => c.organizations.list().all() });
    expect(err.code).toBe('network');
    expect(err.details.errorCode).toBe('ECONNREFUSED');
  });

  it('when the transport fails with the token in its error and request', async () => {
    const { err } = await leakCheck({
      steps: (token) => {
        const e = Object.assign(new Error(`socket hang up sending Authorization: token ${token}`), {
          code: 'ECONNRESET',
          request: { headers: { Authorization: `token ${token}` } },
        });
        return [{ throws: e }, { throws: e }, { throws: e }];
      },
      call: (c) => c.events.get('p1', 'ev1'),
    });
    expect(err.code).toBe('network');
  });

  it('when a next link points to another origin', async () => {
    const { err } = await leakCheck({
      steps: (token) => [
        { status: 503, body: '' },
        { status: 200, body: [{ id: 'a' }], headers: { Link: `<https://evil.example/steal?t=${token}>; rel="next"` } },
      ],
      call: (c) => c.errors.list('p1').all(),
    });
    expect(err.code).toBe('not_bugsnag');
  });

  it('when a write fails', async () => {
    const { err, scripted } = await leakCheck({
      steps: (token) => [
        ...Array.from({ length: 3 }, () => ({ status: 503, body: { errors: [`busy ${token}`] } })),
        { status: 422, body: { errors: [`cannot ${token}`], code: 60000 } },
      ],
      call: async (c) => {
        // A read that retries (so the failing listener runs and logs), then a write that fails.
        await c.projects.get('p1').catch(() => undefined);
        return c.errors.update('p1', 'e1', { operation: 'fix' });
      },
    });
    expect(err.code).toBe('result_too_large');
    expect(scripted!.calls.map((call) => call.method)).toEqual(['GET', 'GET', 'GET', 'PATCH']);
  });
});
