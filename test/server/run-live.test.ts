import { describe, expect, it } from 'vitest';
import type { RunEvent, RunEventBody } from '../../src/engine/index.js';
import { liveRun } from '../../src/server/components/run-live.js';
import { reduceRunEvents } from '../../src/server/runs/live-state.js';

/**
 * The live view names partitions as people know them: the name a stream-start event brings ("Checkout (Acme)") on
 * its rows and on the warnings and errors that name the partition by key only; the id where no name came (events of
 * an older snagsync, nameless projects). The same rule is mirrored in static/app.js (checked in the browser tests).
 */
let seq = 0;
const ev = (body: RunEventBody): RunEvent =>
  ({ ...body, runId: 'run_x', seq: ++seq, at: '2026-01-15T00:00:00.000Z' }) as RunEvent;

describe('the live view of a run', () => {
  it('shows the names stream-start gave, on rows, warnings and errors; the id where none came', () => {
    const state = reduceRunEvents([
      ev({
        type: 'stream-start',
        stream: 'errors',
        partition: 'project:p1',
        partitionLabel: 'Checkout <Web> (Acme)',
        mode: 'incremental',
        resumed: false,
      }),
      ev({ type: 'warning', stream: 'errors', partition: 'project:p1', code: 'unsorted', message: 'read unsorted' }),
      ev({ type: 'page', stream: 'events', partition: 'project:p1', records: 30, recordsRead: 30, pages: 1 }),
      ev({
        type: 'stream-done',
        stream: 'errors',
        partition: 'project:p1',
        outcome: 'failed',
        recordsRead: 0,
        recordsWritten: 0,
        pages: 0,
        requests: 3,
        retries: 2,
        waitMs: 0,
        durationMs: 10,
        message: 'Bugsnag failed',
      }),
      ev({ type: 'stream-start', stream: 'errors', partition: 'project:p2', mode: 'incremental', resumed: false }),
    ]);
    expect(state.streams.map((r) => [r.key, r.label])).toEqual([
      ['errors|project:p1', 'Checkout <Web> (Acme)'],
      // Its page came without a stream-start of its own: the partition's name is known all the same.
      ['events|project:p1', 'Checkout <Web> (Acme)'],
      ['errors|project:p2', null],
    ]);
    const page = liveRun('run_x', state).toString();
    expect(page).toContain('data-partition="project:p1" data-partition-label="Checkout &lt;Web&gt; (Acme)"');
    expect(page.match(/<td data-label="Partition">Checkout &lt;Web&gt; \(Acme\)<\/td>/g)).toHaveLength(2);
    expect(page).toContain('<td data-label="Partition">project p2</td>');
    expect(page).toContain('<span class="muted">Checkout &lt;Web&gt; (Acme)</span>: read unsorted');
    expect(page).toContain('<span class="muted">Checkout &lt;Web&gt; (Acme)</span>: Bugsnag failed');
    expect(page).not.toContain('project p1');
  });
});
