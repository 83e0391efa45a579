import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  openDestination,
  type Destination,
  type DestinationRecord,
  type StreamDescriptor,
} from '../../src/destinations/index.js';
import { requireService } from '../helpers/services.js';
import { adminQuery, dropSchema, pgDestinationUrl, uniqueSchema } from './pg-schema.js';
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';

/**
 * `markDeleted` in every destination, by itself: it marks only the scope's rows of the source that were written
 * before the pass began (and, with `within`, only those the pass could reach), keeps a first mark, and a row written
 * again is there again (`_deleted_at` cleared; JSONL: the same record appended after its tombstone). `purge` removes.
 */
const HAS_PG = requireService('postgres');
type Kind = 'sqlite' | 'postgres' | 'jsonl';
const KINDS: Kind[] = HAS_PG ? ['sqlite', 'postgres', 'jsonl'] : ['sqlite', 'jsonl'];
const home = mkdtempSync(join(tmpdir(), 'snagsync-deletions-'));
const schemas: string[] = [];

afterAll(async () => {
  rmSync(home, { recursive: true, force: true });
  for (const s of schemas) await dropSchema(s);
});

const THINGS: StreamDescriptor = {
  name: 'things',
  primaryKey: ['project_id', 'id'],
  columns: [
    { name: 'project_id', type: 'text' },
    { name: 'id', type: 'text' },
    { name: 'seen_at', type: 'timestamp' },
  ],
};
const rec = (project: string, id: string, seen = '2025-06-01T00:00:00.000Z'): DestinationRecord => ({
  project_id: project,
  id,
  seen_at: seen,
});

interface Target {
  dest: Destination;
  /** `_deleted_at` per key (`project/id`): null while there; absent when the row is gone. */
  marks(): Promise<Record<string, string | null>>;
}

async function open(kind: Kind, name: string): Promise<Target> {
  if (kind === 'sqlite') {
    const file = join(home, `${name}.db`);
    const dest = await openDestination(`sqlite:${file}`);
    return {
      dest,
      marks: async () => {
        const db = new Database(file, { readonly: true });
        try {
          const rows = db.prepare('SELECT project_id, id, _deleted_at FROM things').all() as Array<{
            project_id: string;
            id: string;
            _deleted_at: string | null;
          }>;
          return Object.fromEntries(rows.map((r) => [`${r.project_id}/${r.id}`, r._deleted_at]));
        } finally {
          db.close();
        }
      },
    };
  }
  if (kind === 'jsonl') {
    const dir = join(home, name);
    const dest = await openDestination(`jsonl:${dir}`);
    return {
      dest,
      marks: async () => {
        const out: Record<string, string | null> = {};
        for (const line of readFileSync(join(dir, 'things.jsonl'), 'utf8').split('\n').filter(Boolean)) {
          const r = JSON.parse(line) as { project_id: string; id: string; _deleted_at?: string };
          out[`${r.project_id}/${r.id}`] = r._deleted_at ?? null;
        }
        return out;
      },
    };
  }
  const schema = uniqueSchema('snag_marks');
  schemas.push(schema);
  const dest = await openDestination(pgDestinationUrl(schema));
  return {
    dest,
    marks: async () => {
      const rows = await adminQuery<{ project_id: string; id: string; d: Date | null }>(
        `SELECT project_id, id, _deleted_at AS d FROM "${schema}".things`,
      );
      return Object.fromEntries(rows.map((r) => [`${r.project_id}/${r.id}`, r.d ? r.d.toISOString() : null]));
    },
  };
}

/** A time strictly after every `_synced_at` written so far (they are stamped with the clock in milliseconds). */
function afterNow(): string {
  const t = Date.now();
  while (Date.now() <= t) {
    // spin to the next millisecond: the bound must be past what was just written, and no timer is that precise
  }
  return new Date().toISOString();
}

describe.each(KINDS)('markDeleted in %s', (kind) => {
  it('marks the scope’s unseen rows of the source, keeps a first mark, and clears it when the row is written again', async () => {
    const { dest, marks } = await open(kind, `marks-${kind}`);
    try {
      await dest.prepare([THINGS]);
      const page = (records: DestinationRecord[], sourceId = 's1') =>
        dest.writePage('things', records, { sourceId, partition: 'p', state: null });
      await page([rec('p1', 'a'), rec('p1', 'b'), rec('p2', 'c')]);
      await page([rec('p1', 'z')], 's2');
      const since = afterNow();
      await page([rec('p1', 'a')]); // what the pass saw (JSONL: unchanged, not appended, but seen)
      const at = '2026-02-01T00:00:00.000Z';
      const mark = { sourceId: 's1', scope: { project_id: 'p1' }, seenSince: since, at };
      expect(await dest.markDeleted!('things', mark)).toEqual({ marked: 1, purged: 0 });
      expect(await marks()).toEqual({ 'p1/a': null, 'p1/b': at, 'p2/c': null, 'p1/z': null });
      // Already marked: its first mark stays.
      expect(await dest.markDeleted!('things', { ...mark, at: '2026-03-01T00:00:00.000Z' })).toEqual({
        marked: 0,
        purged: 0,
      });
      expect((await marks())['p1/b']).toBe(at);
      // Back in Bugsnag: written again, the same record, it is there again.
      await page([rec('p1', 'b')]);
      expect((await marks())['p1/b']).toBeNull();
    } finally {
      await dest.close();
    }
  });

  it('within: only rows the pass could reach; purge removes (JSONL: a tombstone, lines are never removed)', async () => {
    const { dest, marks } = await open(kind, `within-${kind}`);
    try {
      await dest.prepare([THINGS]);
      await dest.writePage('things', [rec('p1', 'old', '2020-01-01T00:00:00Z'), rec('p1', 'new')], {
        sourceId: 's1',
        partition: 'p',
        state: null,
      });
      const since = afterNow();
      const at = '2026-02-01T00:00:00.000Z';
      const within = { column: 'seen_at', from: '2024-01-01T00:00:00Z' };
      const r = await dest.markDeleted!('things', {
        sourceId: 's1',
        scope: { project_id: 'p1' },
        seenSince: since,
        within,
        at,
        purge: true,
      });
      if (kind === 'jsonl') {
        expect(r).toEqual({ marked: 1, purged: 0 });
        expect(await marks()).toEqual({ 'p1/old': null, 'p1/new': at });
      } else {
        expect(r).toEqual({ marked: 0, purged: 1 });
        expect(await marks()).toEqual({ 'p1/old': null });
      }
    } finally {
      await dest.close();
    }
  });
});
