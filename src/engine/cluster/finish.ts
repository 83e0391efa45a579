import { SnagError } from '../../core/errors.js';
import { recordTokenAccepted } from '../../credentials/service.js';
import type { JobQueue } from '../../queue/port.js';
import type { Runtime } from '../../runtime.js';
import type { RunError } from '../../store/models.js';
import type { FinalStatus } from '../events.js';
import { cancelledError, errorJson } from '../failures.js';
import { recordStoredRun } from '../lineage.js';
import { modelsAfterRun } from '../models.js';
import { nextRunAfter } from '../schedule.js';
import { notifyRunEnded } from '../notify/run.js';
import type { UnitResult } from './data.js';

/**
 * Ends a queued run once its last unit has settled: status and error from the units' results (a fatal failure
 * first, then a cancellation, then failed streams), totals summed by the store from the run's stream rows. Safe to
 * call twice (a unit retried after its lease settles again): a run no longer `running` is left as it is.
 */
export async function finishQueuedRun(runtime: Runtime, queue: JobQueue, runId: string): Promise<void> {
  const store = runtime.store;
  const run = await store.runs.get(runId);
  if (run?.status !== 'running') return;
  const results = [...(await queue.results(runId)).values()] as unknown as UnitResult[];
  const rows = await store.runs.listStreams(runId);
  const fatal = results.find((r) => r.fatal && r.error)?.error;
  const cancelled = results.some((r) => r.outcome === 'cancelled') || (await queue.isCancelled(runId));
  const failed = rows.some((r) => r.outcome === 'failed') || results.some((r) => r.outcome === 'failed');
  const status: FinalStatus = fatal
    ? fatal.error === 'aborted'
      ? 'cancelled'
      : 'failed'
    : cancelled
      ? 'cancelled'
      : failed
        ? rows.some((r) => r.outcome === 'ok')
          ? 'partial'
          : 'failed'
        : 'succeeded';
  const error =
    status === 'succeeded'
      ? null
      : (fatal ??
        (status === 'cancelled'
          ? errorJson(cancelledError())
          : (results.find((r) => r.error)?.error ?? errorJson(new SnagError('internal', 'The run failed.')))));
  const finishedAt = new Date();
  await store.runs.finish(runId, { status, error: error as RunError | null });
  // Lineage: the run's end in its destination's _snagsync_runs. The run's outcome stands if the destination cannot
  // be written now; its row stays `running` until the source's next run marks it failed.
  await recordStoredRun(runtime, runId).catch(() => undefined);
  const source = await store.sources.get(run.source_id);
  // The analytics views, when the source asks for them. A queued run has no summary to carry the warning: a view
  // that could not be applied says why at `snagsync models apply` (or the next in-process run).
  if (source) await modelsAfterRun(runtime, source, status);
  if (source?.schedule)
    await store.sources.update(source.id, { next_run_at: nextRunAfter(source.schedule, finishedAt) });
  if (source?.credential_id && results.some((r) => r.answered) && !fatal) {
    const credential = await store.credentials.get(source.credential_id);
    if (credential) await recordTokenAccepted(store, credential, finishedAt).catch(() => undefined);
  }
  await notifyRunEnded(runtime, runId);
}
