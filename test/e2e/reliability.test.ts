import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Simulator } from '../../src/sim/index.js';
import { makeHome, startSim, type Home } from '../engine/helpers.js';
import { diffKeys, jsonlLines, keyOf, simTruth, stored, type Truth } from '../engine/truth.js';
import { watchCli, type WatchedRun } from '../engine/watch-cli.js';
import { runCli } from '../helpers/cli.js';

/**
 * The reliability suite, with real processes: `snagsync sync` killed with SIGKILL at random points (chosen by
 * watching its progress lines) and run again, several times, into SQLite and into JSONL; a fault mix (500s, 429
 * storms, connection resets, truncated JSON); data added while a sync runs. Every time the destination ends equal
 * to what the simulator serves — every record once, none missing.
 */
const DATA = { orgs: 1, projects: 3, errors: 120, events: 2400, releases: 30 };
let sim: Simulator;
let h: Home;
let truth: Truth;

beforeAll(async () => {
  sim = await startSim(DATA);
  h = await makeHome(sim);
  await h.credential('admin');
  truth = await simTruth(sim, 'admin', { comments: true });
}, 60_000);

afterAll(async () => {
  await h.cleanup();
  await sim.close();
});

const STREAMS = ['events', 'errors', 'releases', 'comments'] as const;

async function expectEqualToSim(dest: string, t: Truth = truth): Promise<void> {
  for (const stream of STREAMS) {
    const got = await stored(dest, stream, keyOf[stream]);
    expect(diffKeys(t[stream], got.byKey), stream).toEqual({ missing: [], extra: [] });
    expect(got.rows, stream).toBe(t[stream].size);
  }
}

/** A seeded choice of kill points, printed so that a failure can be replayed. */
function killPoints(seed: number, n: number, maxPages: number): number[] {
  // mulberry32
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return Array.from({ length: n }, () => 3 + Math.floor(next() * maxPages));
}

async function killLoop(source: string, seed: number): Promise<{ killed: number; runs: WatchedRun[] }> {
  const points = killPoints(seed, 4, 50);
  process.stderr.write(`[reliability] ${source}: SIGKILL after ${points.join(', ')} page lines (seed ${seed})\n`);
  const runs: WatchedRun[] = [];
  let killed = 0;
  for (const at of points) {
    let pages = 0;
    const r = await watchCli(['sync', source], {
      env: h.env,
      cwd: h.home,
      onLine: (l) => (l.type === 'page' && ++pages === at ? 'kill' : undefined),
    });
    runs.push(r);
    if (r.signal === 'SIGKILL') killed++;
    else expect(r.code, r.stderr).toBe(0);
  }
  return { killed, runs };
}

describe('kill -9 during a sync, then run again', () => {
  it.each([
    ['SQLite', 'sqlite', 11],
    ['JSONL', 'jsonl', 23],
  ])('into %s: repeated kills, a final clean run, every record once', async (_label, kind, seed) => {
    const name = `kill-${kind}`;
    const dest = kind === 'sqlite' ? `sqlite:${join(h.home, 'kill.db')}` : `jsonl:${join(h.home, 'kill-jsonl')}`;
    const created = await runCli(
      [
        'sources',
        'create',
        '--name',
        name,
        '--credential',
        'sim-admin',
        '--destination',
        dest,
        '--streams',
        STREAMS.join(','),
      ],
      { env: h.env, cwd: h.home },
    );
    expect(created.code, created.stderr).toBe(0);
    const { killed } = await killLoop(name, seed);
    expect(killed).toBeGreaterThanOrEqual(3);
    const last = await watchCli(['sync', name, '--json'], { env: h.env, cwd: h.home });
    expect(last.code, last.stderr).toBe(0);
    await expectEqualToSim(dest);
    if (kind === 'jsonl') {
      // Events never change: a second line for any key would be a duplicate.
      expect(await jsonlLines(join(h.home, 'kill-jsonl'), 'events')).toBe(truth.events.size);
    }
    // The killed runs are in the history as failed (their process is gone), the last one succeeded.
    const runs = await runCli(['runs', 'list', '--source', name, '--json'], { env: h.env });
    const statuses = (JSON.parse(runs.stdout) as Array<{ status: string }>).map((r) => r.status);
    expect(statuses[0]).toBe('succeeded');
    expect(statuses.filter((s) => s === 'failed').length).toBe(killed);
  });
});

describe('a fault mix', () => {
  it('500s, 502s, a 429 storm, connection resets and truncated JSON: the sync succeeds and the data is whole', async () => {
    const dest = `sqlite:${join(h.home, 'faults.db')}`;
    expect(
      (
        await runCli(
          [
            'sources',
            'create',
            '--name',
            'faulty',
            '--credential',
            'sim-admin',
            '--destination',
            dest,
            '--streams',
            STREAMS.join(','),
          ],
          { env: h.env, cwd: h.home },
        )
      ).code,
    ).toBe(0);
    // The faults (a 700 ms 429 storm among them) start at the sync's first progress line, not when the CLI is
    // spawned: a slow start on a loaded machine must not let the storm pass before the first request.
    let started = false;
    const r = await watchCli(['sync', 'faulty', '--json'], {
      env: { ...h.env, SNAGSYNC_RETRY_BASE_MS: '5' },
      cwd: h.home,
      onLine: () => {
        if (started) return;
        started = true;
        sim.setFaults('429storm:700ms,500:0.06,502:0.03,reset:0.03,truncate:0.03,seed:5');
      },
    });
    const faults = sim.stats().faults;
    sim.setFaults('');
    expect(r.code, r.stderr).toBe(0);
    expect(Object.keys(faults)).toEqual(expect.arrayContaining(['500', '429storm', 'reset', 'truncate']));
    expect(r.lines.some((l) => l.type === 'retry')).toBe(true);
    expect(r.lines.some((l) => l.type === 'rate-limit-wait')).toBe(true);
    await expectEqualToSim(dest);
  });
});

describe('data added while a sync runs', () => {
  it('is not half-read by the pass in flight, and the next sync brings all of it', async () => {
    const dest = `sqlite:${join(h.home, 'live.db')}`;
    expect(
      (
        await runCli(
          [
            'sources',
            'create',
            '--name',
            'live',
            '--credential',
            'sim-admin',
            '--destination',
            dest,
            '--streams',
            STREAMS.join(','),
          ],
          { env: h.env, cwd: h.home },
        )
      ).code,
    ).toBe(0);
    const pid = truth.projects[1]!;
    let pages = 0;
    let stampedSec = 0;
    const first = await watchCli(['sync', 'live'], {
      env: h.env,
      cwd: h.home,
      onLine: (l) => {
        if (l.type === 'page' && l.stream === 'events' && ++pages === 30) {
          // Into the project being read and into one not read yet: new events, and new errors with events.
          const added = [
            ...sim.addEvents({ projectId: pid, count: 45 }),
            ...sim.addErrors({ projectId: truth.projects[2]!, count: 3, eventsPerError: 4 }).flatMap((e) => e.events),
          ];
          stampedSec = Math.max(...added.map((e) => Date.parse(e.received_at) / 1000));
        }
      },
    });
    expect(first.code, first.stderr).toBe(0);
    expect(stampedSec).toBeGreaterThan(0);
    // A pass reads up to the second it starts in: the next one must start after the stamped second.
    await new Promise((r) => setTimeout(r, Math.max(0, (stampedSec + 1) * 1000 - Date.now() + 50)));
    const second = await watchCli(['sync', 'live'], { env: h.env, cwd: h.home });
    expect(second.code, second.stderr).toBe(0);
    const now = await simTruth(sim, 'admin', { comments: true });
    expect(now.events.size).toBe(truth.events.size + 45 + 12);
    await expectEqualToSim(dest, now);
  });
});
