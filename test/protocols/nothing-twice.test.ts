import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { read } from '../../src/protocols/airbyte/connector.js';
import type { AirbyteMessage } from '../../src/protocols/airbyte/messages.js';
import { parseConnectorConfig } from '../../src/protocols/config.js';
import { parseSingerState } from '../../src/protocols/singer/catalog.js';
import { runTap } from '../../src/protocols/singer/tap.js';
import type { Simulator } from '../../src/sim/index.js';
import { startSim } from '../engine/helpers.js';
import { adminToken, workdir, type Workdir } from './helpers.js';

/**
 * An incremental read with nothing new in Bugsnag sends nothing; what the protocols say along the way adds up (the
 * ESTIMATE of a stream read as several lists) or is said at all (a state they cannot use); a killed run's temporary
 * home does not stay behind. The connector is run in-process against the simulator over loopback.
 */
let sim: Simulator;
let w: Workdir;

beforeAll(async () => {
  sim = await startSim({ orgs: 1, projects: 2, errors: 6, events: 60, releases: 25 });
  w = workdir();
}, 60_000);

afterAll(async () => {
  w?.cleanup();
  await sim?.close();
});

type Catalog = Array<[string, 'full_refresh' | 'incremental']>;

async function airbyteRead(streams: Catalog, state: unknown, extra: Record<string, unknown> = {}, tmp = w.dir) {
  const messages: AirbyteMessage[] = [];
  const code = await read(
    { emit: (m) => messages.push(m), env: { SNAGSYNC_RETRY_BASE_MS: '20', TMPDIR: tmp } },
    // Releases are looked at every 15 minutes by default (stream_intervals): these reads follow each other at once.
    { token: adminToken(sim), host: sim.url, stream_intervals: ['releases=0'], ...extra },
    { streams: streams.map(([name, sync_mode]) => ({ stream: { name }, sync_mode })) },
    state,
  );
  const records = messages
    .filter((m) => m.type === 'RECORD')
    .map((m) => m.record as { stream: string; data: Record<string, unknown> });
  const states = messages.filter((m) => m.type === 'STATE').map((m) => m.state as Record<string, unknown>);
  return { code, messages, records, states };
}

function lastStates(states: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  const byStream = new Map<string, Record<string, unknown>>();
  for (const s of states) byStream.set((s.stream as { stream_descriptor: { name: string } }).stream_descriptor.name, s);
  return [...byStream.values()];
}

describe('releases, read incrementally', () => {
  it('a second read with nothing new sends no release; a release newer than the state is sent, alone', async () => {
    const first = await airbyteRead([['releases', 'incremental']], null);
    expect(first.code).toBe(0);
    expect(first.records.length).toBe(2 * 25);

    const state = lastStates(first.states);
    const second = await airbyteRead([['releases', 'incremental']], state);
    expect(second.code).toBe(0);
    // Before: the whole first page (10 releases a project) again, on every read.
    expect(second.records).toEqual([]);
    expect(second.states.length).toBeGreaterThan(0);

    // The state as if the two newest releases of each project had come after it (the last pass still as late as it
    // was): those two are sent; the third, the cursor itself, is not (it is not within the look-back of that pass).
    const byProject = new Map<string, string[]>();
    for (const r of first.records) {
      const p = String(r.data.project_id);
      byProject.set(p, [...(byProject.get(p) ?? []), String(r.data.release_time)]);
    }
    const moved = structuredClone(state) as Array<{
      stream: { stream_state: { partitions: Record<string, { cursor: string; lastPassAt?: string }> } };
    }>;
    const expected: string[] = [];
    for (const [key, p] of Object.entries(moved[0]!.stream.stream_state.partitions)) {
      const times = byProject.get(key.replace('project:', ''))!.sort((a, b) => Date.parse(b) - Date.parse(a));
      p.cursor = new Date(Date.parse(times[2]!)).toISOString();
      expected.push(...times.slice(0, 2).map((t) => `${key.replace('project:', '')} ${t}`));
    }
    const third = await airbyteRead([['releases', 'incremental']], moved);
    expect(third.records.map((r) => `${r.data.project_id} ${r.data.release_time}`).sort()).toEqual(expected.sort());
  }, 120_000);
});

describe('releases, tapped incrementally (Singer)', () => {
  it('a second run given the last STATE sends no release', async () => {
    const config = parseConnectorConfig({ token: adminToken(sim), host: sim.url, stream_intervals: ['releases=0'] });
    const selection = { streams: [{ name: 'releases', mode: 'incremental' as const }], excluded: new Map() };
    const tap = async (state: unknown) => {
      const out: Array<Record<string, unknown>> = [];
      const io = { emit: (m: Record<string, unknown>) => out.push(m), log: () => {}, env: { TMPDIR: w.dir } };
      expect(await runTap(io, config, selection, parseSingerState(state))).toBe(0);
      return out;
    };
    const first = await tap(null);
    expect(first.filter((m) => m.type === 'RECORD').length).toBe(2 * 25);
    const state = first.filter((m) => m.type === 'STATE').at(-1)!.value;
    const second = await tap(state);
    expect(second.filter((m) => m.type === 'RECORD')).toEqual([]);
  }, 120_000);
});

describe('ESTIMATE', () => {
  it('of a stream read as one list per event field (pivot_values) adds the lists up: it never falls back', async () => {
    const r = await airbyteRead([['pivot_values', 'full_refresh']], null, { projects: [firstProject()] });
    expect(r.code).toBe(0);
    const estimates = r.messages
      .filter((m) => m.type === 'TRACE' && (m.trace as { type: string }).type === 'ESTIMATE')
      .map((m) => (m.trace as { estimate: { row_estimate: number } }).estimate.row_estimate);
    expect(estimates.length).toBeGreaterThan(1);
    for (let i = 1; i < estimates.length; i++)
      expect(estimates[i]!, `estimate ${i}`).toBeGreaterThanOrEqual(estimates[i - 1]!);
    expect(estimates.at(-1)).toBe(r.records.length);
  }, 120_000);
});

describe('a legacy (object) state', () => {
  it('that holds no stream state of this connector is said to be ignored (a LOG), and the stream is read from the start', async () => {
    const r = await airbyteRead([['releases', 'incremental']], { releases: { cursor: '2026-01-10T00:00:00Z' } });
    expect(r.code).toBe(0);
    const logs = r.messages.filter((m) => m.type === 'LOG').map((m) => m.log as { level: string; message: string });
    const said = logs.find((l) => /legacy/.test(l.message));
    expect(said?.level).toBe('WARN');
    expect(said?.message).toContain('"releases"');
    expect(r.records.length).toBe(2 * 25);
  }, 120_000);
});

describe('temporary homes', () => {
  it('of a run whose process is gone are removed at the next start; one whose process runs is kept', async () => {
    const tmp = join(w.dir, 'tmp');
    mkdirSync(tmp);
    // A process that has exited: its pid names no process now.
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const abandoned = join(tmp, `snagsync-protocol-${dead}-abc123`);
    const running = join(tmp, `snagsync-protocol-${process.ppid}-def456`);
    const unrelated = join(tmp, 'snagsync-protocol-xyz');
    for (const d of [abandoned, running, unrelated]) mkdirSync(join(d, 'keys'), { recursive: true });

    const r = await airbyteRead([['organizations', 'full_refresh']], null, {}, tmp);
    expect(r.code).toBe(0);
    expect(existsSync(abandoned)).toBe(false);
    expect(existsSync(running)).toBe(true);
    expect(existsSync(unrelated)).toBe(true);
    // The run's own home was there, marked with its pid, and is gone after it.
    expect(readdirSync(tmp).sort()).toEqual([running, unrelated].map((p) => p.slice(tmp.length + 1)).sort());
    const log = r.messages.find((m) => m.type === 'LOG' && JSON.stringify(m).includes('temporary home'));
    expect(JSON.stringify(log)).toContain(abandoned);
  }, 120_000);
});

function firstProject(): string {
  return sim.info().organizations[0]!.projects[0]!.id;
}
