import { describe, expect, it } from 'vitest';
import { backfillLabel, RunEvents, type RunEvent, type RunEventBody } from '../../src/engine/events.js';
import { liveRun } from '../../src/server/components/run-live.js';
import { reduceRunEvents } from '../../src/server/runs/live-state.js';
import type { BackfillProgress } from '../../src/streams/types.js';

/**
 * A bulk backfill's phases in the live view: the row of the partition says where the export stands (the words the
 * event carries, the same the CLI's bars show), the estimate sizes its progress bar, and the finished stream's
 * outcome replaces the phase. The run's history keeps only the latest phase per partition, like pages.
 */
let seq = 0;
const ev = (body: RunEventBody): RunEvent =>
  ({ ...body, runId: 'run_x', seq: ++seq, at: '2026-01-15T00:00:00.000Z' }) as RunEvent;
const phase = (p: BackfillProgress): RunEventBody => ({
  type: 'backfill',
  stream: 'events',
  partition: 'project:p1',
  ...p,
  label: backfillLabel(p),
});
const w = { window: 2, windows: 5, since: '2025-01-01T00:00:00Z', before: '2026-01-01T00:00:00Z' };

describe('bulk backfill in the live view', () => {
  it('shows the phase in words on the partition row, sized by the estimate, until the stream is done', () => {
    const events = [
      ev({ type: 'stream-start', stream: 'events', partition: 'project:p1', mode: 'incremental', resumed: false }),
      ev(phase({ phase: 'estimated', window: 0, windows: 1, since: null, before: w.before, total: 250_000 })),
      ev(phase({ phase: 'preparing', ...w, status: 'IN_PROGRESS', total: 60_000 })),
      ev(phase({ phase: 'downloading', ...w, bytes: 12_345_678, records: 4_500, total: 60_000 })),
    ];
    const state = reduceRunEvents(events);
    expect(state.streams[0]!.estimate).toBe(250_000);
    expect(state.streams[0]!.phase).toBe('export 2 of 5: downloading 12.3 MB, 4,500 of 60,000 events');
    const html = liveRun('run_x', state).toString();
    expect(html).toContain('export 2 of 5: downloading 12.3 MB, 4,500 of 60,000 events');
    expect(html).toContain('of ~250,000');

    reduceRunEvents(
      [
        ev({
          type: 'stream-done',
          stream: 'events',
          partition: 'project:p1',
          outcome: 'ok',
          recordsRead: 250_000,
          recordsWritten: 250_000,
          pages: 500,
          requests: 20,
          retries: 0,
          waitMs: 0,
          durationMs: 1000,
        }),
      ],
      state,
    );
    expect(liveRun('run_x', state).toString()).toContain('✓ done');
  });

  it('names each phase; the history keeps the latest phase of a partition only', () => {
    expect(backfillLabel({ phase: 'requested', ...w })).toBe('export 2 of 5: requested');
    expect(backfillLabel({ phase: 'fallback', ...w })).toBe('bulk backfill refused: reading the events list');
    expect(backfillLabel({ phase: 'done', ...w, window: 5 })).toBe('bulk backfill done');
    const run = new RunEvents('run_y');
    for (let i = 1; i <= 100; i++) run.emit(phase({ phase: 'writing', ...w, records: i * 500 }));
    const kept = run.history().filter((e) => e.type === 'backfill');
    expect(kept).toHaveLength(1);
    expect(kept[0]!.type === 'backfill' && kept[0]!.records).toBe(50_000);
  });
});
