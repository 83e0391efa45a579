import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CredentialView } from '../../src/credentials/index.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../store/helpers.js';

/**
 * Bugsnag sends no window length with its rate limit, so `credentials add` names the window its limiter counts in
 * (SNAGSYNC_RATE_WINDOW_MS, a minute by default) instead of "the minute": against a simulator with a 2 s window,
 * "29 of 30 requests left in the current 2 s window". The compiled CLI (`npm run build` first).
 */

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ rateLimit: 30, rateWindowMs: 2000, orgs: 1, projects: 1, errors: 1, events: 2 });
});
afterAll(async () => {
  await sim.close();
});

async function add(env: NodeJS.ProcessEnv): Promise<{ out: string; view: CredentialView }> {
  const home = tempDir('snagsync-cli-window-');
  try {
    const token = sim.tokens.find((t) => t.role === 'admin')!.token;
    const opts = { env: { SNAGSYNC_HOME: home.dir, ...env }, stdin: `${token}\n` };
    const r = await runCli(['credentials', 'add', '--name', 'w', '--host', sim.url, '--token-stdin'], opts);
    expect(r.code, r.stderr).toBe(0);
    const list = await runCli(['credentials', 'list', '--json'], { env: opts.env });
    return { out: r.stdout, view: (JSON.parse(list.stdout) as CredentialView[])[0]! };
  } finally {
    home.cleanup();
  }
}

describe('credentials add names the rate-limit window it counted in', () => {
  it('a 2 s window (SNAGSYNC_RATE_WINDOW_MS=2000) is named as such, and stored with the limit', async () => {
    const { out, view } = await add({ SNAGSYNC_RATE_WINDOW_MS: '2000' });
    expect(out).toMatch(/\d+ of 30 requests left in the current 2 s window/);
    expect(out).not.toContain('in the minute');
    expect(view.rate_limit).toMatchObject({ limit: 30, window_ms: 2000 });
  });

  it('the default window is a minute, and says so', async () => {
    const { out, view } = await add({ SNAGSYNC_RATE_WINDOW_MS: '' });
    expect(out).toMatch(/\d+ of 30 requests left in the current 1 min window/);
    expect(view.rate_limit).toMatchObject({ window_ms: 60_000 });
  });
});
