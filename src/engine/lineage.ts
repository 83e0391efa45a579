import { toSnagError } from '../core/errors.js';
import type { Destination, RunRecord } from '../destinations/types.js';
import type { FinalStatus } from './events.js';

/**
 * A run's row in the destination's `_snagsync_runs` (lineage: a load auditable from SQL alone). Written when the run
 * starts (running) and when it ends; the records per stream are counted by the destination with each page. A run
 * killed before its end stays `running` until the next run of its source marks it failed.
 */
export interface RunLineage {
  runId: string;
  sourceId: string;
  sourceName: string;
  trigger: string;
  startedAt: string;
}

export async function recordRunStart(dest: Destination, run: RunLineage): Promise<void> {
  await dest.recordRun?.({ ...run, endedAt: null, status: 'running', error: null });
}

/** Returns a warning's words when the row could not be written (the run's own outcome stands). */
export async function recordRunEnd(
  dest: Destination,
  run: RunLineage,
  end: { status: FinalStatus; endedAt: string; error: string | null },
): Promise<string | null> {
  const record: RunRecord = { ...run, ...end };
  try {
    await dest.recordRun?.(record);
    return null;
  } catch (err) {
    return `The run's end could not be recorded in the destination's _snagsync_runs: ${toSnagError(err).message}`;
  }
}
