import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSnagError, type SnagError } from '../../src/core/errors.js';
import type { Destination, DestinationKind, StreamDescriptor } from '../../src/destinations/index.js';
import { EVENTS, pageRecords } from './fixtures.js';

/**
 * The behaviours every destination promises (src/destinations/types.ts), run against each implementation: one suite,
 * three destinations. Each implementation's own file keeps what only it does (typed SQL values, file locks, …).
 */
export interface DestinationHarness {
  kind: DestinationKind;
  /** Opens the destination at the harness's location (again, after a close: the same data). */
  open(): Promise<Destination>;
  /** Removes the location (file, folder, schema). */
  cleanup(): Promise<void>;
}

const cp = (state: unknown, partition = 'project:p1') => ({ sourceId: 'src_1', partition, state });
const byId = (rows: ReadonlyArray<Record<string, unknown>>) =>
  [...rows].sort(
    (a, b) => String(a.project_id).localeCompare(String(b.project_id)) || String(a.id).localeCompare(String(b.id)),
  );

export function destinationConformance(name: string, setup: () => Promise<DestinationHarness>): void {
  describe(`${name} destination: the destination contract`, () => {
    let h: DestinationHarness;
    let dest: Destination;
    beforeEach(async () => {
      h = await setup();
      dest = await h.open();
    });
    afterEach(async () => {
      await dest.close();
      await h.cleanup();
    });

    it('prepares each stream once and describes it with its key', async () => {
      expect(dest.kind).toBe(h.kind);
      expect(await dest.prepare([EVENTS])).toEqual({ created: ['events'], addedColumns: [] });
      expect(await dest.prepare([EVENTS])).toEqual({ created: [], addedColumns: [] });
      const schema = await dest.describe();
      expect(schema.kind).toBe(h.kind);
      expect(schema.location).toBe(dest.location);
      expect(schema.streams.map((s) => s.name)).toEqual(['events']);
      expect(schema.streams[0]!.columns.filter((c) => c.primaryKey).map((c) => c.name)).toEqual(['project_id', 'id']);
      expect(schema.streams[0]!.records).toBe(0);
    });

    it('gives back the records written, with the checkpoint of their page', async () => {
      await dest.prepare([EVENTS]);
      const page = pageRecords(0);
      expect(await dest.writePage('events', page, cp({ next: 1 }))).toEqual({ written: page.length, unchanged: 0 });
      expect(byId(await dest.listRecords('events'))).toEqual(byId(page));
      expect(await dest.listRecords('events', { limit: 7 })).toHaveLength(7);
      expect(await dest.countRecords('events')).toBe(page.length);
      expect(await dest.readCheckpoint('src_1', 'events', 'project:p1')).toEqual({ next: 1 });
      expect((await dest.describe()).streams[0]!.records).toBe(page.length);
    });

    it('stores a record once per key: a replayed page adds nothing, the same id in another project is another record, a change replaces', async () => {
      await dest.prepare([EVENTS]);
      const page = pageRecords(0);
      await dest.writePage('events', page, cp({ n: 1 }));
      await dest.writePage('events', page, cp({ n: 1 }));
      expect(await dest.countRecords('events')).toBe(page.length);
      const sameIdOtherProject = { ...page[0]!, project_id: 'projX' };
      const changed = { ...page[1]!, severity: 'info' };
      expect(await dest.writePage('events', [sameIdOtherProject, changed], cp({ n: 2 }))).toEqual({
        written: 2,
        unchanged: 0,
      });
      expect(await dest.countRecords('events')).toBe(page.length + 1);
      const latest = await dest.listRecords('events');
      expect(latest).toHaveLength(page.length + 1);
      expect(latest.filter((r) => r.id === page[1]!.id)).toEqual([changed]);
      expect(latest.filter((r) => r.id === page[0]!.id)).toHaveLength(2);
      expect(await dest.readCheckpoint('src_1', 'events', 'project:p1')).toEqual({ n: 2 });
    });

    it('a key twice in one page keeps its last version', async () => {
      await dest.prepare([EVENTS]);
      const [a, b] = pageRecords(0, 2);
      await dest.writePage('events', [a!, b!, { ...a!, severity: 'info' }, b!], cp(1));
      expect(await dest.countRecords('events')).toBe(2);
      expect(byId(await dest.listRecords('events'))).toEqual(byId([{ ...a!, severity: 'info' }, b!]));
    });

    it('keeps records and checkpoints across a close and reopen', async () => {
      await dest.prepare([EVENTS]);
      await dest.writePage('events', pageRecords(0, 10), cp({ next: 1 }));
      await dest.close();
      dest = await h.open();
      expect(await dest.prepare([EVENTS])).toEqual({ created: [], addedColumns: [] });
      expect(await dest.countRecords('events')).toBe(10);
      expect(await dest.readCheckpoint('src_1', 'events', 'project:p1')).toEqual({ next: 1 });
      await dest.writePage('events', pageRecords(1, 10), cp({ next: 2 }));
      expect(byId(await dest.listRecords('events'))).toEqual(byId([...pageRecords(0, 10), ...pageRecords(1, 10)]));
    });

    it('keeps checkpoints per source, stream and partition; resets them for a full refresh', async () => {
      const errors: StreamDescriptor = {
        name: 'errors',
        primaryKey: ['project_id', 'id'],
        columns: [
          { name: 'project_id', type: 'text' },
          { name: 'id', type: 'text' },
        ],
      };
      await dest.prepare([EVENTS, errors]);
      await dest.writePage('events', [], cp({ a: 1 }, 'project:p1'));
      await dest.writePage('events', [], cp({ a: 2 }, 'project:p2'));
      await dest.writePage('errors', [], cp({ b: [1, 'x', null] }, 'project:p1'));
      await dest.writePage('errors', [], { sourceId: 'src_2', partition: '', state: 'other' });
      expect(await dest.readCheckpoint('src_1', 'events', 'project:p2')).toEqual({ a: 2 });
      expect(await dest.readCheckpoint('src_1', 'events', 'project:nope')).toBeNull();
      expect(await dest.readCheckpoint('nobody', 'events', 'project:p1')).toBeNull();
      const all = await dest.readCheckpoints('src_1');
      expect(all.map((c) => [c.stream, c.partition, c.state])).toEqual([
        ['errors', 'project:p1', { b: [1, 'x', null] }],
        ['events', 'project:p1', { a: 1 }],
        ['events', 'project:p2', { a: 2 }],
      ]);
      for (const c of all) expect(Date.parse(c.updatedAt)).not.toBeNaN();
      expect(await dest.resetCheckpoints('src_1', ['events'])).toBe(2);
      expect((await dest.readCheckpoints('src_1')).map((c) => c.stream)).toEqual(['errors']);
      expect(await dest.resetCheckpoints('src_1')).toBe(1);
      expect(await dest.readCheckpoints('src_1')).toEqual([]);
      expect(await dest.readCheckpoint('src_2', 'errors', '')).toBe('other');
    });

    it('reports the columns a wider stream adds, keeps its records, and never drops one for a narrower stream', async () => {
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
      await dest.writePage('events', pageRecords(1, 10, 2), cp({}));
      expect(await dest.countRecords('events')).toBe(20);
      expect(await dest.prepare([{ ...EVENTS, columns: EVENTS.columns.slice(0, 3) }])).toEqual({
        created: [],
        addedColumns: [],
      });
      expect(byId(await dest.listRecords('events'))).toEqual(byId([...pageRecords(0, 10), ...pageRecords(1, 10, 2)]));
    });

    it('refuses a changed primary key with what to do', async () => {
      await dest.prepare([EVENTS]);
      const err = await dest.prepare([{ ...EVENTS, primaryKey: ['id'] }]).catch((e: unknown) => e);
      expect(isSnagError(err, 'destination')).toBe(true);
      expect((err as SnagError).hint).toMatch(/full-refresh/);
    });

    it('rejects writes the contract forbids, keeping nothing of the page nor its checkpoint', async () => {
      await dest.prepare([EVENTS]);
      await expect(dest.writePage('nope', [], cp({}))).rejects.toMatchObject({ code: 'internal' });
      const noKey = { ...pageRecords(0, 1)[0]!, project_id: null };
      await expect(dest.writePage('events', [...pageRecords(5, 3), noKey], cp({ x: 1 }))).rejects.toMatchObject({
        code: 'internal',
        message: expect.stringContaining('no value for its key column "project_id"'),
        details: { stream: 'events', column: 'project_id' },
      });
      expect(await dest.countRecords('events')).toBe(0);
      expect(await dest.readCheckpoint('src_1', 'events', 'project:p1')).toBeNull();
      await expect(dest.writePage('events', [null as never], cp({}))).rejects.toMatchObject({ code: 'internal' });
      await expect(dest.writePage('events', [], { sourceId: '', partition: '', state: 1 })).rejects.toMatchObject({
        code: 'internal',
      });
      await expect(dest.writePage('events', [], cp(undefined))).rejects.toMatchObject({ code: 'internal' });
      await expect(
        dest.prepare([{ name: 'Bad-Name', primaryKey: ['id'], columns: [{ name: 'id', type: 'text' }] }]),
      ).rejects.toMatchObject({ code: 'internal' });
      await expect(
        dest.prepare([{ name: 'x', primaryKey: ['id'], columns: [{ name: '_record', type: 'text' }] }]),
      ).rejects.toMatchObject({ code: 'internal' });
      await expect(
        dest.prepare([{ name: 'x', primaryKey: ['nope'], columns: [{ name: 'id', type: 'text' }] }]),
      ).rejects.toMatchObject({ code: 'internal' });
      // The destination still works after each refusal.
      await dest.writePage('events', pageRecords(0, 3), cp({ x: 2 }));
      expect(await dest.countRecords('events')).toBe(3);
    });

    it('records runs: started, counted with each page per stream and partition, ended; a new run of a source fails the one left running', async () => {
      await dest.prepare([EVENTS]);
      const run = (runId: string, sourceId = 'src_1') => ({
        runId,
        sourceId,
        sourceName: sourceId === 'src_1' ? 'prod' : 'other',
        trigger: 'cli',
        startedAt: '2026-01-01T00:00:00.000Z',
        endedAt: null,
        status: 'running' as const,
        error: null,
      });
      await dest.recordRun!(run('run_a'));
      await dest.recordRun!(run('run_x', 'src_2'));
      await dest.writePage('events', pageRecords(0, 4), { ...cp({ n: 1 }), runId: 'run_a' });
      await dest.writePage('events', pageRecords(2, 3), { ...cp({ n: 2 }), runId: 'run_a' });
      await dest.writePage('events', pageRecords(5, 2), { ...cp({ n: 1 }, 'project:p2'), runId: 'run_a' });
      await dest.writePage('events', pageRecords(3, 5), cp({ n: 3 })); // no run named: not counted
      const counts = [
        { stream: 'events', partition: 'project:p1', recordsRead: 7, recordsWritten: 7, pages: 2 },
        { stream: 'events', partition: 'project:p2', recordsRead: 2, recordsWritten: 2, pages: 1 },
      ];
      expect((await dest.listRuns!()).find((r) => r.runId === 'run_a')).toEqual({ ...run('run_a'), streams: counts });
      await dest.recordRun!({ ...run('run_a'), status: 'partial', endedAt: '2026-01-01T00:05:00.000Z', error: 'e' });
      // The next run of src_1 starts while run_b is left running (killed), then run_c starts.
      await dest.recordRun!(run('run_b'));
      await dest.writePage('events', pageRecords(0, 4), { ...cp({ n: 4 }), runId: 'run_b' });
      await dest.close();
      dest = await h.open();
      await dest.recordRun!(run('run_c'));
      const runs = await dest.listRuns!();
      expect(runs.map((r) => [r.runId, r.status, r.endedAt])).toEqual([
        ['run_a', 'partial', '2026-01-01T00:05:00.000Z'],
        ['run_b', 'failed', null],
        ['run_c', 'running', null],
        ['run_x', 'running', null],
      ]);
      expect(runs[0]!.streams).toEqual(counts);
      expect(runs[1]!.error).toMatch(/stopped without finishing .*run_c/);
      expect(runs[1]!.streams).toEqual([
        // JSONL appends only what changed: run_b's page was already stored as it is.
        {
          stream: 'events',
          partition: 'project:p1',
          recordsRead: 4,
          recordsWritten: h.kind === 'jsonl' ? 0 : 4,
          pages: 1,
        },
      ]);
    });

    it('reads as empty before anything was prepared', async () => {
      expect(await dest.countRecords('events')).toBe(0);
      expect(await dest.listRecords('events')).toEqual([]);
      expect(await dest.readCheckpoint('src_1', 'events', '')).toBeNull();
      expect(await dest.readCheckpoints('src_1')).toEqual([]);
      expect((await dest.describe()).streams).toEqual([]);
    });
  });
}
