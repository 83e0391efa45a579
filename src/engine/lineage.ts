import { toSnagError } from '../core/errors.js';
import { openDestination } from '../destinations/index.js';
import type { Destination, RunRecord } from '../destinations/types.js';
import type { Runtime } from '../runtime.js';
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

/**
 * Writes a run of the store into its source's destination as the store has it now (running, or ended with its status
 * and error): for runs executed by a cluster's workers, whose plan and last unit are where it starts and ends. Pass the
 * destination when one is open; otherwise the source's is opened and closed. A destination that records no runs, or a
 * run or source that is gone, is left as it is.
 */
export async function recordStoredRun(runtime: Runtime, runId: string, dest?: Destination): Promise<void> {
  const run = await runtime.store.runs.get(runId);
  const source = run ? await runtime.store.sources.get(run.source_id) : null;
  if (!run || !source) return;
  const target = dest ?? (await openDestination(source.destination, { home: runtime.home }));
  try {
    await target.recordRun?.({
      runId: run.id,
      sourceId: source.id,
      sourceName: source.name,
      trigger: run.trigger,
      startedAt: run.started_at,
      endedAt: run.status === 'running' ? null : run.finished_at,
      status: run.status,
      error: run.status === 'running' ? null : (run.error?.message ?? null),
    });
  } finally {
    if (!dest) await target.close();
  }
}
