import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { airbyteCatalog } from '../../src/protocols/airbyte/catalog.js';
import { read } from '../../src/protocols/airbyte/connector.js';
import type { AirbyteMessage } from '../../src/protocols/airbyte/messages.js';
import { parseConnectorConfig } from '../../src/protocols/config.js';
import { parseSingerState, singerCatalog } from '../../src/protocols/singer/catalog.js';
import { runTap } from '../../src/protocols/singer/tap.js';
import type { Simulator } from '../../src/sim/index.js';
import { startSim } from '../engine/helpers.js';
import { adminToken, workdir, type Workdir } from './helpers.js';

/**
 * The feature-flag and performance streams through both protocols (Airbyte, Singer), in-process against the
 * simulator: each sends its records, typed as its catalog says (formats checked), with its primary key; read with the
 * incremental streams of the same project, the second run given the first run's state sends no incremental record
 * again, and the new streams — full refresh by nature (docs/sync.md) — send the same snapshot, not more.
 */
const NEW = [
  'feature_flags',
  'feature_flag_variants',
  'span_groups',
  'page_load_span_groups',
  'network_endpoint_groupings',
];
const INCREMENTAL = ['errors', 'events', 'releases'];

let sim: Simulator;
let w: Workdir;
let project: string;

beforeAll(async () => {
  // Seed 4, project 4 of the first organization: a browser project (page loads too).
  sim = await startSim({ seed: 4, orgs: 1, projects: 4, errors: 6, events: 40, releases: 12 });
  w = workdir();
  const info = sim.info();
  const res = await fetch(`${sim.url}/organizations/${info.organizations[0]!.id}/projects`, {
    headers: { Authorization: `token ${adminToken(sim)}`, 'X-Version': '2' },
  });
  const projects = (await res.json()) as Array<{ id: string; type: string }>;
  project = projects.find((p) => p.type === 'react')!.id;
}, 60_000);

afterAll(async () => {
  w?.cleanup();
  await sim?.close();
});

type Rec = { stream: string; data: Record<string, unknown> };
const config = () => ({ token: adminToken(sim), host: sim.url, projects: [project], stream_intervals: ['releases=0'] });

async function airbyteRead(state: unknown) {
  const messages: AirbyteMessage[] = [];
  const code = await read(
    { emit: (m) => messages.push(m), env: { SNAGSYNC_RETRY_BASE_MS: '20', TMPDIR: w.dir } },
    config(),
    {
      streams: [
        ...INCREMENTAL.map((name) => ({ stream: { name }, sync_mode: 'incremental' })),
        ...NEW.map((name) => ({ stream: { name }, sync_mode: 'full_refresh' })),
      ],
    },
    state,
  );
  const records = messages.filter((m) => m.type === 'RECORD').map((m) => m.record as Rec);
  const states = messages.filter((m) => m.type === 'STATE').map((m) => m.state as Record<string, unknown>);
  const byStream = new Map<string, Record<string, unknown>>();
  for (const s of states) byStream.set((s.stream as { stream_descriptor: { name: string } }).stream_descriptor.name, s);
  return { code, records, state: [...byStream.values()] };
}

const count = (records: Rec[], stream: string) => records.filter((r) => r.stream === stream).length;

describe('Airbyte', () => {
  it('sends every new stream, typed as the catalog says; a second read sends the snapshots again and nothing incremental', async () => {
    const first = await airbyteRead(null);
    expect(first.code).toBe(0);
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const catalog = airbyteCatalog();
    for (const name of NEW) {
      const entry = catalog.find((s) => s.name === name)!;
      expect(entry.supported_sync_modes).toEqual(['full_refresh']);
      const validate = ajv.compile(entry.json_schema as Record<string, unknown>);
      const rows = first.records.filter((r) => r.stream === name);
      expect(rows.length, name).toBeGreaterThan(0);
      for (const r of rows) {
        expect(validate(r.data), `${name}: ${JSON.stringify(validate.errors?.slice(0, 2))}`).toBe(true);
        for (const [k] of entry.source_defined_primary_key as string[][])
          expect(r.data[k!], `${name}.${k}`).toBeDefined();
        expect(r.data.project_id).toBe(project);
      }
    }
    for (const name of INCREMENTAL) expect(count(first.records, name), name).toBeGreaterThan(0);

    const second = await airbyteRead(first.state);
    expect(second.code).toBe(0);
    for (const name of INCREMENTAL) expect(count(second.records, name), name).toBe(0);
    for (const name of NEW) {
      const a = first.records.filter((r) => r.stream === name).map((r) => JSON.stringify(r.data));
      const b = second.records.filter((r) => r.stream === name).map((r) => JSON.stringify(r.data));
      expect(b.sort(), name).toEqual(a.sort());
    }
  }, 120_000);
});

describe('Singer', () => {
  it('taps every new stream with its schema; a second run given the last STATE sends nothing incremental', async () => {
    const cfg = parseConnectorConfig(config());
    const selection = {
      streams: [
        ...INCREMENTAL.map((name) => ({ name, mode: 'incremental' as const })),
        ...NEW.map((name) => ({ name, mode: 'full_refresh' as const })),
      ],
      excluded: new Map(),
    };
    const tap = async (state: unknown) => {
      const out: Array<Record<string, unknown>> = [];
      const io = { emit: (m: Record<string, unknown>) => out.push(m), log: () => {}, env: { TMPDIR: w.dir } };
      expect(await runTap(io, cfg, selection, parseSingerState(state))).toBe(0);
      return out;
    };
    const first = await tap(null);
    const schemas = new Map(
      (singerCatalog().streams as Array<{ tap_stream_id: string; key_properties: string[] }>).map((s) => [
        s.tap_stream_id,
        s.key_properties,
      ]),
    );
    for (const name of NEW) {
      const schema = first.find((m) => m.type === 'SCHEMA' && m.stream === name);
      expect(schema, name).toBeDefined();
      expect(schema!.key_properties).toEqual(schemas.get(name));
      expect(first.filter((m) => m.type === 'RECORD' && m.stream === name).length, name).toBeGreaterThan(0);
    }
    const state = first.filter((m) => m.type === 'STATE').at(-1)!.value;
    const second = await tap(state);
    for (const name of INCREMENTAL)
      expect(second.filter((m) => m.type === 'RECORD' && m.stream === name).length, name).toBe(0);
    for (const name of NEW)
      expect(second.filter((m) => m.type === 'RECORD' && m.stream === name).length, name).toBe(
        first.filter((m) => m.type === 'RECORD' && m.stream === name).length,
      );
  }, 120_000);
});
