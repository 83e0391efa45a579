import type { RunRecord, RunStreamCounts } from './types.js';

/**
 * Lineage shared by the destinations: `_snagsync_runs` (a row per run, written when it starts and when it ends) and
 * `_snagsync_run_streams` (its records per stream and partition, counted in each page's transaction). A child table
 * rather than a JSON column: the counts are committed with every page (an upsert of one small row, no rewrite of a
 * growing JSON value), and SQL joins and sums them the same way in SQLite and PostgreSQL.
 */

export interface RunRow {
  run_id: string;
  source_id: string;
  source_name: string | null;
  trigger: string | null;
  started_at: string | Date;
  ended_at: string | Date | null;
  status: RunRecord['status'];
  error: string | null;
}

export interface RunStreamRow {
  run_id: string;
  stream: string;
  partition: string;
  records_read: number | string;
  records_written: number | string;
  pages: number | string;
}

export function runOf(r: RunRow, counts: readonly RunStreamRow[]): RunRecord & { streams: RunStreamCounts[] } {
  return {
    runId: r.run_id,
    sourceId: r.source_id,
    sourceName: r.source_name ?? '',
    trigger: r.trigger ?? '',
    startedAt: iso(r.started_at),
    endedAt: r.ended_at === null ? null : iso(r.ended_at),
    status: r.status,
    error: r.error,
    streams: counts
      .filter((c) => c.run_id === r.run_id)
      .map((c) => ({
        stream: c.stream,
        partition: c.partition,
        recordsRead: Number(c.records_read),
        recordsWritten: Number(c.records_written),
        pages: Number(c.pages),
      })),
  };
}

/** The error of a run left `running` by a process that is gone, found by the next run of its source. */
export function killedMessage(by: string): string {
  return `stopped without finishing (found still running when run ${by} of the same source started)`;
}

function iso(v: string | Date): string {
  return v instanceof Date ? v.toISOString() : v;
}
