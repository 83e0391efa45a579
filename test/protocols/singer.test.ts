import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { startRun } from '../../src/engine/index.js';
import type { Simulator } from '../../src/sim/index.js';
import { makeHome, startSim, type Home } from '../engine/helpers.js';
import { stored } from '../engine/truth.js';
import { runCli } from '../helpers/cli.js';
import { adminToken, CLI_ENV, jsonLines, workdir, type Workdir } from './helpers.js';

/**
 * `snagsync singer` loaded by a minimal Singer target written here (SCHEMA declares a table and its key, RECORDs are
 * validated against it and upserted by key, STATE is kept) ends with the same rows as the SQLite destination holds
 * after a sync of the same simulator seed.
 */
let sim: Simulator;
let w: Workdir;
let h: Home;
let env: NodeJS.ProcessEnv;
let config: string;
const STREAMS = ['projects', 'errors', 'comments', 'events', 'releases'];

beforeAll(async () => {
  sim = await startSim({ orgs: 1, projects: 2, errors: 20, events: 300, releases: 5 });
  w = workdir();
  h = await makeHome(sim);
  env = { ...CLI_ENV, SNAGSYNC_HOME: join(w.dir, 'home-not-used') };
  config = w.file('config.json', { token: adminToken(sim), host: sim.url });
}, 60_000);

afterAll(async () => {
  await h?.cleanup();
  w?.cleanup();
  await sim?.close();
});

/** The smallest faithful Singer target: tables by SCHEMA, upserts by key_properties, the last STATE. */
class Target {
  readonly tables = new Map<
    string,
    { key: string[]; validate: ValidateFunction; rows: Map<string, Record<string, unknown>> }
  >();
  state: unknown = null;
  readonly invalid: string[] = [];
  private readonly ajv = new Ajv({ strict: false, allErrors: true });

  load(messages: ReadonlyArray<Record<string, unknown>>): void {
    for (const m of messages) {
      if (m.type === 'SCHEMA') {
        const name = m.stream as string;
        const table = this.tables.get(name);
        this.tables.set(name, {
          key: m.key_properties as string[],
          validate: this.ajv.compile(m.schema as object),
          rows: table?.rows ?? new Map(),
        });
      } else if (m.type === 'RECORD') {
        const table = this.tables.get(m.stream as string);
        if (!table) throw new Error(`RECORD for ${String(m.stream)} before its SCHEMA`);
        const record = m.record as Record<string, unknown>;
        if (!table.validate(record))
          this.invalid.push(`${String(m.stream)}: ${JSON.stringify(table.validate.errors?.slice(0, 2))}`);
        table.rows.set(table.key.map((k) => String(record[k])).join('|'), record);
      } else if (m.type === 'STATE') {
        this.state = m.value;
      } else {
        throw new Error(`not a Singer message: ${JSON.stringify(m).slice(0, 120)}`);
      }
    }
  }
}

async function singerCatalog(): Promise<string> {
  const r = await runCli(['singer', '--config', config, '--discover'], { env });
  expect(r.code, r.stderr).toBe(0);
  const catalog = JSON.parse(r.stdout) as {
    streams: Array<{
      tap_stream_id: string;
      metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }>;
    }>;
  };
  for (const s of catalog.streams) {
    const root = s.metadata.find((m) => m.breadcrumb.length === 0)!;
    root.metadata.selected = STREAMS.includes(s.tap_stream_id);
  }
  return w.file('catalog.json', catalog);
}

describe('snagsync singer', () => {
  it('loaded by a minimal target: the same rows as the SQLite destination, and a second run from the STATE reads nothing again', async () => {
    const db = join(h.home, 'same-seed.db');
    const source = await h.source({ destination: `sqlite:${db}`, streams: STREAMS });
    const summary = await (await startRun(h.runtime, source.name)).done;
    expect(summary.status).toBe('succeeded');

    const catalog = await singerCatalog();
    const r = await runCli(['singer', '--config', config, '--catalog', catalog], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain(adminToken(sim));
    const target = new Target();
    target.load(jsonLines(r.stdout));
    expect(target.invalid.slice(0, 3)).toEqual([]);
    expect([...target.tables.keys()].sort()).toEqual([...STREAMS].sort());

    for (const stream of STREAMS) {
      const table = target.tables.get(stream)!;
      const inSqlite = await stored(`sqlite:${db}`, stream, (row) => table.key.map((k) => String(row[k])).join('|'));
      expect(inSqlite.rows, stream).toBeGreaterThan(0);
      expect([...table.rows.keys()].sort(), stream).toEqual([...inSqlite.byKey.keys()].sort());
      for (const [k, row] of inSqlite.byKey) expect(table.rows.get(k), `${stream} ${k}`).toEqual(row);
    }

    // The state is the whole tap's: every stream, its partitions inside; given back, nothing is read twice.
    expect(Object.keys((target.state as { bookmarks: object }).bookmarks).sort()).toEqual([...STREAMS].sort());
    const state = w.file('state.json', target.state);
    const again = await runCli(['singer', '--config', config, '--catalog', catalog, '--state', state], { env });
    expect(again.code, again.stderr).toBe(0);
    const records = jsonLines(again.stdout).filter((m) => m.type === 'RECORD');
    expect(records.filter((m) => m.stream === 'events')).toEqual([]);
    expect(records.filter((m) => m.stream === 'comments')).toEqual([]);
  }, 120_000);

  it('a field deselected in the catalog is left out of the SCHEMA and the RECORDs; keys cannot be', async () => {
    const r0 = await runCli(['singer', '--config', config, '--discover'], { env });
    const catalog = JSON.parse(r0.stdout) as {
      streams: Array<{
        tap_stream_id: string;
        metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }>;
      }>;
    };
    const projects = catalog.streams.find((s) => s.tap_stream_id === 'projects')!;
    for (const m of projects.metadata) {
      if (m.breadcrumb.length === 0) m.metadata.selected = true;
      if (m.breadcrumb[1] === 'name' || m.breadcrumb[1] === 'id') m.metadata.selected = false;
    }
    expect(projects.metadata.find((m) => m.breadcrumb[1] === 'id')!.metadata.inclusion).toBe('automatic');
    const r = await runCli(['singer', '--config', config, '--catalog', w.file('catalog-fields.json', catalog)], {
      env,
    });
    expect(r.code, r.stderr).toBe(0);
    const messages = jsonLines(r.stdout);
    const schema = messages.find((m) => m.type === 'SCHEMA')!.schema as { properties: Record<string, unknown> };
    expect(schema.properties).not.toHaveProperty('name');
    expect(schema.properties).toHaveProperty('id');
    const records = messages.filter((m) => m.type === 'RECORD').map((m) => m.record as Record<string, unknown>);
    expect(records).toHaveLength(2);
    for (const rec of records) {
      expect(rec).not.toHaveProperty('name');
      expect(typeof rec.id).toBe('string');
    }
  });

  it('a catalog that selects nothing is refused with what to do', async () => {
    const r = await runCli(['singer', '--config', config, '--catalog', w.file('none.json', { streams: [] })], { env });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/selects no stream/);
  });
});
