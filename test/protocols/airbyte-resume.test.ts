import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Simulator } from '../../src/sim/index.js';
import { startSim } from '../engine/helpers.js';
import { BIN } from '../helpers/cli.js';
import { adminToken, CLI_ENV, configuredCatalog, invalidMessages, workdir, type Workdir } from './helpers.js';

/**
 * kill -9 in the middle of an Airbyte `read`, then a `read` given the last STATE it emitted: the rows loaded end the
 * same as after one uninterrupted read, each once. The sink below loads messages the way the Airbyte platform does:
 * a stream's records count once a STATE for that stream follows them; what came after the last one is dropped.
 */
let sim: Simulator;
let w: Workdir;
let env: NodeJS.ProcessEnv;
let config: string;
let catalog: string;
const STREAMS = ['errors', 'comments', 'events', 'releases'] as const;
let keys: Map<string, string[]>;

beforeAll(async () => {
  sim = await startSim({ orgs: 1, projects: 3, errors: 40, events: 900, releases: 12 });
  w = workdir();
  // The connector's throwaway home goes in the temp folder: this one, so that what a kill leaves is cleaned up.
  mkdirSync(join(w.dir, 'tmp'));
  env = { ...CLI_ENV, SNAGSYNC_HOME: join(w.dir, 'home-not-used'), TMPDIR: join(w.dir, 'tmp') };
  config = w.file('config.json', { token: adminToken(sim), host: sim.url });
  catalog = w.file('catalog.json', configuredCatalog(STREAMS.map((s) => [s, 'incremental'])));
  keys = await discoverKeys();
}, 60_000);

afterAll(async () => {
  w?.cleanup();
  await sim?.close();
});

async function discoverKeys(): Promise<Map<string, string[]>> {
  const r = await read(['discover', '--config', config]);
  const streams = (
    r.messages[0]!.catalog as { streams: Array<{ name: string; source_defined_primary_key: string[][] }> }
  ).streams;
  return new Map(streams.map((s) => [s.name, s.source_defined_primary_key.map((k) => k[0]!)]));
}

interface Read {
  code: number | null;
  signal: NodeJS.Signals | null;
  messages: Array<Record<string, unknown>>;
}

/** Runs `snagsync airbyte …`; `killAfterStates` sends SIGKILL when that many STATE lines have been read. */
function read(args: string[], killAfterStates?: number): Promise<Read> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'airbyte', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const messages: Array<Record<string, unknown>> = [];
    let pending = '';
    let states = 0;
    let killed = false;
    child.stdout.on('data', (d: Buffer) => {
      pending += d.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const m = JSON.parse(pending.slice(0, nl)) as Record<string, unknown>;
        pending = pending.slice(nl + 1);
        if (killed) continue;
        messages.push(m);
        if (m.type === 'STATE' && ++states === killAfterStates) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    });
    child.stderr.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, messages });
    });
  });
}

/** The platform's view: committed rows per stream (key → times loaded) and the last state per stream. */
class Sink {
  readonly rows = new Map<string, Map<string, number>>();
  readonly states = new Map<string, unknown>();
  private readonly buffered = new Map<string, string[]>();

  load(messages: ReadonlyArray<Record<string, unknown>>): void {
    for (const m of messages) {
      if (m.type === 'RECORD') {
        const { stream, data } = m.record as { stream: string; data: Record<string, unknown> };
        const key = keys
          .get(stream)!
          .map((k) => String(data[k]))
          .join('/');
        this.buffered.set(stream, [...(this.buffered.get(stream) ?? []), key]);
      } else if (m.type === 'STATE') {
        const state = m.state as { stream: { stream_descriptor: { name: string } } };
        const stream = state.stream.stream_descriptor.name;
        const table = this.rows.get(stream) ?? new Map<string, number>();
        this.rows.set(stream, table);
        for (const k of this.buffered.get(stream) ?? []) table.set(k, (table.get(k) ?? 0) + 1);
        this.buffered.set(stream, []);
        this.states.set(stream, state);
      }
    }
    this.buffered.clear();
  }

  stateFile(): unknown[] {
    return [...this.states.values()];
  }

  duplicates(): string[] {
    return [...this.rows].flatMap(([s, t]) => [...t].filter(([, n]) => n > 1).map(([k]) => `${s}:${k}`));
  }
}

describe('airbyte read after kill -9', () => {
  it('given the last STATE, ends with the same rows as an uninterrupted read, none twice', async () => {
    const whole = new Sink();
    const clean = await read(['read', '--config', config, '--catalog', catalog]);
    expect(clean.code).toBe(0);
    whole.load(clean.messages);
    expect(whole.rows.get('events')?.size).toBe(3 * 900);

    const resumed = new Sink();
    const killed = await read(['read', '--config', config, '--catalog', catalog], 12);
    expect(killed.signal).toBe('SIGKILL');
    // The killed read left its home behind, but not the key to its sealed token: that lived in the process.
    const left = readdirSync(join(w.dir, 'tmp'));
    expect(left).toHaveLength(1);
    expect(existsSync(join(w.dir, 'tmp', left[0]!, 'master.key'))).toBe(false);
    resumed.load(killed.messages);
    const partial = resumed.rows.get('events')?.size ?? 0;
    // Killed mid-read: some events were loaded, not all of them.
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(3 * 900);

    const state = w.file('state.json', resumed.stateFile());
    const rest = await read(['read', '--config', config, '--catalog', catalog, '--state', state]);
    expect(rest.code).toBe(0);
    expect(invalidMessages(rest.messages)).toEqual([]);
    resumed.load(rest.messages);
    // The resumed read read on from the state: it did not start the events over.
    const again = rest.messages.filter(
      (m) => m.type === 'RECORD' && (m.record as { stream: string }).stream === 'events',
    ).length;
    expect(again).toBe(3 * 900 - partial);

    for (const s of STREAMS)
      expect([...(resumed.rows.get(s)?.keys() ?? [])].sort(), s).toEqual([...(whole.rows.get(s)?.keys() ?? [])].sort());
    expect(resumed.duplicates()).toEqual([]);
    expect(whole.duplicates()).toEqual([]);
  }, 180_000);
});
