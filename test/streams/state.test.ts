import { describe, expect, it } from 'vitest';
import { loadState, WindowState } from '../../src/streams/state.js';

describe('checkpoints releases stored before they moved to the window pass', () => {
  it('keep their cursor and last full pass; a half-done pass of the old shape starts again, without a warning', () => {
    const warnings: string[] = [];
    const old = {
      cursor: '2026-01-10T08:00:00.000Z',
      lastFullPassAt: '2026-01-10T00:00:00.000Z',
      pass: {
        base: '2026-01-11T00:00:00Z',
        full: false,
        nextUrl: 'http://127.0.0.1:1/projects/p/releases?offset=10',
        maxSeen: '2026-01-10T09:00:00.000Z',
        startedAt: '2026-01-11T00:00:00.000Z',
      },
    };
    expect(loadState(WindowState, old, (code) => warnings.push(code))).toEqual({
      cursor: old.cursor,
      lastFullPassAt: old.lastFullPassAt,
    });
    const completed = { cursor: old.cursor, lastFullPassAt: old.lastFullPassAt };
    expect(loadState(WindowState, completed, (code) => warnings.push(code))).toEqual(completed);
    expect(warnings).toEqual([]);
  });

  it('a window pass in progress is kept, and a checkpoint of no known shape is dropped with a warning', () => {
    const warnings: string[] = [];
    const current = {
      cursor: '2026-01-10T08:00:00Z',
      pass: {
        since: null,
        upperBound: '2026-01-11T00:00:00Z',
        startedAt: '2026-01-11T00:00:00.000Z',
        nextUrl: 'x',
        newestSeen: '2026-01-10T09:00:00Z',
      },
    };
    expect(loadState(WindowState, current, (code) => warnings.push(code))?.pass).toMatchObject({
      nextUrl: 'x',
      newestSeen: '2026-01-10T09:00:00Z',
      before: null,
    });
    expect(loadState(WindowState, { pass: { base: 3 } }, (code) => warnings.push(code))).toBeNull();
    expect(warnings).toEqual(['checkpoint-unreadable']);
  });
});
