import { tokenKey } from '../../http/rate-limiter.js';
import type { JobQueue } from '../../queue/port.js';
import type { Runtime } from '../../runtime.js';
import type { RunTrigger } from '../../store/models.js';
import { selectStreams } from '../config.js';
import type { RunExecutor } from '../executor.js';
import { createRunBesidePoller } from '../poller/poller.js';
import { assertRunnable } from '../run.js';
import { followRun, type FollowRunOptions } from './follow.js';
import { RunJob, toJson, unitKey, type PlanJob, type UnitResult } from './data.js';
import { finishQueuedRun } from './finish.js';

export interface EnqueueRunOptions {
  fullRefresh?: boolean;
  streams?: readonly string[];
  trigger?: RunTrigger;
  now?: Date;
}

export interface QueuedRun {
  runId: string;
  sourceId: string;
  sourceName: string;
}

/**
 * Starts a run of a source on the queue: the run is created (it shows in `runs list` at once) and its plan job goes
 * on the token's lane; any worker takes it. Rejects as `startRun` does when the run cannot start (unknown or disabled
 * source, no credential, one already running, a vault problem).
 */
export async function enqueueRun(
  runtime: Runtime,
  queue: JobQueue,
  sourceRef: string,
  options: EnqueueRunOptions = {},
): Promise<QueuedRun> {
  const { store } = runtime;
  const source = await store.sources.findByNameOrId(sourceRef);
  assertRunnable(source);
  selectStreams(source.config, options.streams);
  const credential = await store.credentials.findByNameOrId(source.credential_id);
  // Unsealed here only to name the token's lane (a hash): a wrong master key fails now, not on a worker later.
  const lane = tokenKey(await runtime.vault.unseal(credential));
  const fullRefresh = options.fullRefresh === true;
  // A continuous source's poller stands aside for it (poller.ts), wherever the poller runs.
  const run = await createRunBesidePoller(store, {
    source_id: source.id,
    // No process owns a queued run: it lives while a worker's unit or a follower (sync, the server) beats for it,
    // so the death of the process that enqueued it does not make it look stale while workers carry it on.
    pid: null,
    trigger: options.trigger ?? 'cli',
    options: {
      full_refresh: fullRefresh,
      streams: options.streams?.length ? [...options.streams] : null,
      queued: true,
    },
  });
  const job: PlanJob = {
    v: 1,
    kind: 'plan',
    run: run.id,
    source: source.id,
    lane,
    full_refresh: fullRefresh,
    now: (options.now ?? new Date()).toISOString(),
    streams: options.streams?.length ? [...options.streams] : null,
  };
  try {
    await queue.openGroup(run.id, 1);
    await queue.enqueue([{ lane, data: toJson(job), group: run.id }]);
  } catch (err) {
    await store.runs
      .finish(run.id, {
        status: 'failed',
        error: { error: 'internal', message: `Not queued: ${(err as Error).message}` },
      })
      .catch(() => undefined);
    throw err;
  }
  return { runId: run.id, sourceId: source.id, sourceName: source.name };
}

/**
 * Cancels a queued run everywhere: units in flight stop after their page (their workers look for the cancellation
 * every two seconds), units not started settle as cancelled. With the runtime, the units no worker has taken yet are
 * taken back from the queue and settled here: a run no worker is executing ends cancelled at once, instead of waiting
 * for a worker to come and find it cancelled.
 */
export async function cancelQueuedRun(queue: JobQueue, runId: string, runtime?: Runtime): Promise<void> {
  await queue.cancelGroup(runId);
  if (runtime) await withdrawQueuedUnits(runtime, queue, runId);
}

/**
 * Takes back the run's jobs that no worker has taken and settles each as cancelled; the settle that completes the
 * run's group ends the run (cancelled: its group is). Returns how many were taken back.
 */
export async function withdrawQueuedUnits(runtime: Runtime, queue: JobQueue, runId: string): Promise<number> {
  const jobs = await queue.withdraw(runId);
  const cancelled: UnitResult = { outcome: 'cancelled' };
  for (const data of jobs) {
    const job = RunJob.safeParse(data);
    if (!job.success) continue;
    const s = await queue.settle(runId, unitKey(job.data), toJson(cancelled));
    if (s.complete) await finishQueuedRun(runtime, queue, runId);
  }
  return jobs.length;
}

/**
 * The executor of a cluster, for the scheduler (`runDue({ executor })`) and the server (`buildServer({ executor })`):
 * enqueues the run for the workers and follows it, returning the same handle as `startRun` (progress events, `done`
 * with the summary, `cancel` everywhere).
 */
export function queuedExecutor(
  queue: JobQueue,
  follow: Pick<FollowRunOptions, 'pollMs' | 'cancelWaitMs' | 'onWorkers'> = {},
): RunExecutor {
  return {
    kind: 'queue',
    sideBySide: true,
    start: async (runtime, sourceRef, options) => {
      const queued = await enqueueRun(runtime, queue, sourceRef, options);
      return followRun(runtime, queued.runId, { queue, ...follow });
    },
    cancel: async (runtime, run) => {
      if (run.options.queued !== true || run.status !== 'running') return false;
      await cancelQueuedRun(queue, run.id, runtime);
      return true;
    },
  };
}
