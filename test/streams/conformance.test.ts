import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { createBugsnagClient, type BugsnagClient } from '../../src/bugsnag/index.js';
import type { Organization, Project } from '../../src/bugsnag/index.js';
import { compileStream } from '../../src/destinations/descriptor.js';
import { parseTimestamp } from '../../src/core/time.js';
import type { Simulator } from '../../src/sim/index.js';
import {
  DEFAULT_STREAMS,
  descriptorOf,
  getStream,
  jsonSchemaOf,
  recordKeyOf,
  STREAMS,
} from '../../src/streams/catalog.js';
import type {
  Batch,
  ChildContext,
  Partition,
  ReadContext,
  StreamDefinition,
  StreamRecord,
  SyncOptions,
} from '../../src/streams/types.js';
import { startSim } from '../engine/helpers.js';

/**
 * The conformance test every stream passes (Meltano / Airbyte CDK style): its JSON Schema is valid and every record
 * it reads validates against it; every record has its whole primary key; cursor values are timestamps; and resuming
 * from any checkpoint it committed ends with every record of an uninterrupted read, none missing.
 */
const OPTIONS: SyncOptions = {
  startDate: null,
  filters: {},
  fullReports: false,
  lookbackMs: 900_000,
  errorsFullPassMs: 86_400_000,
  releasesFullPassMs: 86_400_000,
  trendsResolution: '12h',
  trendsDays: 30,
};

const ajv = new Ajv2020({ strict: false, allErrors: false });

describe('every stream is declared consistently', () => {
  it.each(STREAMS.map((s) => [s.name, s] as const))('%s: schema, key, columns, cursor', (_name, s) => {
    const schema = jsonSchemaOf(s);
    expect(() => ajv.compile(schema)).not.toThrow();
    const props = (schema.properties ?? {}) as Record<string, { description?: string }>;
    const fields = recordKeyOf(s);
    s.primaryKey.forEach((k, i) => {
      expect(props[fields[i]!], `key ${k} (field ${fields[i]}) in the schema`).toBeDefined();
      expect(['text', 'timestamp'], `key ${k} is a text or timestamp column`).toContain(
        s.columns.find((c) => c.name === k)?.type,
      );
    });
    // One source of truth for PostgreSQL's COMMENT ON and the docs: every table and column says what it holds.
    expect(s.description, 'the stream is described').toMatch(/\w/);
    for (const c of s.columns) expect(c.description ?? '', `column ${c.name} is described`).toMatch(/\w{3}/);
    expect(() => compileStream(descriptorOf(s))).not.toThrow();
    if (s.cursor) {
      expect(props[s.cursor.field], 'cursor in the schema').toBeDefined();
      expect(props[s.cursor.field]!.description ?? '', 'cursor typed as a timestamp').toMatch(/timestamp/);
      expect(s.syncModes).toContain('incremental');
    } else {
      expect(s.syncModes).toEqual(['full_refresh']);
    }
    if (s.partition !== 'global') {
      const parent = s.partition === 'project' ? 'project_id' : 'organization_id';
      expect(s.primaryKey, 'child records carry their parent id in the key').toContain(parent);
    }
  });

  it('heavy streams are off by default; comments are read through errors', () => {
    for (const s of STREAMS) expect(DEFAULT_STREAMS.includes(s.name)).toBe(!s.heavy);
    expect(getStream('pivots').heavy).toBe(true);
    expect(getStream('comments').parent).toBe('errors');
    for (const s of STREAMS)
      if (s.parent) expect(getStream(s.parent).parent, `${s.name}'s parent is no child`).toBeUndefined();
  });

  it('every stream declared in src/streams is in the catalog, once, under a snake_case name', async () => {
    const names = STREAMS.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-z]+(_[a-z]+)*$/);
    const dir = fileURLToPath(new URL('../../src/streams/', import.meta.url));
    const declared: string[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const mod = (await import(join(dir, file))) as Record<string, unknown>;
      for (const v of Object.values(mod)) if (isStream(v)) declared.push(v.name);
    }
    expect(declared.length).toBeGreaterThan(0);
    expect(
      declared.filter((n) => !names.includes(n)),
      'declared but missing from catalog.ts',
    ).toEqual([]);
  });
});

function isStream(v: unknown): v is StreamDefinition {
  const s = v as Partial<StreamDefinition> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.name === 'string' &&
    typeof s.read === 'function' &&
    Array.isArray(s.primaryKey)
  );
}

let sim: Simulator;
let api: BugsnagClient;
let orgs: Organization[];
const projectsOf = new Map<string, Project[]>();

beforeAll(async () => {
  // Small page-crossing data: 150 errors (2 pages), 400 events (14 pages), 25 releases (3 pages).
  sim = await startSim({ orgs: 2, projects: 3, errors: 150, events: 400, releases: 25 });
  api = createBugsnagClient({
    token: sim.tokens.find((t) => t.role === 'multi-org')!.token,
    host: sim.url,
    logger: false,
  });
  orgs = await api.organizations.list().all();
  for (const o of orgs) projectsOf.set(o.id, await api.projects.list(o.id).all());
});

afterAll(async () => {
  await sim.close();
});

function partitionsOf(s: StreamDefinition): Partition[] {
  if (s.partition === 'global') return [{ kind: 'global', key: '' }];
  if (s.partition === 'organization') {
    return orgs.map((o) => ({
      kind: 'organization',
      key: `organization:${o.id}`,
      organization: o,
      projects: projectsOf.get(o.id)!,
    }));
  }
  return orgs.flatMap((o) =>
    projectsOf
      .get(o.id)!
      .map((p): Partition => ({ kind: 'project', key: `project:${p.id}`, organization: o, project: p })),
  );
}

interface Read {
  batches: Batch[];
  /** Records of the stream under test (children's when it is a child stream). */
  records: StreamRecord[][];
  skipped: boolean;
}

async function read(
  s: StreamDefinition,
  partition: Partition,
  state: unknown,
  childState: unknown = null,
): Promise<Read> {
  const parent = s.parent ? getStream(s.parent) : s;
  const children = new Map<string, ChildContext>();
  if (s.parent) children.set(s.name, { state: childState, api });
  const ctx: ReadContext = {
    api,
    partition,
    options: OPTIONS,
    state,
    now: new Date(),
    signal: new AbortController().signal,
    warn: () => undefined,
    children,
  };
  const out: Read = { batches: [], records: [], skipped: false };
  try {
    for await (const b of parent.read(ctx)) {
      out.batches.push(b);
      out.records.push(s.parent ? (b.children ?? []).flatMap((c) => c.records) : b.records);
    }
  } catch (err) {
    // 403 (org admin only, plan feature): the engine skips the stream for this partition.
    if ((err as { code?: string }).code === 'forbidden' || (err as { code?: string }).code === 'plan_feature')
      out.skipped = true;
    else throw err;
  }
  return out;
}

describe.each(STREAMS.map((s) => [s.name, s] as const))('%s against the simulator', (_name, s) => {
  it('reads records that match the schema, with whole keys and timestamp cursors; resuming from any checkpoint misses nothing', async () => {
    const validate = ajv.compile(jsonSchemaOf(s));
    const compiled = compileStream(descriptorOf(s));
    let total = 0;
    for (const partition of partitionsOf(s)) {
      const full = await read(s, partition, null);
      if (full.skipped) continue;
      const all = full.records.flat();
      total += all.length;
      const keys = new Set<string>();
      for (const r of all) {
        expect(validate(r), `${s.name} record: ${ajv.errorsText(validate.errors)}`).toBe(true);
        keys.add(compiled.keyOf(r));
        if (s.cursor)
          expect(parseTimestamp(r[s.cursor.field]), `${s.cursor.field} = ${String(r[s.cursor.field])}`).not.toBeNull();
      }
      expect(JSON.parse(JSON.stringify(full.batches.at(-1)!.state))).toEqual(full.batches.at(-1)!.state);
      // Resume from each committed checkpoint (a sample of at most 4): what was committed before it plus what the
      // resumed read brings covers everything.
      const points = sample(full.batches.length - 1, 4);
      for (const k of points) {
        const before = full.records.slice(0, k + 1).flat();
        const childState = s.parent ? lastChildState(full.batches.slice(0, k + 1), s.name) : null;
        const resumed = await read(s, partition, full.batches[k]!.state, childState);
        const union = new Set([...before, ...resumed.records.flat()].map((r) => compiled.keyOf(r)));
        for (const key of keys) expect(union.has(key), `${s.name} resumed at batch ${k}: ${key}`).toBe(true);
      }
    }
    // Page loads are browser projects' only; this simulator's projects are server and mobile ones.
    if (!['teams', 'saved_searches', 'page_load_span_groups'].includes(s.name) || total > 0)
      expect(total, `${s.name} read something`).toBeGreaterThan(0);
  });
});

function sample(n: number, max: number): number[] {
  if (n <= 0) return [];
  const step = Math.max(1, Math.floor(n / max));
  const out: number[] = [];
  for (let k = 0; k < n && out.length < max; k += step) out.push(k);
  return out;
}

function lastChildState(batches: Batch[], name: string): unknown {
  let state: unknown = null;
  for (const b of batches) for (const c of b.children ?? []) if (c.stream === name) state = c.state;
  return state;
}
