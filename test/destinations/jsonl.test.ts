import { appendFileSync, existsSync, mkdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSnagError, type SnagError } from '../../src/core/errors.js';
import { openDestination, type Destination } from '../../src/destinations/index.js';
import { tempDir } from '../store/helpers.js';
import { destinationConformance } from './conformance.js';
import { EVENTS, pageRecords } from './fixtures.js';

destinationConformance('JSONL', async () => {
  const t = tempDir();
  const url = `jsonl:${join(t.dir, 'out')}`;
  return { kind: 'jsonl', open: () => openDestination(url), cleanup: async () => t.cleanup() };
});

const cp = (state: unknown, partition = 'project:all') => ({ sourceId: 'src_1', partition, state });
const lines = (dir: string, stream = 'events') =>
  readFileSync(join(dir, `${stream}.jsonl`), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('JSONL destination: what only it does', () => {
  let t: ReturnType<typeof tempDir>;
  let dir: string;
  let dest: Destination;
  beforeEach(async () => {
    t = tempDir();
    dir = join(t.dir, 'out');
    dest = await openDestination(`jsonl:${dir}`);
  });
  afterEach(async () => {
    await dest.close();
    t.cleanup();
  });

  it('appends one line per record: the record, then _synced_at, _source_id and _run_id; the state names the committed bytes', async () => {
    expect(await dest.prepare([EVENTS])).toEqual({ created: ['events'], addedColumns: [] });
    const page = pageRecords(0, 3);
    expect(await dest.writePage('events', page, cp({ next: 1 }))).toEqual({ written: 3, unchanged: 0 });
    const got = lines(dir);
    expect(got).toHaveLength(3);
    const { _synced_at, _source_id, _run_id, ...record } = got[0]!;
    expect(record).toEqual(page[0]);
    expect(_source_id).toBe('src_1');
    expect(_run_id).toBeNull(); // no run named in the checkpoint
    expect(Date.parse(_synced_at as string)).not.toBeNaN();
    expect(Object.keys(got[0]!).slice(-3)).toEqual(['_synced_at', '_source_id', '_run_id']);
    const state = JSON.parse(readFileSync(join(dir, '_state.json'), 'utf8')) as {
      format: string;
      streams: Record<string, { bytes: number; lines: number }>;
      checkpoints: Record<string, Record<string, Record<string, { state: unknown }>>>;
    };
    expect(state.format).toBe('snagsync-jsonl');
    expect(state.streams.events).toMatchObject({ bytes: statSync(join(dir, 'events.jsonl')).size, lines: 3 });
    expect(state.checkpoints.src_1!.events!['project:all']!.state).toEqual({ next: 1 });
    expect(await dest.readCheckpoint('src_1', 'events', 'project:all')).toEqual({ next: 1 });
  });

  it('does not append a record again when it is unchanged; appends a new version when it changed', async () => {
    await dest.prepare([EVENTS]);
    const page = pageRecords(0, 5);
    await dest.writePage('events', page, cp(1));
    // The look-back window reads three of them again, one of them changed; and a duplicate inside the same page.
    const again = [page[2]!, { ...page[3]!, severity: 'info' }, page[4]!, page[4]!];
    expect(await dest.writePage('events', again, cp(2))).toEqual({ written: 1, unchanged: 3 });
    expect(lines(dir)).toHaveLength(6);
    expect(await dest.countRecords('events')).toBe(5);
    const latest = await dest.listRecords('events');
    expect(latest).toHaveLength(5);
    expect(latest[3]).toMatchObject({ id: page[3]!.id, severity: 'info' });
    // The index survives a reopen (it is in the .keys file).
    await dest.close();
    dest = await openDestination(`jsonl:${dir}`);
    await dest.prepare([EVENTS]);
    expect(await dest.writePage('events', page, cp(3))).toEqual({ written: 1, unchanged: 4 });
    expect(await dest.countRecords('events')).toBe(5);
  });

  it('after a kill between appending a page and replacing the state, reopening cuts the page and a replay writes it once', async () => {
    await dest.prepare([EVENTS]);
    await dest.writePage('events', pageRecords(0), cp({ next: 1 }));
    const committed = statSync(join(dir, 'events.jsonl')).size;
    await dest.close();
    // What a kill -9 at that moment leaves: page 1's lines (the last one cut short) and key entries after the
    // committed length, and the old _state.json.
    const page1 = pageRecords(1)
      .map((r) => JSON.stringify(r))
      .join('\n');
    appendFileSync(join(dir, 'events.jsonl'), page1.slice(0, page1.length - 17));
    appendFileSync(join(dir, 'events.keys'), Buffer.alloc(12 * 30, 0xab));

    dest = await openDestination(`jsonl:${dir}`);
    await dest.prepare([EVENTS]);
    expect(statSync(join(dir, 'events.jsonl')).size).toBe(committed);
    const resume = (await dest.readCheckpoint('src_1', 'events', 'project:all')) as { next: number };
    expect(resume).toEqual({ next: 1 });
    await dest.writePage('events', pageRecords(resume.next), cp({ next: 2 }));
    const ids = lines(dir).map((l) => l.id);
    expect(ids).toHaveLength(100);
    expect(new Set(ids).size).toBe(100);
    expect(await dest.countRecords('events')).toBe(100);
  });

  it('a write that fails after appending is cut off before the next one (no garbage between committed pages)', async () => {
    await dest.prepare([EVENTS]);
    await dest.writePage('events', pageRecords(0, 4), cp(1));
    // The state cannot be replaced (its temp name is taken by a folder): the page's lines are on disk, uncommitted.
    mkdirSync(join(dir, '_state.json.tmp'));
    const err = await dest.writePage('events', pageRecords(1, 10), cp(2)).catch((e: unknown) => e);
    expect(isSnagError(err, 'destination')).toBe(true);
    expect(lines(dir)).toHaveLength(14);
    expect(await dest.readCheckpoint('src_1', 'events', 'project:all')).toBe(1);
    rmdirSync(join(dir, '_state.json.tmp'));
    // The next page is shorter than the failed one: without the cut, the failed page's tail would remain.
    await dest.writePage('events', pageRecords(5, 2), cp(3));
    expect(lines(dir).map((l) => l.id)).toEqual([...pageRecords(0, 4), ...pageRecords(5, 2)].map((r) => r.id));
    // A record without its key fails the page before anything is written.
    await expect(dest.writePage('events', [...pageRecords(3, 2), { id: 'x' }], cp(4))).rejects.toMatchObject({
      code: 'internal',
    });
    expect(lines(dir)).toHaveLength(6);
    expect(await dest.readCheckpoint('src_1', 'events', 'project:all')).toBe(3);
  });

  it('one writer per folder: a second open is refused while the first is open, and allowed after', async () => {
    const err = await openDestination(`jsonl:${dir}`).catch((e: unknown) => e);
    expect(isSnagError(err, 'destination')).toBe(true);
    expect((err as SnagError).message).toContain('being written by another snagsync process');
    // Reading is still possible.
    await dest.prepare([EVENTS]);
    await dest.writePage('events', pageRecords(0, 2), cp(1));
    const reader = await openDestination(`jsonl:${dir}`, { readOnly: true });
    expect(await reader.countRecords('events')).toBe(2);
    await expect(reader.writePage('events', [], cp(2))).rejects.toMatchObject({ code: 'internal' });
    await reader.close();
    await dest.close();
    dest = await openDestination(`jsonl:${dir}`);
    expect(await dest.countRecords('events')).toBe(2);
  });

  it('refuses a folder with JSONL files it did not write, and a damaged or shortened state', async () => {
    const foreign = join(t.dir, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'events.jsonl'), '{"id":1}\n');
    const e1 = await openDestination(`jsonl:${foreign}`).catch((e: unknown) => e);
    expect(isSnagError(e1, 'destination')).toBe(true);
    expect((e1 as SnagError).message).toContain('no _state.json');

    await dest.prepare([EVENTS]);
    await dest.writePage('events', pageRecords(0, 5), cp(1));
    await dest.close();
    writeFileSync(join(dir, 'events.jsonl'), 'short\n');
    const e2 = await openDestination(`jsonl:${dir}`).catch((e: unknown) => e);
    expect(isSnagError(e2, 'destination')).toBe(true);
    expect((e2 as SnagError).message).toContain('shorter');
    writeFileSync(join(dir, '_state.json'), '{"format": "snagsync-jsonl", ');
    const e3 = await openDestination(`jsonl:${dir}`).catch((e: unknown) => e);
    expect(isSnagError(e3, 'destination')).toBe(true);
    expect((e3 as SnagError).message).toContain('damaged');
    dest = await openDestination(`jsonl:${join(t.dir, 'fresh')}`);
    expect(existsSync(join(t.dir, 'fresh', '_state.json'))).toBe(true);
  });

  it('describes its streams with their files and counts', async () => {
    await dest.prepare([EVENTS]);
    await dest.writePage('events', pageRecords(0, 7), cp(1));
    const d = await dest.describe();
    expect(d.kind).toBe('jsonl');
    expect(d.streams).toEqual([
      expect.objectContaining({ name: 'events', records: 7, definition: join(dir, 'events.jsonl') }),
    ]);
    expect(d.streams[0]!.columns.filter((c) => c.primaryKey).map((c) => c.name)).toEqual(['project_id', 'id']);
  });
});
