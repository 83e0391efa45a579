import { describe, expect, it } from 'vitest';
import { ProtocolDestination } from '../../src/protocols/destination.js';

/** The stdout destination's rules about state: what it gives the engine back, and what it emits. */
function make(
  selected: Array<[string, 'full_refresh' | 'incremental']>,
  initial: Record<string, Record<string, unknown>>,
) {
  const pages: Array<{ stream: string; records: number; partitions: Record<string, unknown> }> = [];
  const dest = new ProtocolDestination(
    selected.map(([name, mode]) => ({ name, mode })),
    initial,
    { page: (stream, records, state) => pages.push({ stream, records: records.length, partitions: state.partitions }) },
  );
  return { dest, pages };
}

const done = { cursor: '2026-01-10T00:00:00.000Z' };
const cutShort = {
  pass: {
    since: null,
    upperBound: '2026-01-10T00:00:00.000Z',
    startedAt: '2026-01-10T00:00:00.000Z',
    nextUrl: 'http://127.0.0.1/x',
  },
};
const incrementalPass = {
  cursor: '2026-01-09T00:00:00.000Z',
  pass: { since: '2026-01-09T00:00:00.000Z', upperBound: '2026-01-10T00:00:00.000Z', startedAt: 'x' },
};

describe('ProtocolDestination', () => {
  it('incremental: the given state is what the engine resumes from', async () => {
    const { dest } = make([['events', 'incremental']], { events: { 'project:a': done, 'project:b': incrementalPass } });
    expect(await dest.readCheckpoint('s', 'events', 'project:a')).toEqual(done);
    expect(await dest.readCheckpoint('s', 'events', 'project:b')).toEqual(incrementalPass);
    expect(await dest.readCheckpoint('s', 'events', 'project:c')).toBeNull();
  });

  it('full refresh: a finished or incremental state is ignored, a full pass cut short is resumed', async () => {
    const { dest } = make([['events', 'full_refresh']], {
      events: { 'project:a': done, 'project:b': incrementalPass, 'project:c': cutShort },
    });
    expect(await dest.readCheckpoint('s', 'events', 'project:a')).toBeNull();
    expect(await dest.readCheckpoint('s', 'events', 'project:b')).toBeNull();
    expect(await dest.readCheckpoint('s', 'events', 'project:c')).toEqual(cutShort);
  });

  it('each page emits the stream state with every partition; a stream read only for another is not emitted', async () => {
    const { dest, pages } = make([['comments', 'incremental']], { comments: { 'project:a': { errors: {} } } });
    await dest.writePage('errors', [{ id: '1' }], { sourceId: 's', partition: 'project:b', state: cutShort });
    await dest.writePage('comments', [{ id: 'c' }, { id: 'd' }], {
      sourceId: 's',
      partition: 'project:b',
      state: { errors: { 1: [2, null] } },
    });
    expect(pages).toEqual([
      {
        stream: 'comments',
        records: 2,
        partitions: { 'project:a': { errors: {} }, 'project:b': { errors: { 1: [2, null] } } },
      },
    ]);
    // The hidden parent's progress still serves this run's later reads of it.
    expect(await dest.readCheckpoint('s', 'errors', 'project:b')).toEqual(cutShort);
    expect(await dest.countRecords('comments')).toBe(2);
    expect(await dest.countRecords('errors')).toBe(0);
  });
});
