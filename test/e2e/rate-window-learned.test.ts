import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { type LongCli, startCli } from '../helpers/long-cli.js';
import { tempDir } from '../store/helpers.js';

/**
 * `snagsync sim --fast` counts its 30 requests per second, and a sync told nothing about it (no
 * SNAGSYNC_RATE_WINDOW_MS) learns that from the simulator's answers: its waits last about a second, not the 61 s
 * of an assumed minute. The waits are read from the run's record, not timed. The compiled CLI (`npm run build` first).
 */

let sim: LongCli;
let url: string;
let token: string;
const home = tempDir('snagsync-rate-window-');
const env = { SNAGSYNC_HOME: home.dir, SNAGSYNC_RATE_WINDOW_MS: '', SNAGSYNC_PROGRESS: 'none' };

beforeAll(async () => {
  sim = startCli(
    ['sim', '--fast', '--json', '--orgs', '1', '--projects', '2', '--events', '900', '--errors', '40'],
    {},
  );
  const line = await sim.waitFor(/^\{.*\}\n/);
  const info = JSON.parse(line[0]) as { url: string; tokens: Array<{ token: string; role: string }> };
  url = info.url;
  token = info.tokens.find((t) => t.role === 'admin')!.token;
});

afterAll(async () => {
  sim.child.kill('SIGTERM');
  await sim.exited;
  home.cleanup();
});

describe('the rate-limit window learned from the answers', () => {
  it('a sync against `sim --fast` waits about 1 s per window, not 61 s', async () => {
    const add = await runCli(['credentials', 'add', '--name', 'sim', '--host', url, '--token-stdin'], {
      env,
      stdin: `${token}\n`,
    });
    expect(add.code, add.stderr).toBe(0);
    const create = await runCli(['sources', 'create', '--name', 'fast', '--credential', 'sim', '--streams', 'events'], {
      env,
    });
    expect(create.code, create.stderr).toBe(0);
    const sync = await runCli(['sync', 'fast', '--json'], { env, timeoutMs: 100_000 });
    expect(sync.code, sync.stderr).toBe(0);
    const run = JSON.parse(sync.stdout) as {
      status: string;
      totals: { requests: number; records_written: number; rate_limit_waits: number; rate_limit_wait_ms: number };
    };
    expect(run.status).toBe('succeeded');
    expect(run.totals.records_written).toBe(2 * 900);
    // 60 pages of 30 events and discovery: past 30 requests, so the run had to wait for the window.
    expect(run.totals.requests).toBeGreaterThan(60);
    expect(run.totals.rate_limit_waits).toBeGreaterThanOrEqual(1);
    // Each wait is about the simulator's second (Retry-After, then the learned window), nowhere near a minute.
    expect(run.totals.rate_limit_wait_ms / run.totals.rate_limit_waits).toBeLessThan(2_500);
  }, 120_000);
});
