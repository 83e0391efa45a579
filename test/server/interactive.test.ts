import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBugsnagClient } from '../../src/bugsnag/index.js';
import { sharedRateLimiter } from '../../src/http/rate-limiter.js';
import type { Simulator } from '../../src/sim/index.js';
import { login, postForm } from './helpers.js';
import { sourcesServer, startSim, type SourcesServer } from './sources-helpers.js';

/**
 * The interactive requests (a credential's sample, the wizard's project list, the preview) spend from the token's
 * shared rate limiter, like a sync: once that budget is used up (by a sync, here by a client of the same process),
 * a click is answered at once with a rate-limit error, without sending anything Bugsnag would refuse with a 429 and
 * without waiting out the window.
 */

const LIMIT = 12;
const WINDOW_MS = 60_000;
let sim: Simulator;
let s: SourcesServer;
let credentialId: string;
let sourceId: string;
let token: string;

beforeAll(async () => {
  sim = await startSim({ rateLimit: LIMIT, rateWindowMs: WINDOW_MS });
  s = await sourcesServer({ env: { SNAGSYNC_RATE_WINDOW_MS: String(WINDOW_MS) } });
  credentialId = await s.credential(sim);
  sourceId = (
    await s.source({ name: 'busy', data_credentials_id: credentialId, source_config: { streams: ['errors'] } })
  ).id;
  token = sim.tokens.find((t) => t.role === 'admin')!.token;
  // What a running sync does to the token's budget: the shared limiter learns from Bugsnag's headers that none is left.
  const client = createBugsnagClient({ token, host: sim.url, rateWindowMs: WINDOW_MS, logger: false });
  const limiter = sharedRateLimiter(token, client.origin);
  while ((limiter.state().remaining ?? 1) > 0) await client.organizations.list().all(1);
});
afterAll(async () => {
  await s?.cleanup();
  await sim?.close();
});

describe('interactive requests share the token budget with syncs', () => {
  it('a preview, a sample and the project list are refused at once, and Bugsnag sees no request past the budget', async () => {
    const before = sim.stats();
    expect(before.rateLimited).toBe(0);
    const started = Date.now();

    const preview = await s.api('POST', `/api/data_sources/${sourceId}/preview`, { stream: 'errors' });
    expect(preview.statusCode, preview.body).toBe(429);
    expect(preview.json().error).toBe('rate_limited');
    expect(Number(preview.headers['retry-after'])).toBeGreaterThan(0);

    const draft = await s.api('POST', '/api/data_sources/preview', {
      data_credentials_id: credentialId,
      stream: 'errors',
    });
    expect(draft.statusCode, draft.body).toBe(429);

    const sample = await s.api('POST', `/api/data_credentials/${credentialId}/probe/sample`);
    expect(sample.statusCode, sample.body).toBe(429);

    const browser = await login(s.app);
    const projects = await postForm(
      s.app,
      browser,
      '/sources',
      { intent: 'load', credential_id: credentialId },
      'fetch',
    );
    expect(projects.statusCode).toBe(200);
    expect(projects.body).toContain('rate limit');

    // Refused, not waited out (the window is a minute).
    expect(Date.now() - started).toBeLessThan(WINDOW_MS / 4);
    const after = sim.stats();
    expect(after.rateLimited).toBe(0);
    expect(after.requests).toBe(before.requests);
  });
});
