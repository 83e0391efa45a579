import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDestination, type Destination, type StreamDescriptor } from '../../src/destinations/index.js';
import { descriptorOf, getStream, STREAMS } from '../../src/streams/catalog.js';
import { tempDir } from '../store/helpers.js';
import { requireService } from '../helpers/services.js';
import { adminQuery, dropSchema, pgDestinationUrl, uniqueSchema } from './pg-schema.js';

/**
 * Tables made by an earlier snagsync are brought to the declarations in place — trends' `from`/`to` renamed,
 * `_run_id` added, indexes created — with every row kept; PostgreSQL gets a comment on every table and column.
 */
const HAS_PG = requireService('postgres');
const TRENDS = descriptorOf(getStream('trends'));
const EVENTS = descriptorOf(getStream('events'));
const ERRORS = descriptorOf(getStream('errors'));
const ALL: StreamDescriptor[] = STREAMS.map(descriptorOf);
const WANTED_INDEXES = ['events_project_id_error_id_idx', 'events_received_at_idx', 'errors_last_seen_unfiltered_idx'];

const bucket = (project: string, from: string, n: number) => ({
  from,
  to: new Date(Date.parse(from) + 12 * 3600_000).toISOString(),
  events_count: n,
  project_id: project,
  resolution: '12h',
});
const OLD_TRENDS = [bucket('p1', '2026-01-01T00:00:00.000Z', 3), bucket('p1', '2026-01-01T12:00:00.000Z', 5)];
const OLD_EVENT = { id: 'e1', project_id: 'p1', error_id: 'x1', received_at: '2026-01-01T01:00:00.000Z' };

/** The tables as the snagsync before lineage created them (src/destinations/*\/schema.ts at that commit). */
const OLD_SQLITE = `
CREATE TABLE "trends" (
  "project_id" TEXT NOT NULL,
  "from" TEXT /* timestamp: ISO 8601 UTC */ NOT NULL,
  "to" TEXT /* timestamp: ISO 8601 UTC */,
  "events_count" INTEGER,
  "resolution" TEXT,
  "_record" TEXT NOT NULL /* json: the full record as read */,
  "_synced_at" TEXT NOT NULL /* timestamp: when a sync last wrote this row */,
  "_source_id" TEXT /* the snagsync source that wrote it */,
  PRIMARY KEY ("project_id", "from")
);
CREATE TABLE "events" (
  "project_id" TEXT NOT NULL, "id" TEXT NOT NULL, "error_id" TEXT, "received_at" TEXT,
  "_record" TEXT NOT NULL, "_synced_at" TEXT NOT NULL, "_source_id" TEXT,
  PRIMARY KEY ("project_id", "id")
);`;

const oldPg = (s: string) => `
CREATE SCHEMA "${s}";
CREATE TABLE "${s}"."_snagsync_state" (source_id text NOT NULL, stream text NOT NULL, partition text NOT NULL,
  state jsonb NOT NULL, updated_at timestamptz NOT NULL, PRIMARY KEY (source_id, stream, partition));
CREATE TABLE "${s}"."trends" (
  "project_id" text NOT NULL, "from" timestamptz NOT NULL, "to" timestamptz, "events_count" bigint, "resolution" text,
  "_record" jsonb NOT NULL, "_synced_at" timestamptz NOT NULL, "_source_id" text,
  PRIMARY KEY ("project_id", "from")
);
CREATE TABLE "${s}"."events" (
  "project_id" text NOT NULL, "id" text NOT NULL, "error_id" text, "received_at" timestamptz,
  "_record" jsonb NOT NULL, "_synced_at" timestamptz NOT NULL, "_source_id" text,
  PRIMARY KEY ("project_id", "id")
);`;

const cp = (runId: string) => ({ sourceId: 'src_1', partition: 'project:p1', state: { n: 1 }, runId });

/** A trends page that rewrites the first old bucket: same key (project, from), new count. */
const REWRITE = [{ ...OLD_TRENDS[0]!, events_count: 30 }];

describe('SQLite: an old destination is migrated in place', () => {
  let t: ReturnType<typeof tempDir>;
  let path: string;
  let dest: Destination | undefined;
  beforeEach(() => {
    t = tempDir();
    path = join(t.dir, 'old.db');
    const db = new Database(path);
    db.exec(OLD_SQLITE);
    const ins = db.prepare(
      `INSERT INTO trends ("project_id", "from", "to", events_count, resolution, _record, _synced_at, _source_id) VALUES (?, ?, ?, ?, ?, ?, ?, 'src_1')`,
    );
    for (const b of OLD_TRENDS)
      ins.run(b.project_id, b.from, b.to, b.events_count, b.resolution, JSON.stringify(b), b.from);
    db.prepare(
      `INSERT INTO events (project_id, id, error_id, received_at, _record, _synced_at, _source_id) VALUES ('p1', 'e1', 'x1', ?, ?, ?, 'src_1')`,
    ).run(OLD_EVENT.received_at, JSON.stringify(OLD_EVENT), OLD_EVENT.received_at);
    db.close();
  });
  afterEach(async () => {
    await dest?.close();
    t.cleanup();
  });

  it('renames trends.from/to, adds _run_id, creates the declared indexes, and keeps every row', async () => {
    dest = await openDestination(`sqlite:${path}`);
    const prepared = await dest.prepare([TRENDS, EVENTS, ERRORS]);
    expect(prepared.created).toEqual(['error_history', 'errors']);
    // The old events table had fewer typed columns (added and filled); trends had them all, under other names.
    expect(prepared.addedColumns.filter((c) => c.stream !== 'events')).toEqual([]);
    await dest.writePage('trends', REWRITE, cp('run_2'));
    await dest.close();
    dest = undefined;

    const db = new Database(path, { readonly: true });
    try {
      const cols = db.pragma('table_info(trends)') as Array<{ name: string; pk: number }>;
      expect(cols.map((c) => c.name)).toEqual([
        'project_id',
        'bucket_start',
        'bucket_end',
        'events_count',
        'resolution',
        '_record',
        '_synced_at',
        '_source_id',
        '_run_id',
        '_deleted_at',
      ]);
      expect(cols.filter((c) => c.pk > 0).map((c) => c.name)).toEqual(['project_id', 'bucket_start']);
      // The rewritten bucket was upserted onto its old row (the key survived the rename); the other is untouched.
      expect(db.prepare('SELECT bucket_start, bucket_end, events_count, _run_id FROM trends ORDER BY 1').all()).toEqual(
        [
          { bucket_start: OLD_TRENDS[0]!.from, bucket_end: OLD_TRENDS[0]!.to, events_count: 30, _run_id: 'run_2' },
          { bucket_start: OLD_TRENDS[1]!.from, bucket_end: OLD_TRENDS[1]!.to, events_count: 5, _run_id: null },
        ],
      );
      expect(db.prepare('SELECT id, _run_id FROM events').all()).toEqual([{ id: 'e1', _run_id: null }]);
      const indexes = [
        ...(db.pragma('index_list(events)') as Array<{ name: string }>),
        ...(db.pragma('index_list(errors)') as Array<{ name: string }>),
      ].map((i) => i.name);
      for (const name of WANTED_INDEXES) expect(indexes, name).toContain(name);
      expect(
        (db.pragma('index_info(events_project_id_error_id_idx)') as Array<{ name: string }>).map((c) => c.name),
      ).toEqual(['project_id', 'error_id']);
      expect(
        db
          .prepare(`SELECT records_read, records_written, pages FROM _snagsync_run_streams WHERE run_id = 'run_2'`)
          .all(),
      ).toEqual([{ records_read: 1, records_written: 1, pages: 1 }]);
    } finally {
      db.close();
    }
  });
});

describe('JSONL: the trends rename', () => {
  it('keeps the lines as Bugsnag sends them (from, to) and reports no column added for the renamed ones', async () => {
    const t = tempDir();
    const dir = join(t.dir, 'out');
    try {
      mkdirSync(dir);
      // The state an older snagsync left: trends described with its old column names.
      const old = { ...TRENDS, columns: TRENDS.columns.map((c) => ({ ...c, name: c.formerNames?.[0] ?? c.name })) };
      writeFileSync(
        join(dir, '_state.json'),
        JSON.stringify({
          format: 'snagsync-jsonl',
          version: 1,
          updated_at: new Date().toISOString(),
          streams: {
            trends: {
              file: 'trends.jsonl',
              bytes: 0,
              lines: 0,
              keys_bytes: 0,
              descriptor: {
                name: 'trends',
                primaryKey: ['project_id', 'from'],
                columns: old.columns.map((c) => ({ name: c.name, type: c.type })),
              },
            },
          },
          checkpoints: {},
        }),
      );
      const dest = await openDestination(`jsonl:${dir}`);
      try {
        expect(await dest.prepare([TRENDS])).toEqual({ created: [], addedColumns: [] });
        await dest.writePage('trends', REWRITE, cp('run_2'));
      } finally {
        await dest.close();
      }
      const line = JSON.parse(readFileSync(join(dir, 'trends.jsonl'), 'utf8')) as Record<string, unknown>;
      expect(line).toEqual({ ...REWRITE[0], _synced_at: expect.any(String), _source_id: 'src_1', _run_id: 'run_2' });
      const state = JSON.parse(readFileSync(join(dir, '_state.json'), 'utf8')) as {
        streams: { trends: { descriptor: { primaryKey: string[] } } };
      };
      expect(state.streams.trends.descriptor.primaryKey).toEqual(['project_id', 'bucket_start']);
    } finally {
      t.cleanup();
    }
  });
});

describe.skipIf(!HAS_PG)(
  'PostgreSQL: an old schema is migrated in place, and every table and column is commented',
  () => {
    let schema: string;
    let dest: Destination | undefined;
    beforeEach(async () => {
      schema = uniqueSchema('snag_wh');
      await adminQuery(oldPg(schema));
      for (const b of OLD_TRENDS)
        await adminQuery(
          `INSERT INTO "${schema}".trends ("project_id", "from", "to", events_count, resolution, _record, _synced_at, _source_id) VALUES ($1, $2, $3, $4, $5, $6, $2, 'src_1')`,
          [b.project_id, b.from, b.to, b.events_count, b.resolution, JSON.stringify(b)],
        );
      await adminQuery(
        `INSERT INTO "${schema}".events (project_id, id, error_id, received_at, _record, _synced_at, _source_id) VALUES ('p1', 'e1', 'x1', $1, $2, $1, 'src_1')`,
        [OLD_EVENT.received_at, JSON.stringify(OLD_EVENT)],
      );
    });
    afterEach(async () => {
      await dest?.close();
      await dropSchema(schema);
    });

    it('renames trends.from/to, adds _run_id, creates the declared indexes, and keeps every row', async () => {
      dest = await openDestination(pgDestinationUrl(schema));
      const prepared = await dest.prepare([TRENDS, EVENTS, ERRORS]);
      expect(prepared.created).toEqual(['error_history', 'errors']);
      // The old events table had fewer typed columns (added and filled); trends had them all, under other names.
      expect(prepared.addedColumns.filter((c) => c.stream !== 'events')).toEqual([]);
      await dest.writePage('trends', REWRITE, cp('run_2'));
      const cols = await adminQuery<{ name: string }>(
        `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'trends' ORDER BY ordinal_position`,
        [schema],
      );
      expect(cols.map((c) => c.name)).toEqual([
        'project_id',
        'bucket_start',
        'bucket_end',
        'events_count',
        'resolution',
        '_record',
        '_synced_at',
        '_source_id',
        '_run_id',
        '_deleted_at',
      ]);
      const rows = await adminQuery(
        `SELECT bucket_start = $1::timestamptz AS first, events_count, _run_id FROM "${schema}".trends ORDER BY bucket_start`,
        [OLD_TRENDS[0]!.from],
      );
      expect(rows).toEqual([
        { first: true, events_count: '30', _run_id: 'run_2' },
        { first: false, events_count: '5', _run_id: null },
      ]);
      expect(await adminQuery(`SELECT id, _run_id FROM "${schema}".events`)).toEqual([{ id: 'e1', _run_id: null }]);
      const indexes = await adminQuery<{ indexname: string; indexdef: string }>(
        'SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1',
        [schema],
      );
      for (const name of WANTED_INDEXES)
        expect(
          indexes.map((i) => i.indexname),
          name,
        ).toContain(name);
      expect(indexes.find((i) => i.indexname === 'events_project_id_error_id_idx')!.indexdef).toMatch(
        /\(project_id, error_id\)$/,
      );
      expect(
        await adminQuery(
          `SELECT records_read::int AS r, records_written::int AS w, pages::int AS p FROM "${schema}"._snagsync_run_streams WHERE run_id = 'run_2'`,
        ),
      ).toEqual([{ r: 1, w: 1, p: 1 }]);
    });

    it('comments every table and column, from the stream declarations', async () => {
      dest = await openDestination(pgDestinationUrl(schema));
      await dest.prepare(ALL);
      const missing = await adminQuery<{ t: string; c: string | null }>(
        `SELECT c.relname AS t, NULL AS c FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relkind = 'r' AND obj_description(c.oid, 'pg_class') IS NULL
       UNION ALL
       SELECT c.relname, a.attname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE n.nspname = $1 AND c.relkind = 'r' AND col_description(c.oid, a.attnum) IS NULL`,
        [schema],
      );
      expect(missing).toEqual([]);
      const tables = await adminQuery<{ n: string }>(
        `SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
        [schema],
      );
      expect(Number(tables[0]!.n)).toBe(ALL.length + 4); // the streams, error_history, _snagsync_state, _snagsync_runs, _snagsync_run_streams
      const [events] = await adminQuery<{ t: string; c: string }>(
        `SELECT obj_description($1::regclass, 'pg_class') AS t, col_description($1::regclass, 2) AS c`,
        [`"${schema}".events`],
      );
      expect(events).toEqual({ t: getStream('events').description, c: getStream('events').columns[1]!.description });
      // Prepared again, a comment that differs from the declaration is written again (and only such a comment).
      await adminQuery(`COMMENT ON COLUMN "${schema}".events.id IS 'edited by hand'`);
      await dest.prepare(ALL);
      const [after] = await adminQuery<{ c: string }>(`SELECT col_description($1::regclass, 2) AS c`, [
        `"${schema}".events`,
      ]);
      expect(after!.c).toBe(getStream('events').columns[1]!.description);
    });
  },
);
