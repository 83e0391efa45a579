import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { makeHome, startSim, type Home } from '../engine/helpers.js';
import { runCli } from '../helpers/cli.js';

/**
 * `snagsync schedule run-due` (one sweep, from cron) with a continuous source: it runs the source's full sync when
 * due, like any schedule, and says that polling between runs needs `schedule daemon` or `serve`.
 */
let sim: Simulator;
let h: Home;

beforeAll(async () => {
  sim = await startSim({ orgs: 1, projects: 1, errors: 5, events: 30, releases: 1 });
  h = await makeHome(sim);
  await h.credential('admin');
});

afterAll(async () => {
  await h.cleanup();
  await sim.close();
});

const cli = (args: string[]) => runCli(args, { env: h.env, cwd: h.home });

describe('snagsync schedule run-due with a continuous source', () => {
  it('runs its due full sync and says that polling needs schedule daemon or serve', async () => {
    const created = await cli([
      'sources',
      'create',
      '--name',
      'live',
      '--credential',
      'sim-admin',
      '--destination',
      'sqlite:live.db',
      '--streams',
      'events',
      '--schedule',
      'continuous',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const r = await cli(['schedule', 'run-due', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ source_name: 'live', status: 'succeeded' })]);
    expect(r.stderr).toContain('Source "live" has the continuous schedule');
    expect(r.stderr).toContain('snagsync schedule daemon');
    // Nothing due the second time: the notice still says it (cron runs it every minute).
    const again = await cli(['schedule', 'run-due']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('snagsync serve');
  });
});
