import type { Logger } from '../../core/log.js';
import { activeRun, inProcessExecutor, type RunExecutor, type RunHandle, type RunSummary } from '../../engine/index.js';
import type { Runtime } from '../../runtime.js';
import type { Run, RunTrigger } from '../../store/models.js';

/**
 * The runs this server process is executing (started from the UI, the API or the embedded scheduler), by run id.
 * A run's progress events live only in its process, so the live view and the SSE endpoint find them here; the
 * store has the history of every run, whoever ran it. Finished runs stay for a while (the newest `keepFinished`):
 * a browser that reconnects just after the end still gets the whole story and the summary with its warnings.
 *
 * Runs execute through the registry's executor: `snagsync serve` gives it a child process per run (see
 * engine/process-executor.ts), so syncs never share the event loop that answers requests.
 */

export interface TrackedRun {
  handle: RunHandle;
  trigger: RunTrigger;
  /** Set once the run has ended. */
  summary: RunSummary | null;
}

export interface StartOptions {
  trigger: RunTrigger;
  fullRefresh?: boolean;
  streams?: readonly string[];
}

export class RunRegistry {
  private readonly runs = new Map<string, TrackedRun>();
  private readonly finishedOrder: string[] = [];
  private readonly startListeners = new Set<(run: TrackedRun) => void>();
  private stopping = false;

  constructor(
    private readonly runtime: Runtime,
    private readonly logger: Logger,
    readonly executor: RunExecutor = inProcessExecutor,
    private readonly keepFinished = 50,
  ) {}

  /** Starts a sync of the source now. Rejects like `startRun`: unknown source, one already live (conflict), disabled… */
  async start(sourceRef: string, options: StartOptions): Promise<TrackedRun> {
    const handle = await this.executor.start(this.runtime, sourceRef, {
      trigger: options.trigger,
      ...(options.fullRefresh ? { fullRefresh: true } : {}),
      ...(options.streams?.length ? { streams: options.streams } : {}),
    });
    return this.track(handle, options.trigger);
  }

  /** A run started elsewhere in this process (the embedded scheduler): shown live like the others. */
  adopt(handle: RunHandle, trigger: RunTrigger): TrackedRun {
    return this.runs.get(handle.runId) ?? this.track(handle, trigger);
  }

  /**
   * A run of this process: one this registry started or adopted, or one started in-process by other code (an app
   * embedding the server, the library) that the engine still has — adopted on first sight, so it shows live too.
   */
  get(runId: string): TrackedRun | undefined {
    const known = this.runs.get(runId);
    if (known) return known;
    const handle = activeRun(runId);
    return handle ? this.track(handle, 'api') : undefined;
  }

  /** The source's run in progress in this process, if any. */
  liveFor(sourceId: string): TrackedRun | undefined {
    for (const r of this.runs.values()) if (r.summary === null && r.handle.sourceId === sourceId) return r;
    return undefined;
  }

  live(): TrackedRun[] {
    return [...this.runs.values()].filter((r) => r.summary === null);
  }

  /** Asks a live run to stop (it ends `cancelled`, keeping what it committed). False when it is not live here. */
  cancel(runId: string, reason = 'Cancelled from snagsync serve.'): boolean {
    const r = this.runs.get(runId);
    if (!r || r.summary !== null) return false;
    r.handle.cancel(reason);
    return true;
  }

  /** Called for every run this registry starts tracking; returns the unsubscribe function. */
  onStart(listener: (run: TrackedRun) => void): () => void {
    this.startListeners.add(listener);
    return () => this.startListeners.delete(listener);
  }

  /**
   * A run this process does not follow, cancelled through the executor where it can reach it (a queued run another
   * process enqueued: its units stop on whichever worker holds them). False when it cannot.
   */
  async cancelElsewhere(run: Run): Promise<boolean> {
    return (await this.executor.cancel?.(this.runtime, run)) ?? false;
  }

  /**
   * The server is closing. Runs it executes (in-process or in its children) are cancelled and recorded, so none is
   * left `running`; runs on a cluster's workers go on there and are only no longer followed.
   */
  async shutdown(): Promise<void> {
    this.stopping = true;
    const live = this.live();
    for (const r of live) {
      if (this.executor.sideBySide && r.handle.detach) r.handle.detach();
      else r.handle.cancel('snagsync serve stopped.');
    }
    await Promise.all(live.map((r) => r.handle.done));
    await this.executor.close?.();
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  private track(handle: RunHandle, trigger: RunTrigger): TrackedRun {
    const run: TrackedRun = { handle, trigger, summary: null };
    this.runs.set(handle.runId, run);
    this.logger.info(
      { run_id: handle.runId, source_id: handle.sourceId, trigger, executor: this.executor.kind },
      'run started',
    );
    void handle.done.then((summary) => {
      run.summary = summary;
      if (this.stopping && this.executor.sideBySide && handle.detach) {
        this.logger.info({ run_id: handle.runId }, 'run left to the workers (the server stopped following it)');
        return;
      }
      this.logger.info(
        {
          run_id: handle.runId,
          status: summary.status,
          records_read: summary.totals.records_read,
          error: summary.error?.error,
        },
        'run finished',
      );
      this.finishedOrder.push(handle.runId);
      while (this.finishedOrder.length > this.keepFinished) this.runs.delete(this.finishedOrder.shift()!);
    });
    for (const l of [...this.startListeners]) {
      try {
        l(run);
      } catch {
        this.startListeners.delete(l);
      }
    }
    return run;
  }
}
