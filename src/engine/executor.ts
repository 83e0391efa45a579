import type { Runtime } from '../runtime.js';
import type { Run, RunTrigger } from '../store/models.js';
import { startRun, type RunHandle } from './run.js';

/**
 * Where a run started by a long-lived process (`snagsync serve`, its scheduler) executes. The caller gets a
 * `RunHandle` whichever it is: the run's id once it exists, its typed progress events, `done`, `cancel()`.
 *
 *  - in-process: `startRun` here, sharing this process's event loop (the CLI's `sync`, tests that need it);
 *  - process: a child process per run (process-executor.ts), so synchronous SQLite writes and JSON parsing never
 *    stall the server's answers;
 *  - a job queue's executor can implement the same interface: enqueue, then follow the run it records.
 *
 * Only what can cross a process boundary is asked for (no destination object, no client options with functions):
 * everything else the run reads from the source, the home and its environment, as a `startRun` in-process would.
 */
export interface ExecutorStartOptions {
  trigger: RunTrigger;
  fullRefresh?: boolean;
  /** Only these streams (their parents are added). Default: the source's streams. */
  streams?: readonly string[];
}

export interface RunExecutor {
  /** `in-process`, `process`, … — shown in logs and docs. */
  readonly kind: string;
  /**
   * Runs execute elsewhere, side by side (workers of a cluster): the scheduler starts every due run before waiting
   * for any, and a server that closes stops following its runs instead of cancelling them. Otherwise due runs go one
   * after the other, and a closing server cancels what it runs.
   */
  readonly sideBySide?: boolean;
  /**
   * Cancels a run of this executor's kind that this process does not follow (a queued run another process enqueued):
   * resolves false when the run is not one it can reach.
   */
  cancel?(runtime: Runtime, run: Run): Promise<boolean>;
  /**
   * Starts a sync of the source. Resolves once the run exists; rejects like `startRun` when it cannot start
   * (unknown source, one already running — conflict —, disabled, no credential, a vault problem).
   */
  start(runtime: Runtime, sourceRef: string, options: ExecutorStartOptions): Promise<RunHandle>;
  /** Settles once whatever it started has gone (child processes exited); called after the runs have ended. */
  close?(): Promise<void>;
}

export const inProcessExecutor: RunExecutor = {
  kind: 'in-process',
  start: (runtime, sourceRef, options) =>
    startRun(runtime, sourceRef, {
      trigger: options.trigger,
      ...(options.fullRefresh ? { fullRefresh: true } : {}),
      ...(options.streams?.length ? { streams: options.streams } : {}),
    }),
};
