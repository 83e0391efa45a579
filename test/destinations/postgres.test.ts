import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSnagError, type SnagError } from '../../src/core/errors.js';
import {
  openDestination,
  parseDestinationUrl,
  type Destination,
  type StreamDescriptor,
} from '../../src/destinations/index.js';
import { postgresUrl, requireService } from '../helpers/services.js';
import { destinationConformance } from './conformance.js';
import { EVENTS, pageRecords } from './fixtures.js';
import { adminQuery, dropSchema, pgDestinationUrl, uniqueSchema } from './pg-schema.js';

const HAS_PG = requireService('postgres');
const cp = (state: unknown, partition = 'project:p1') => ({ sourceId: 'src_1', partition, state });

if (HAS_PG) {
  destinationConformance('PostgreSQL', async () => {
    const schema = uniqueSchema();
    const url = pgDestinationUrl(schema);
    return { kind: 'postgres', open: () => openDestination(url), cleanup: () => dropSchema(schema) };
  });
}

describe.skipIf(!HAS_PG)('PostgreSQL destination: what only it does', () => {
  let schema: string;
  let dest: Destination;
  beforeEach(async () => {
    schema = uniqueSchema();
    dest = await openDestination(pgDestinationUrl(schema));
  });
  afterEach(async () => {
    await dest.close();
    await dropSchema(schema);
  });
  const rows = (sql: string, params: unknown[] = []) =>
    adminQuery<Record<string, unknown>>(sql.replaceAll('$S', `"${schema}"`), params);

  it('creates a table per stream with PostgreSQL types, _record jsonb and the key, in the schema of the URL', async () => {
    await dest.prepare([EVENTS]);
    const cols = await rows(
      `SELECT column_name AS name, data_type AS type, is_nullable AS nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'events' ORDER BY ordinal_position`,
      [schema],
    );
    expect(cols.map((c) => [c.name, c.type, c.nullable])).toEqual([
      ['project_id', 'text', 'NO'],
      ['id', 'text', 'NO'],
      ['received_at', 'timestamp with time zone', 'YES'],
      ['unhandled', 'boolean', 'YES'],
      ['severity', 'text', 'YES'],
      ['release_stage', 'text', 'YES'],
      ['error_count', 'bigint', 'YES'],
      ['tags', 'jsonb', 'YES'],
      ['_record', 'jsonb', 'NO'],
      ['_synced_at', 'timestamp with time zone', 'NO'],
      ['_source_id', 'text', 'YES'],
      ['_run_id', 'text', 'YES'],
      ['_deleted_at', 'timestamp with time zone', 'YES'],
    ]);
    const d = (await dest.describe()).streams[0]!;
    expect(d.definition).toContain(`CREATE TABLE "${schema}"."events"`);
    expect(d.definition).toContain('PRIMARY KEY ("project_id", "id")');
    expect(dest.location).toBe(pgDestinationUrl(schema));
    const tables = await rows(
      `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`,
      [schema],
    );
    expect(tables.map((t) => t.t)).toEqual(['_snagsync_run_streams', '_snagsync_runs', '_snagsync_state', 'events']);
  });

  it('stores typed values extracted by path, and the full record as jsonb', async () => {
    await dest.prepare([EVENTS]);
    const [first] = pageRecords(0, 1);
    await dest.writePage('events', [first!], cp({ cursor: 1 }));
    const [row] = await rows('SELECT *, received_at = $1::timestamptz AS same_time FROM $S.events', [
      '2024-05-01T10:00:00Z',
    ]);
    expect(row).toMatchObject({
      project_id: 'proj0',
      id: 'ev0000000',
      unhandled: true,
      release_stage: 'staging',
      error_count: '0',
      tags: ['a', { n: 0 }],
      _source_id: 'src_1',
      same_time: true,
    });
    expect(row!._record).toEqual(first);
    const [state] = await rows(`SELECT state, jsonb_typeof(state) AS t FROM $S._snagsync_state`);
    expect(state).toEqual({ state: { cursor: 1 }, t: 'object' });
  });

  it('a value of an unexpected shape is NULL in its typed column and kept in _record; odd characters survive COPY', async () => {
    await dest.prepare([EVENTS]);
    const odd = {
      project_id: 'p\t1',
      id: 'a\\b\nc\rd',
      received_at: 'not a time',
      unhandled: 'sometimes',
      error_count: 2.5,
      severity: 'nul\u0000byte',
      tags: { text: 'x\u0000y', back: 'a\\u0000b' },
      app: 'not an object',
    };
    await dest.writePage('events', [odd], cp(1));
    const [row] = await rows(
      'SELECT project_id, id, received_at, unhandled, error_count, severity, release_stage, tags, _record FROM $S.events',
    );
    expect(row).toMatchObject({
      project_id: 'p\t1',
      id: 'a\\b\nc\rd',
      received_at: null,
      unhandled: null,
      error_count: null,
      severity: 'nul\uFFFDbyte',
      release_stage: null,
    });
    expect(row!.tags).toEqual({ text: 'x\uFFFDy', back: 'a\\u0000b' });
    expect(row!._record).toMatchObject({
      received_at: 'not a time',
      unhandled: 'sometimes',
      error_count: 2.5,
      app: 'not an object',
    });
    // The replay of the same record finds it by its key.
    await dest.writePage('events', [odd], cp(2));
    expect(await dest.countRecords('events')).toBe(1);
  });

  it('fills columns added to an existing table from the stored records', async () => {
    await dest.prepare([EVENTS]);
    await dest.writePage('events', pageRecords(0, 10), cp({}));
    const wider: StreamDescriptor = {
      ...EVENTS,
      columns: [
        ...EVENTS.columns,
        { name: 'app_version', type: 'text', path: ['app', 'version'] },
        { name: 'version', type: 'integer' },
        { name: 'seen', type: 'timestamp', path: ['received_at'] },
        { name: 'odd_flag', type: 'boolean', path: ['unhandled'] },
        { name: 'App', type: 'json', path: ['app'] },
      ],
    };
    expect((await dest.prepare([wider])).addedColumns.map((c) => c.column)).toEqual([
      'app_version',
      'version',
      'seen',
      'odd_flag',
      'App',
    ]);
    await dest.writePage('events', pageRecords(1, 10, 2), cp({}));
    const got = await rows(
      `SELECT id, app_version, version, seen = received_at AS same, odd_flag = unhandled AS flag, "App" FROM $S.events ORDER BY id`,
    );
    expect(got).toHaveLength(20);
    expect(got[0]).toEqual({
      id: 'ev0000000',
      app_version: '1.0',
      version: '1',
      same: true,
      flag: true,
      App: { releaseStage: 'staging', version: '1.0' },
    });
    expect(got[19]).toMatchObject({ app_version: '1.9', version: '2', same: true, flag: true });
  });

  it('commits a page and its checkpoint together: a checkpoint that cannot be written takes the records back', async () => {
    await dest.prepare([EVENTS]);
    await dest.writePage('events', pageRecords(0, 5), cp({ n: 1 }));
    await rows(`ALTER TABLE $S._snagsync_state ADD CONSTRAINT no_poison CHECK (partition <> 'poison')`);
    const err = await dest.writePage('events', pageRecords(1, 5), cp({ n: 2 }, 'poison')).catch((e: unknown) => e);
    expect(isSnagError(err, 'destination')).toBe(true);
    expect((err as SnagError).hint).toContain('resumes from the last checkpoint');
    expect(await dest.countRecords('events')).toBe(5);
    // The connection is usable afterwards (rolled back, staging table emptied).
    await dest.writePage('events', pageRecords(1, 5), cp({ n: 2 }));
    expect(await dest.countRecords('events')).toBe(10);
  });

  it('a connection killed between pages is reported, and the next page goes through on a new one', async () => {
    const app = `snagsync_test_${randomBytes(4).toString('hex')}`;
    await dest.close();
    dest = await openDestination(pgDestinationUrl(schema, { application_name: app }));
    await dest.prepare([EVENTS]);
    await dest.writePage('events', pageRecords(0, 5), cp({ n: 1 }));
    const killed = await rows(
      'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1',
      [app],
    );
    expect(killed.length).toBeGreaterThan(0);
    // Idle pooled connections were killed: a write either fails with a clear message or gets a fresh connection.
    const first = await dest.writePage('events', pageRecords(1, 5), cp({ n: 2 })).catch((e: unknown) => e);
    if (first instanceof Error) {
      expect(isSnagError(first, 'destination')).toBe(true);
      expect(first.message).toMatch(/connection to the PostgreSQL server at .* was lost|terminat/i);
      await dest.writePage('events', pageRecords(1, 5), cp({ n: 2 }));
    }
    expect(await dest.countRecords('events')).toBe(10);
    expect(await dest.readCheckpoint('src_1', 'events', 'project:p1')).toEqual({ n: 2 });
  });

  it('two processes writing the same keys at once store each key once; two prepares of a new schema both succeed', async () => {
    const other = await openDestination(pgDestinationUrl(schema));
    try {
      await Promise.all([dest.prepare([EVENTS]), other.prepare([EVENTS])]);
      const writes = [];
      for (let p = 0; p < 6; p++) {
        writes.push(dest.writePage('events', pageRecords(p % 3), cp({ a: p })));
        writes.push(
          other.writePage('events', pageRecords(p % 3, 50, 2), { sourceId: 'src_2', partition: '', state: p }),
        );
      }
      await Promise.all(writes);
      expect(await dest.countRecords('events')).toBe(150);
      expect(await other.countRecords('events')).toBe(150);
    } finally {
      await other.close();
    }
  });
});

describe.skipIf(!HAS_PG)(
  'PostgreSQL destination: what goes wrong says what to do, and never shows the password',
  () => {
    const PASSWORD = `pw-${randomBytes(6).toString('hex')}`;
    const withPassword = (u: URL) => {
      u.password = PASSWORD;
      return u.toString();
    };
    const base = () => new URL(postgresUrl());
    const leakFree = (err: unknown) => {
      const e = err as SnagError;
      for (const text of [
        e.message,
        e.hint ?? '',
        JSON.stringify(e.toJSON()),
        e.stack ?? '',
        e.describe(),
        String((e.cause as Error | undefined)?.stack),
      ]) {
        expect(text).not.toContain(PASSWORD);
      }
    };

    it('a malformed URL or schema is a config error on the destination field', async () => {
      for (const bad of [
        `postgres://u:${PASSWORD}@host:notaport/db`,
        'postgresql://127.0.0.1/db?schema=1x',
        'postgres://127.0.0.1/db?schema=a&schema=b',
        'postgres:///db',
      ]) {
        const err = await openDestination(bad).catch((e: unknown) => e);
        expect(isSnagError(err, 'config'), String(err)).toBe(true);
        expect((err as SnagError).exitCode).toBe(3);
        expect((err as SnagError).details.field).toBe('destination');
        expect((err as SnagError).hint).toContain('postgres://USER@HOST:PORT/DATABASE?schema=NAME');
        leakFree(err);
      }
      expect(parseDestinationUrl('postgresql://u@h:5433/db')).toEqual({
        kind: 'postgres',
        url: 'postgresql://u@h:5433/db',
        schema: 'bugsnag',
      });
    });

    it('an unreachable server is a destination error naming host and port', async () => {
      const u = base();
      u.port = '1';
      const err = await openDestination(withPassword(u)).catch((e: unknown) => e);
      expect(isSnagError(err, 'destination')).toBe(true);
      expect((err as SnagError).exitCode).toBe(7);
      expect((err as SnagError).message).toContain(`Cannot reach the PostgreSQL server at ${u.hostname}:1`);
      expect((err as SnagError).hint).toContain('pg_isready');
      expect((err as SnagError).details).toMatchObject({ field: 'destination', code: 'ECONNREFUSED' });
      leakFree(err);
    });

    it('a missing database is a destination error saying how to create it', async () => {
      const u = base();
      const db = `snag_nodb_${randomBytes(4).toString('hex')}`;
      u.pathname = `/${db}`;
      const err = await openDestination(withPassword(u)).catch((e: unknown) => e);
      expect(isSnagError(err, 'destination')).toBe(true);
      expect((err as SnagError).message).toContain(`The database "${db}" does not exist`);
      expect((err as SnagError).hint).toContain(`CREATE DATABASE "${db}"`);
      expect((err as SnagError).details).toMatchObject({ field: 'destination', code: '3D000' });
      leakFree(err);
    });

    it('a user without the right to create the schema gets a destination error saying what to grant', async () => {
      const role = `snag_noperm_${randomBytes(4).toString('hex')}`;
      const schema = uniqueSchema();
      await adminQuery(`CREATE ROLE "${role}" LOGIN`);
      const u = base();
      u.username = role;
      u.searchParams.set('schema', schema);
      let dest: Destination | undefined;
      try {
        dest = await openDestination(withPassword(u));
        const err = await dest.prepare([EVENTS]).catch((e: unknown) => e);
        expect(isSnagError(err, 'destination')).toBe(true);
        expect((err as SnagError).message).toContain(`The PostgreSQL user "${role}" lacks a privilege`);
        expect((err as SnagError).hint).toContain(`GRANT CREATE ON DATABASE`);
        expect((err as SnagError).details).toMatchObject({ field: 'destination', code: '42501' });
        leakFree(err);
        expect(dest.location).not.toContain(PASSWORD);
        expect(JSON.stringify(await dest.describe())).not.toContain(PASSWORD);
      } finally {
        await dest?.close();
        await dropSchema(schema);
        await adminQuery(`DROP ROLE IF EXISTS "${role}"`);
      }
    });
  },
);
