import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSnagError, SnagError } from '../../src/core/errors.js';
import {
  destinationError,
  openDestination,
  type Destination,
  type StreamDescriptor,
} from '../../src/destinations/index.js';
import { tempDir } from '../store/helpers.js';
import { destinationConformance } from './conformance.js';
import { EVENTS, pageRecords } from './fixtures.js';

destinationConformance('SQLite', async () => {
  const t = tempDir();
  const url = `sqlite:${join(t.dir, 'nested', 'bugsnag.db')}`;
  return { kind: 'sqlite', open: () => openDestination(url), cleanup: async () => t.cleanup() };
});

const cp = (state: unknown, partition = 'project:p1') => ({ sourceId: 'src_1', partition, state });

describe('SQLite destination: what only it does', () => {
  let t: ReturnType<typeof tempDir>;
  let path: string;
  let dest: Destination;
  beforeEach(async () => {
    t = tempDir();
    path = join(t.dir, 'nested', 'bugsnag.db');
    dest = await openDestination(`sqlite:${path}`);
  });
  afterEach(async () => {
    await dest.close();
    t.cleanup();
  });

  const raw = () => new Database(path, { readonly: true });

  it('creates one table per stream with typed columns, _record, _synced_at, _source_id, _run_id and the composite key', async () => {
    expect(await dest.prepare([EVENTS])).toEqual({ created: ['events'], addedColumns: [] });
    expect(await dest.prepare([EVENTS])).toEqual({ created: [], addedColumns: [] });
    const schema = await dest.describe();
    expect(schema.kind).toBe('sqlite');
    const events = schema.streams.find((s) => s.name === 'events')!;
    expect(schema.streams.map((s) => s.name)).toEqual(['events']);
    expect(events.columns.map((c) => c.name)).toEqual([
      ...EVENTS.columns.map((c) => c.name),
      '_record',
      '_synced_at',
      '_source_id',
      '_run_id',
      '_deleted_at',
    ]);
    expect(events.columns.filter((c) => c.primaryKey).map((c) => c.name)).toEqual(['project_id', 'id']);
    expect(events.definition).toContain('"received_at" TEXT /* timestamp: ISO 8601 UTC */');
    expect(events.definition).toContain('PRIMARY KEY ("project_id", "id")');
  });

  it('stores typed values extracted by path, and the full record', async () => {
    await dest.prepare([EVENTS]);
    const [first] = pageRecords(0, 1);
    await dest.writePage('events', [first!], cp({ cursor: 1 }));
    const db = raw();
    try {
      const row = db.prepare('SELECT * FROM events').get() as Record<string, unknown>;
      expect(row).toMatchObject({
        project_id: 'proj0',
        id: 'ev0000000',
        received_at: '2024-05-01T10:00:00.000Z',
        unhandled: 1,
        release_stage: 'staging',
        error_count: 0,
        tags: '["a",{"n":0}]',
        _source_id: 'src_1',
      });
      expect(JSON.parse(row._record as string)).toEqual(first);
      expect(Date.parse(row._synced_at as string)).not.toBeNaN();
    } finally {
      db.close();
    }
  });

  it('adds columns when the descriptor gains fields, fills them from stored records, keeps everything else', async () => {
    await dest.prepare([EVENTS]);
    await dest.writePage('events', pageRecords(0, 10), cp({}));
    const wider: StreamDescriptor = {
      ...EVENTS,
      columns: [
        ...EVENTS.columns,
        { name: 'app_version', type: 'text', path: ['app', 'version'] },
        { name: 'version', type: 'integer' },
      ],
    };
    expect(await dest.prepare([wider])).toEqual({
      created: [],
      addedColumns: [
        { stream: 'events', column: 'app_version' },
        { stream: 'events', column: 'version' },
      ],
    });
    // A narrower descriptor never drops anything.
    expect(await dest.prepare([{ ...EVENTS, columns: EVENTS.columns.slice(0, 3) }])).toEqual({
      created: [],
      addedColumns: [],
    });
    await dest.prepare([wider]);
    await dest.writePage('events', pageRecords(1, 10, 2), cp({}));
    const db = raw();
    try {
      const rows = db.prepare('SELECT id, app_version, version, severity FROM events ORDER BY id').all() as Array<
        Record<string, unknown>
      >;
      expect(rows).toHaveLength(20);
      expect(rows[0]).toMatchObject({ app_version: '1.0', version: 1, severity: 'error' });
      expect(rows[19]).toMatchObject({ app_version: '1.9', version: 2 });
    } finally {
      db.close();
    }
  });

  it('a writer blocked beyond the busy timeout gets a destination error saying what to do', async () => {
    await dest.prepare([EVENTS]);
    await dest.close();
    dest = await openDestination(`sqlite:${path}`, { busyTimeoutMs: 100 });
    await dest.prepare([EVENTS]);
    const holder = new Database(path);
    holder.exec('BEGIN IMMEDIATE');
    try {
      const err = await dest.writePage('events', pageRecords(0, 2), cp({})).catch((e: unknown) => e);
      expect(isSnagError(err, 'destination')).toBe(true);
      expect((err as SnagError).message).toContain('stayed locked');
      expect((err as SnagError).hint).toContain('resumes from the last checkpoint');
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    await dest.writePage('events', pageRecords(0, 2), cp({}));
    expect(await dest.countRecords('events')).toBe(2);
  });

  it('a damaged file, or a path that cannot be a file, is a destination error', async () => {
    const bad = join(t.dir, 'corrupt.db');
    writeFileSync(bad, Buffer.alloc(8192, 0x41));
    const e1 = await openDestination(`sqlite:${bad}`).catch((e: unknown) => e);
    expect(isSnagError(e1, 'destination')).toBe(true);
    expect((e1 as SnagError).message).toContain('damaged or is not a SQLite database');
    const fileAsFolder = join(t.dir, 'plain-file');
    writeFileSync(fileAsFolder, 'x');
    const e2 = await openDestination(`sqlite:${join(fileAsFolder, 'x.db')}`).catch((e: unknown) => e);
    expect(isSnagError(e2, 'destination')).toBe(true);
    mkdirSync(join(t.dir, 'a-dir.db'));
    const e3 = await openDestination(`sqlite:${join(t.dir, 'a-dir.db')}`).catch((e: unknown) => e);
    expect(isSnagError(e3, 'destination')).toBe(true);
  });

  it('maps disk-full, read-only and I/O failures to destination errors with advice', () => {
    const err = (code: string) => destinationError(Object.assign(new Error('x'), { code }), '/d/b.db');
    expect(err('SQLITE_FULL').message).toContain('disk holding the destination /d/b.db is full');
    expect(err('ENOSPC').hint).toContain('Free some space');
    expect(err('SQLITE_READONLY_DBMOVED').message).toContain('read-only');
    expect(err('EROFS').message).toContain('read-only');
    expect(err('SQLITE_IOERR_WRITE').message).toContain('I/O error');
    expect(err('SQLITE_BUSY').code).toBe('destination');
    const original = new SnagError('internal', 'kept');
    expect(destinationError(original, '/d')).toBe(original);
  });
});
