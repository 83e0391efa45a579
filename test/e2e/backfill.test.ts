import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Simulator } from '../../src/sim/index.js';
import { makeHome, startSim, type Home } from '../engine/helpers.js';
import { diffKeys, jsonlLines, keyOf, simTruth, stored } from '../engine/truth.js';
import { watchCli } from '../engine/watch-cli.js';
import { runCli } from '../helpers/cli.js';

/**
 * The bulk backfill from the command line: `--events-backfill` on `sources create|update`, and a `snagsync sync`
 * killed with SIGKILL in the middle of a download, then run again: the same event data request is read on from the
 * first record not committed, so the JSONL file (which appends) ends with every event exactly once.
 */
const EDR_POST = 'POST /projects/{project_id}/event_data_requests';
let sim: Simulator;
let h: Home;

beforeAll(async () => {
  sim = await startSim({ orgs: 1, projects: 1, errors: 30, events: 3000, releases: 2, edrPrepareMs: 0 });
  h = await makeHome(sim);
  await h.credential('admin');
}, 60_000);

afterAll(async () => {
  await h.cleanup();
  await sim.close();
});

const cli = (args: string[]) => runCli(args, { env: h.env, cwd: h.home });

describe('--events-backfill', () => {
  it('create and update take it; a wrong value is invalid input (exit 3) naming the option', async () => {
    const created = await cli([
      'sources',
      'create',
      '--name',
      'flags',
      '--credential',
      'sim-admin',
      '--streams',
      'events',
      '--events-backfill',
      'bulk',
      '--events-backfill-threshold',
      '500',
      '--json',
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout).config).toMatchObject({
      events_backfill: 'bulk',
      events_backfill_threshold: 500,
    });

    const updated = await cli(['sources', 'update', 'flags', '--events-backfill', 'list', '--json']);
    expect(updated.code, updated.stderr).toBe(0);
    expect(JSON.parse(updated.stdout).config.events_backfill).toBe('list');

    const bad = await cli(['sources', 'update', 'flags', '--events-backfill', 'sometimes']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('--events-backfill');

    const help = await cli(['sources', 'create', '--help']);
    expect(help.stdout).toMatch(/--events-backfill <auto\|bulk\|list>/);
  });
});

describe('sources preview --stream events', () => {
  it('estimates the first sync by each path at the credential limit (30 a minute when none was seen)', async () => {
    const made = await cli([
      'sources',
      'create',
      '--name',
      'estimate',
      '--credential',
      'sim-admin',
      '--streams',
      'events',
    ]);
    expect(made.code, made.stderr).toBe(0);
    const json = await cli(['sources', 'preview', 'estimate', '--stream', 'events', '--limit', '1', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const f = JSON.parse(json.stdout).first_sync as {
      events: number;
      limit: number;
      limit_observed: boolean;
      list: { requests: number; ms: number };
      bulk: { requests: number; ms: number; exports: number };
      chosen: { bulk: number; list: number };
    };
    const truth = await simTruth(sim);
    expect(f.events).toBe(truth.events.size);
    expect(f).toMatchObject({ limit: 30, limit_observed: false, chosen: { bulk: 0, list: 1 } });
    // Two planning requests, then 30 events a request; one export of a POST and its polls.
    expect(f.list.requests).toBe(2 + Math.ceil(truth.events.size / 30));
    expect(f.list.ms).toBe(Math.ceil(f.list.requests / 30) * 60_000);
    expect(f.bulk).toMatchObject({ requests: 10, ms: 60_000, exports: 1 });
    const text = await cli(['sources', 'preview', 'estimate', '--stream', 'events', '--limit', '1']);
    expect(text.stderr).toMatch(/First sync of events: about [\d,]+ events in 1 project/);
    expect(text.stderr).toMatch(/list: [\d,]+ requests, at least/);
  });
});

describe('kill -9 in the middle of a bulk download', () => {
  it('the next sync reads the same request on from where the commits stopped: every event once', async () => {
    const dir = join(h.home, 'kill-jsonl');
    const made = await cli([
      'sources',
      'create',
      '--name',
      'bulk-kill',
      '--credential',
      'sim-admin',
      '--streams',
      'events',
      '--full-reports',
      '--events-backfill',
      'bulk',
      '--destination',
      `jsonl:${dir}`,
    ]);
    expect(made.code, made.stderr).toBe(0);
    sim.resetStats();
    let committed = 0;
    const killed = await watchCli(['sync', 'bulk-kill'], {
      env: h.env,
      cwd: h.home,
      onLine: (l) => {
        if (l.type !== 'page' || l.stream !== 'events') return;
        committed = l.recordsRead as number;
        return committed >= 1000 ? 'kill' : undefined;
      },
    });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const phases = killed.lines.filter((l) => l.type === 'backfill').map((l) => l.phase);
    expect(phases).toContain('requested');
    expect(phases).toContain('downloading');
    const truth = await simTruth(sim);
    expect(committed).toBeLessThan(truth.events.size);

    const again = await watchCli(['sync', 'bulk-kill', '--json'], { env: h.env, cwd: h.home });
    expect(again.code, again.stderr).toBe(0);
    const summary = JSON.parse(again.stdout) as { streams: Array<{ stream: string; records_written: number }> };
    const written = summary.streams.find((s) => s.stream === 'events')!.records_written;
    // Only what the killed run had not committed (a page may have been committed after its line was read).
    expect(written).toBeLessThanOrEqual(truth.events.size - committed);
    expect(written).toBeGreaterThan(0);
    // One event data request for both runs: the second asked the same one for a fresh link.
    expect(sim.stats().byToken.admin?.endpoints[EDR_POST]).toBe(1);
    const got = await stored(`jsonl:${dir}`, 'events', keyOf.events);
    expect(diffKeys(truth.events, got.byKey)).toEqual({ missing: [], extra: [] });
    expect(await jsonlLines(dir, 'events')).toBe(truth.events.size);
  }, 120_000);
});
