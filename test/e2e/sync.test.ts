import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Simulator } from '../../src/sim/index.js';
import { runCli } from '../helpers/cli.js';
import { makeHome, startSim, type Home } from '../engine/helpers.js';
import { diffKeys, keyOf, simTruth, stored } from '../engine/truth.js';
import { watchCli } from '../engine/watch-cli.js';

/** `snagsync sync`, `runs list|show` as a user runs them, including a token revoked mid-sync and replaced. */
let sim: Simulator;
let h: Home;

beforeAll(async () => {
  sim = await startSim({ orgs: 1, projects: 2, errors: 40, events: 1500, releases: 8 });
  h = await makeHome(sim);
  await h.credential('admin');
});

afterAll(async () => {
  await h.cleanup();
  await sim.close();
});

const cli = (args: string[], stdin?: string) =>
  runCli(args, { env: h.env, cwd: h.home, ...(stdin !== undefined ? { stdin } : {}) });

describe('snagsync sync', () => {
  it('syncs with JSON progress lines on stderr and the summary on stdout; runs list/show tell what it did', async () => {
    expect(
      (await cli(['sources', 'create', '--name', 'app', '--credential', 'sim-admin', '--destination', 'sqlite:app.db']))
        .code,
    ).toBe(0);
    const run = await watchCli(['sync', 'app', '--json'], { env: h.env, cwd: h.home });
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as {
      run_id: string;
      status: string;
      totals: { records_written: number; rate_limited: number };
    };
    expect(summary.status).toBe('succeeded');
    expect(summary.totals.records_written).toBeGreaterThan(3000);
    const types = new Set(run.lines.map((l) => l.type));
    for (const t of ['run-start', 'plan', 'stream-start', 'page', 'stream-done', 'run-done'])
      expect(types).toContain(t);
    const page = run.lines.find((l) => l.type === 'page' && l.stream === 'events')!;
    expect(page).toMatchObject({
      records: expect.any(Number),
      recordsRead: expect.any(Number),
      pages: 1,
      estimate: 1500,
    });

    const list = await cli(['runs', 'list', '--source', 'app']);
    expect(list.stdout).toMatch(new RegExp(`${summary.run_id}\\s+app\\s+succeeded\\s+cli`));
    const show = await cli(['runs', 'show', summary.run_id, '--json']);
    const detail = JSON.parse(show.stdout) as {
      streams: Array<{
        stream: string;
        partition: string;
        partition_label: string | null;
        records_read: number;
        requests: number;
        outcome: string;
        duration_ms: number;
      }>;
    };
    const events = detail.streams.filter((s) => s.stream === 'events');
    expect(events).toHaveLength(2);
    const org = sim.info().organizations[0]!;
    const labels = new Map(org.projects.map((p): [string, string] => [`project:${p.id}`, `${p.name} (${org.name})`]));
    for (const e of events) {
      expect(e).toMatchObject({ records_read: 1500, outcome: 'ok', partition: expect.stringMatching(/^project:/) });
      expect(e.partition_label).toBe(labels.get(e.partition));
    }
    // The text names each project "Name (Organization)" instead of its id.
    const text = await cli(['runs', 'show', summary.run_id]);
    for (const label of labels.values())
      expect(text.stdout).toMatch(
        new RegExp(`events\\s+${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+1500\\s+1500\\s+50\\s+50`),
      );
    expect(text.stdout).not.toMatch(/events\s+project:/);

    const again = await cli(['sync', 'app']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/succeeded/);
    expect(again.stdout).toMatch(/events\s+2\s+0\s+0\s+2\s+2/);
  });

  it('an unknown source is exit 4; --stream with an unknown stream is exit 3', async () => {
    expect((await cli(['sync', 'nope'])).code).toBe(4);
    const r = await cli(['sync', 'app', '--stream', 'crashes', '--json']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: 'config' });
  });

  it('a token revoked mid-sync: exit 22 with what to do, data kept; after `credentials update --token-stdin` the sync resumes and completes', async () => {
    expect(
      (
        await cli([
          'sources',
          'create',
          '--name',
          'rev',
          '--credential',
          'sim-admin',
          '--destination',
          'sqlite:rev.db',
          '--streams',
          'events',
        ])
      ).code,
    ).toBe(0);
    const token = sim.tokens.find((t) => t.role === 'admin')!.token;
    let pages = 0;
    const run = await watchCli(['sync', 'rev'], {
      env: h.env,
      cwd: h.home,
      onLine: (l) => {
        if (l.type === 'page' && ++pages === 12) sim.revokeToken(token);
      },
    });
    expect(run.code).toBe(22);
    expect(run.stderr).toMatch(/now refuses the token of credential "sim-admin"/);
    expect(run.stderr).toMatch(/snagsync credentials update sim-admin --token-stdin/);
    expect(run.stdout + run.stderr).not.toContain(token);
    const dest = `sqlite:${join(h.home, 'rev.db')}`;
    const kept = (await stored(dest, 'events', keyOf.events)).rows;
    expect(kept).toBeGreaterThan(300);
    // The credential is no longer listed as valid: FAILED, with the run's reason.
    const failedView = JSON.parse((await cli(['credentials', 'show', 'sim-admin', '--json'])).stdout) as {
      verified_status: string;
      verify_error: { error: string; message: string } | null;
    };
    expect(failedView.verified_status).toBe('FAILED');
    expect(failedView.verify_error).toMatchObject({
      error: 'auth_revoked',
      message: expect.stringMatching(/now refuses the token of credential "sim-admin"/),
    });
    expect((await cli(['credentials', 'list'])).stdout).toMatch(/sim-admin.*FAILED/);

    sim.restoreToken(token);
    const update = await cli(['credentials', 'update', 'sim-admin', '--token-stdin'], `${token}\n`);
    expect(update.code, update.stderr).toBe(0);
    expect(JSON.parse((await cli(['credentials', 'show', 'sim-admin', '--json'])).stdout)).toMatchObject({
      verified_status: 'VERIFIED',
      verify_error: null,
    });
    const rerun = await cli(['sync', 'rev', '--json']);
    expect(rerun.code, rerun.stderr).toBe(0);
    const s = JSON.parse(rerun.stdout) as { streams: Array<{ records_read: number }> };
    expect(s.streams[0]!.records_read).toBeLessThanOrEqual(3000 - kept + 60);
    const truth = await simTruth(sim);
    expect(diffKeys(truth.events, (await stored(dest, 'events', keyOf.events)).byKey)).toEqual({
      missing: [],
      extra: [],
    });
  });

  it('Ctrl-C stops cleanly: exit 130, the run is recorded cancelled, the next sync completes the data', async () => {
    expect(
      (
        await cli([
          'sources',
          'create',
          '--name',
          'int',
          '--credential',
          'sim-admin',
          '--destination',
          'sqlite:int.db',
          '--streams',
          'events',
        ])
      ).code,
    ).toBe(0);
    let pages = 0;
    let child: { kill(signal: NodeJS.Signals): void } | undefined;
    const run = await watchCli(['sync', 'int'], {
      env: h.env,
      cwd: h.home,
      onSpawn: (c) => (child = c),
      onLine: (l) => {
        if (l.type === 'page' && ++pages === 10) child!.kill('SIGINT');
      },
    });
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/Stopping after the current page/);
    const done = run.lines.find((l) => l.type === 'run-done')!;
    expect(done.status).toBe('cancelled');
    const runs = JSON.parse((await cli(['runs', 'list', '--source', 'int', '--json'])).stdout) as Array<{
      status: string;
    }>;
    expect(runs[0]!.status).toBe('cancelled');
    const again = await cli(['sync', 'int']);
    expect(again.code).toBe(0);
    const truth = await simTruth(sim);
    expect(
      diffKeys(truth.events, (await stored(`sqlite:${join(h.home, 'int.db')}`, 'events', keyOf.events)).byKey),
    ).toEqual({ missing: [], extra: [] });
  });
});

describe('snagsync schedule run-due', () => {
  it('runs the due sources once and reports them', async () => {
    expect(
      (
        await cli([
          'sources',
          'create',
          '--name',
          'hourly',
          '--credential',
          'sim-admin',
          '--destination',
          'sqlite:hourly.db',
          '--streams',
          'organizations',
          '--schedule',
          'hourly',
        ])
      ).code,
    ).toBe(0);
    const r = await cli(['schedule', 'run-due', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const results = JSON.parse(r.stdout) as Array<{ source_name: string; status: string }>;
    expect(results).toEqual([expect.objectContaining({ source_name: 'hourly', status: 'succeeded' })]);
    expect(JSON.parse((await cli(['schedule', 'run-due', '--json'])).stdout)).toEqual([]);
  });
});
