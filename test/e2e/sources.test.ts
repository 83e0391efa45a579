import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Simulator } from '../../src/sim/index.js';
import { STREAM_NAMES } from '../../src/streams/catalog.js';
import { runCli } from '../helpers/cli.js';
import { makeHome, startSim, type Home } from '../engine/helpers.js';

/** `snagsync sources …` and `snagsync streams` as a user runs them: the compiled CLI in a child process. */
let sim: Simulator;
let h: Home;

beforeAll(async () => {
  sim = await startSim({ orgs: 2, projects: 2, errors: 10, events: 50, releases: 3 });
  h = await makeHome(sim);
  await h.credential('multi-org');
});

afterAll(async () => {
  await h.cleanup();
  await sim.close();
});

const cli = (args: string[]) => runCli(args, { env: h.env, cwd: h.home });

describe('snagsync streams', () => {
  it('lists the catalog; --json gives keys, cursors, sync modes and JSON Schemas', async () => {
    const text = await cli(['streams']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/events\s+project\s+project_id, id\s+received_at\s+full_refresh, incremental\s+yes/);
    expect(text.stdout).toMatch(/pivots .* no \(heavy\)/);
    const json = await cli(['streams', '--json']);
    const catalog = JSON.parse(json.stdout) as Array<{
      name: string;
      primary_key: string[];
      cursor: { field: string } | null;
      json_schema: { type: string };
    }>;
    expect(catalog.map((c) => c.name)).toEqual(STREAM_NAMES);
    const errors = catalog.find((c) => c.name === 'errors')!;
    expect(errors.primary_key).toEqual(['project_id', 'id']);
    expect(errors.cursor?.field).toBe('last_seen');
    expect(errors.json_schema.type).toBe('object');
  });
});

describe('snagsync sources', () => {
  it('create, list, show, update, preview, remove', async () => {
    const created = await cli([
      'sources',
      'create',
      '--name',
      'web',
      '--credential',
      'sim-multi-org',
      '--streams',
      'errors,comments,events',
      '--start-date',
      '2025-12-01',
      '--filter',
      'app.release_stage=production',
      '--filter',
      'error.status!=ignored',
      '--destination',
      'sqlite:./web.db',
      '--schedule',
      'every 1h',
      '--releases-full-pass',
      '6h',
      '--json',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const source = JSON.parse(created.stdout) as {
      id: string;
      destination: string;
      config: Record<string, unknown>;
      schedule: string;
    };
    expect(source.destination).toBe(`sqlite:${join(h.home, 'web.db')}`);
    expect(source.config).toMatchObject({
      streams: ['errors', 'comments', 'events'],
      start_date: '2025-12-01',
      filters: { 'app.release_stage': ['production'], 'error.status': [{ type: 'ne', value: 'ignored' }] },
    });
    expect(source.schedule).toBe('every 1h');

    const list = await cli(['sources', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/web\s+active\s+sim-multi-org\s+3/);

    const show = await cli(['sources', 'show', 'web', '--json']);
    expect(JSON.parse(show.stdout)).toMatchObject({
      name: 'web',
      effective: {
        full_reports: false,
        lookback: '15m',
        errors_full_pass_interval: '1d',
        releases_full_pass_interval: '6h',
      },
      checkpoints: [],
    });
    expect(existsSync(join(h.home, 'web.db'))).toBe(false);

    const updated = await cli([
      'sources',
      'update',
      'web',
      '--full-reports',
      '--schedule',
      'none',
      '--status',
      'paused',
      '--json',
    ]);
    expect(updated.code, updated.stderr).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({
      status: 'paused',
      schedule: null,
      config: { full_reports: true },
    });

    const preview = await cli(['sources', 'preview', 'web', '--stream', 'events', '--limit', '2', '--json']);
    expect(preview.code, preview.stderr).toBe(0);
    const p = JSON.parse(preview.stdout) as { records: Array<{ is_full_report: boolean }> };
    expect(p.records).toHaveLength(2);
    expect(p.records[0]!.is_full_report).toBe(true);
    expect(existsSync(join(h.home, 'web.db'))).toBe(false);

    const removed = await cli(['sources', 'remove', 'web']);
    expect(removed.code).toBe(0);
    expect((await cli(['sources', 'show', 'web'])).code).toBe(4);
  });

  it.each([
    [['--streams', 'events,crashes'], /--streams: "crashes" is not a stream/],
    [['--filter', 'release_stage'], /--filter: "release_stage" is not a filter/],
    [['--start-date', 'yesterday-ish'], /--start-date: "yesterday-ish" is not a time/],
    [['--org', 'nope'], /--org: The credential does not reach an organization "nope"/],
    [['--schedule', 'now and then'], /--schedule: "now and then" is not a schedule/],
  ])('refuses bad input %j with a config error (exit 3) naming the option', async (extra, message) => {
    const r = await cli(['sources', 'create', '--name', 'bad', '--credential', 'sim-multi-org', ...extra, '--json']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(message);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: 'config', exit_code: 3 });
  });

  it('an unknown credential is exit 4', async () => {
    const r = await cli(['sources', 'create', '--name', 'x', '--credential', 'who']);
    expect(r.code).toBe(4);
  });
});
