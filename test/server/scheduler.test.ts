import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runPid } from '../../src/engine/index.js';
import type { TrackedRun } from '../../src/server/runs/registry.js';
import type { Simulator } from '../../src/sim/index.js';
import { BIN } from '../helpers/cli.js';
import { tempDir } from '../store/helpers.js';
import { login } from './helpers.js';
import { sourcesServer, startSim, type SourcesServer } from './sources-helpers.js';

/**
 * The scheduler embedded in `snagsync serve`: due sources run, each in a child process of the server like the runs
 * started from the UI (shown live like the others),
 * paused ones do not, the next run moves one interval on; `--no-scheduler` turns it off.
 */

let sim: Simulator;
beforeAll(async () => {
  sim = await startSim();
});
afterAll(async () => {
  await sim.close();
});

describe('the embedded scheduler', () => {
  let s: SourcesServer;
  afterEach(async () => {
    await s?.cleanup();
  });

  it('runs a due active source (trigger "schedule"), not a paused one, and sets its next run an interval later', async () => {
    s = await sourcesServer({ scheduler: { tickMs: 50 } });
    await s.app.ready();
    expect(s.app.snag.scheduler.enabled).toBe(true);
    const credentialId = await s.credential(sim);
    const started = new Promise<TrackedRun>((resolve) => s.app.snag.runs.onStart(resolve));
    const paused = await s.source({
      name: 'paused',
      data_credentials_id: credentialId,
      source_config: { streams: ['errors'] },
      poll_schedule: 'hourly',
      status: 'PAUSED',
    });
    const due = await s.source({
      name: 'due',
      data_credentials_id: credentialId,
      source_config: { streams: ['errors'] },
      poll_schedule: 'hourly',
    });
    const run = await started;
    expect(run.trigger).toBe('schedule');
    expect(run.handle.sourceId).toBe(due.id);
    // Shown live, like a run started from the UI.
    expect((await s.api('GET', `/api/runs/${run.handle.runId}`)).json()).toMatchObject({ trigger: 'schedule' });
    const summary = await run.handle.done;
    expect(summary.status).toBe('succeeded');
    // Executed off the server's event loop, by the same executor as Run now: the run's row names the child.
    expect(runPid(run.handle)).not.toBe(process.pid);
    expect((await s.runtime.store.runs.findById(run.handle.runId)).pid).toBe(runPid(run.handle));
    const after = (await s.api('GET', `/api/data_sources/${due.id}`)).json();
    expect(after.last_run).toMatchObject({ id: run.handle.runId, trigger: 'schedule', status: 'succeeded' });
    const next = Date.parse(after.next_run_at) - Date.parse(summary.finished_at);
    expect(next).toBeGreaterThanOrEqual(3_600_000 - 1000);
    expect(next).toBeLessThanOrEqual(3_600_000 + 1000);
    // The sweep that ran "due" saw "paused" too, and left it alone.
    expect((await s.api('GET', `/api/data_sources/${paused.id}/runs`)).json()).toEqual([]);
    const b = await login(s.app);
    const page = await s.app.inject({ method: 'GET', url: '/sources', headers: { cookie: b.cookie } });
    expect(page.body).toMatch(/hourly<span class="next-run">next <time datetime="[^"]+">in 60 minutes<\/time>/);
  });

  it('is off unless asked for (an app built for tests or embedded never syncs on its own)', async () => {
    s = await sourcesServer();
    await s.app.ready();
    expect(s.app.snag.scheduler.enabled).toBe(false);
  });
});

describe('snagsync serve --no-scheduler', () => {
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode === null) {
        c.kill('SIGKILL');
        await new Promise((r) => c.once('exit', r));
      }
    }
  });

  async function firstLine(args: string[]): Promise<Record<string, unknown>> {
    const home = tempDir('snagsync-serve-sched-');
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--json', ...args], {
      env: { ...process.env, SNAGSYNC_HOME: home.dir, SNAGSYNC_SERVER_KEY: 'scheduler-test-key-0123456789' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    child.once('exit', () => home.cleanup());
    return new Promise((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const nl = out.indexOf('\n');
        if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as Record<string, unknown>);
      });
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
  }

  it('says whether the scheduler runs', async () => {
    expect((await firstLine([])).scheduler).toBe(true);
    expect((await firstLine(['--no-scheduler'])).scheduler).toBe(false);
  });
});
