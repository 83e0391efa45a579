import { describe, expect, it } from 'vitest';
import type { RunEvent, RunEventBody } from '../../src/engine/index.js';
import { liveRun } from '../../src/server/components/run-live.js';
import { reduceRunEvents } from '../../src/server/runs/live-state.js';

/**
 * Issue 23, defect 1, as the server renders a live run's page: a wait is still shown (and handed to app.js to go on
 * counting down) after a page of another partition, or of its own (the answer to a request sent before the wait):
 * it ends when its time is over or its stream and partition is done.
 */

const NOW = Date.parse('2026-01-15T12:00:00Z');
let seq = 0;
const ev = (body: RunEventBody, at = NOW): RunEvent =>
  ({ ...body, runId: 'run_1', seq: ++seq, at: new Date(at).toISOString() }) as RunEvent;

const start = (partition: string) =>
  ev({ type: 'stream-start', stream: 'events', partition, mode: 'incremental', resumed: false });
const page = (partition: string, recordsRead: number) =>
  ev({ type: 'page', stream: 'events', partition, records: 30, recordsRead, pages: 1 });

describe('the live run page and rate-limit waits', () => {
  it('pages leave a wait shown until its time is over or its stream is done', () => {
    const events = [
      start('project:a'),
      start('project:b'),
      ev({ type: 'rate-limit-wait', stream: 'events', partition: 'project:a', ms: 61_000, reason: 'limit-reached' }),
      page('project:b', 30),
    ];
    const html = String(liveRun('run_1', reduceRunEvents(events), NOW + 1000));
    expect(html).toMatch(/data-live-status[^>]*>Waiting 60 s for the rate limit\./);
    expect(html).toContain('data-waits="{&quot;events|project:a&quot;:60000}"');
    const rowA = /<tr data-key="events\|project:a"[\s\S]*?<\/tr>/.exec(html)![0];
    expect(rowA).toContain('waiting 60 s for the rate limit');
    expect(rowA).toContain('data-base-state="reading"');
    const rowB = /<tr data-key="events\|project:b"[\s\S]*?<\/tr>/.exec(html)![0];
    expect(rowB).toContain('>reading<');

    const more = [...events, page('project:a', 30)];
    expect(String(liveRun('run_1', reduceRunEvents(more), NOW + 2000))).toMatch(
      /data-live-status[^>]*>Waiting 59 s for the rate limit\./,
    );
    const over = String(liveRun('run_1', reduceRunEvents(more), NOW + 62_000));
    expect(over).toMatch(/data-live-status[^>]*>Syncing… 60 records read so far\./);
    expect(over).not.toContain('data-waits');
    const done = ev({
      type: 'stream-done',
      stream: 'events',
      partition: 'project:a',
      outcome: 'ok',
      recordsRead: 30,
      recordsWritten: 30,
      pages: 1,
      requests: 1,
      retries: 0,
      waitMs: 61_000,
      durationMs: 1,
    });
    expect(String(liveRun('run_1', reduceRunEvents([...more, done]), NOW + 2000))).not.toContain('data-waits');
  });

  it('a wait that is over by the time the page renders is not shown', () => {
    const events = [
      start('project:a'),
      ev({ type: 'rate-limit-wait', stream: 'events', partition: 'project:a', ms: 5000, reason: 'limit-reached' }),
    ];
    const html = String(liveRun('run_1', reduceRunEvents(events), NOW + 6000));
    expect(html).toMatch(/data-live-status[^>]*>Syncing…/);
  });
});
