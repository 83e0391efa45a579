// Runs on the job queue: enqueue a run, execute its units on workers, follow it from anywhere (see execute.ts).
export {
  enqueueRun,
  cancelQueuedRun,
  withdrawQueuedUnits,
  queuedExecutor,
  type EnqueueRunOptions,
  type QueuedRun,
} from './enqueue.js';
export { followRun, type FollowRunOptions } from './follow.js';
export {
  startWorker,
  WORKER_ALIVE_MS,
  WORKER_BEAT_MS,
  type WorkerEvent,
  type WorkerHandle,
  type WorkerOptions,
  type WorkerStop,
} from './worker.js';
export { executeJob, type JobOutcome, type UnitExecutionOptions } from './execute.js';
export { openRunQueue, queueConfigured, QUEUE_LEASE_ENV, type OpenRunQueueOptions } from './open.js';
