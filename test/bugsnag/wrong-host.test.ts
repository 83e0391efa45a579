import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBugsnagClient } from '../../src/bugsnag/client.js';
import { SnagError } from '../../src/core/errors.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { testServer, type TestServer } from '../server/helpers.js';
import { harness } from '../http/helpers/client.js';

/**
 * A service URL that points at something other than the Data Access API — here a real snagsync server, which asks
 * for `Authorization: Bearer` — is a wrong host (not_bugsnag, exit 20), not a rejected token (exit 10); the
 * simulator's own 401 for a wrong token stays a rejected token.
 */
let server: TestServer;
let serverUrl: string;
let sim: Simulator;

beforeAll(async () => {
  server = await testServer();
  serverUrl = await server.app.listen({ host: '127.0.0.1', port: 0 });
  sim = await startSimulator({ orgs: 1, projects: 1, errors: 1, events: 1 });
});

afterAll(async () => {
  await server?.cleanup();
  await sim?.close();
});

async function failure(host: string, token: string): Promise<SnagError> {
  const client = createBugsnagClient({ token, host, logger: false, retry: { retries: 0 } });
  const err = await client.organizations
    .list()
    .all()
    .then(
      () => null,
      (e: unknown) => e,
    );
  expect(err).toBeInstanceOf(SnagError);
  return err as SnagError;
}

describe('a wrong service URL', () => {
  it('a snagsync server where the API should be is a wrong host (exit 20), saying why', async () => {
    const err = await failure(serverUrl, sim.tokens[0]!.token);
    expect(err.code).toBe('not_bugsnag');
    expect(err.exitCode).toBe(20);
    expect(err.message).toContain("another API's JSON error");
    expect(err.message).toContain('not the Bugsnag Data Access API');
    expect(err.hint).toMatch(/api\.bugsnag\.com/);
  });

  it("the simulator's 401 for a wrong token is still a rejected token (exit 10)", async () => {
    const err = await failure(sim.url, `${'f'.repeat(8)}-0000-4000-8000-000000000000`);
    expect(err.code).toBe('auth_invalid');
    expect(err.exitCode).toBe(10);
  });
});

describe('what marks a 401 as not from Bugsnag', () => {
  const get = async (step: { status: number; headers?: Record<string, string>; body: unknown }) => {
    const h = harness([step]);
    return h.client.organizations
      .list()
      .all()
      .then(
        () => null,
        (e: unknown) => e as SnagError,
      );
  };

  it('a challenge for another scheme, or a page, is a wrong host; a bare or enveloped 401 is a token', async () => {
    expect((await get({ status: 401, headers: { 'WWW-Authenticate': 'Basic realm="x"' }, body: '' }))?.code).toBe(
      'not_bugsnag',
    );
    expect(
      (await get({ status: 401, headers: { 'Content-Type': 'text/html' }, body: '<html>Sign in</html>' }))?.code,
    ).toBe('not_bugsnag');
    expect((await get({ status: 401, body: { errors: ['Invalid authentication token'] } }))?.code).toBe('auth_invalid');
    expect((await get({ status: 401, body: { status: 401, error: 'Unauthorized' } }))?.code).toBe('auth_invalid');
    expect((await get({ status: 401, body: '' }))?.code).toBe('auth_invalid');
  });
});
