import type { Logger } from '../../core/log.js';
import { isAbortError, SnagError, toSnagError } from '../../core/errors.js';
import type { Runtime } from '../../runtime.js';
import { applying, inputBeingApplied } from '../../store/errors.js';
import { applyingNow } from '../../store/writebacks.js';
import type { DataSinkRecord, SinkRunRecord, SinkRunStatus } from '../../store/index.js';
import { planView, type WritebackReport, type WritebackSession } from '../../writeback/index.js';
import { prepareSink } from './config.js';

/**
 * The write-back runs this server process is applying, by run id, with their progress as a sequence of events (for
 * the live view and the SSE endpoint). The store keeps every run and its per-row report; the events live only here.
 * One live run per sink: the store refuses a second (409), whichever process started the first.
 */

export type SinkRunEvent =
  | { type: 'run-start'; runId: string; seq: number; at: string; rows: number; writes: number }
  | { type: 'progress'; runId: string; seq: number; at: string; done: number; total: number }
  | {
      type: 'run-done';
      runId: string;
      seq: number;
      at: string;
      status: SinkRunStatus;
      totals: WritebackReport['totals'] | null;
      writes: number | null;
      error: Record<string, unknown> | null;
    };

type Payload<T> = T extends unknown ? Omit<T, 'runId' | 'seq' | 'at'> : never;

/** A run's events: progress events replace the previous one (each carries the running count), the rest are kept. */
export class SinkRunEvents {
  private readonly log: SinkRunEvent[] = [];
  private readonly listeners = new Set<(e: SinkRunEvent) => void>();
  private seq = 0;
  done = false;

  constructor(private readonly runId: string) {}

  emit(payload: Payload<SinkRunEvent>): void {
    const e = { ...payload, runId: this.runId, seq: ++this.seq, at: new Date().toISOString() } as SinkRunEvent;
    if (e.type === 'progress' && this.log.at(-1)?.type === 'progress') this.log[this.log.length - 1] = e;
    else this.log.push(e);
    if (e.type === 'run-done') this.done = true;
    for (const l of [...this.listeners]) l(e);
  }

  history(after = 0): SinkRunEvent[] {
    return this.log.filter((e) => e.seq > after);
  }

  subscribe(listener: (e: SinkRunEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export interface LiveSinkRun {
  run: SinkRunRecord;
  sinkId: string;
  events: SinkRunEvents;
  controller: AbortController;
  /** Resolves with the stored run once it has ended (never rejects). */
  done: Promise<SinkRunRecord>;
}

export class SinkRunRegistry {
  private readonly runs = new Map<string, LiveSinkRun>();
  private readonly order: string[] = [];
  /** Applies still planning, with the sink each is for: not live yet, but already holding the credential's token. */
  private readonly starting = new Map<AbortController, string>();

  constructor(
    private readonly runtime: Runtime,
    private readonly logger: Logger,
    private readonly keepFinished = 50,
  ) {}

  /**
   * Plans the sink's input and starts applying it. Rejects before anything is sent: an input with problems (400),
   * Bugsnag refusing the credential, another live apply of the same sink (409), a discard not confirmed.
   */
  async start(sink: DataSinkRecord, options: { confirm?: boolean } = {}): Promise<LiveSinkRun> {
    const controller = new AbortController();
    this.starting.set(controller, sink.id);
    return this.begin(sink, options, controller).finally(() => this.starting.delete(controller));
  }

  /** Stops the sink's applies that are still planning (each is refused with `reason`); how many there were. */
  abortStarting(sinkId: string, reason?: unknown): number {
    let n = 0;
    for (const [controller, id] of this.starting) {
      if (id !== sinkId) continue;
      controller.abort(reason);
      n++;
    }
    return n;
  }

  private async begin(
    sink: DataSinkRecord,
    options: { confirm?: boolean },
    controller: AbortController,
  ): Promise<LiveSinkRun> {
    const live = this.liveFor(sink.id);
    if (live) throw applying(sink.name, live.run.id);
    const session = await prepareSink(this.runtime, sink, { signal: controller.signal });
    const discards = session.plan.groups
      .filter((g) => g.operation === 'discard')
      .reduce((n, g) => n + g.change.length, 0);
    if (discards > 0 && options.confirm !== true) {
      throw new SnagError(
        'config',
        `This would discard ${discards} error${discards === 1 ? '' : 's'} in Bugsnag: new events of a discarded error are dropped.`,
        {
          hint: 'Check the plan, then apply with "confirm": true.',
          details: { field: 'confirm', discards },
        },
      );
    }
    // The same input with the same credential applied elsewhere (another destination, the CLI): refused now (409),
    // rather than as a failed run.
    const journal = await this.runtime.store.writebacks.find({
      input_hash: session.plan.input_hash,
      credential_id: session.credential.id,
    });
    if (journal && applyingNow(journal)) throw inputBeingApplied(journal.id, journal.pid, journal.hostname);
    const run = await this.runtime.store.sinks.startRun(sink.id, planSummary(session));
    const events = new SinkRunEvents(run.id);
    events.emit({ type: 'run-start', rows: session.plan.rows, writes: session.plan.writes });
    const tracked: LiveSinkRun = {
      run,
      sinkId: sink.id,
      events,
      controller,
      done: this.apply(run, session, events),
    };
    this.runs.set(run.id, tracked);
    this.logger.info({ run_id: run.id, sink_id: sink.id, rows: session.plan.rows }, 'write-back started');
    return tracked;
  }

  get(runId: string): LiveSinkRun | undefined {
    return this.runs.get(runId);
  }

  liveFor(sinkId: string): LiveSinkRun | undefined {
    for (const r of this.runs.values()) if (r.sinkId === sinkId && !r.events.done) return r;
    return undefined;
  }

  /** The server is closing: stop every live apply (what was sent is journaled) and wait until each is recorded. */
  async shutdown(): Promise<void> {
    const live = [...this.runs.values()].filter((r) => !r.events.done);
    for (const r of live) r.controller.abort();
    await Promise.all(live.map((r) => r.done));
  }

  private async apply(run: SinkRunRecord, session: WritebackSession, events: SinkRunEvents): Promise<SinkRunRecord> {
    let status: Exclude<SinkRunStatus, 'running'> = 'failed';
    let report: WritebackReport | null = null;
    let error: Record<string, unknown> | null = null;
    try {
      report = await session.apply({
        onProgress: (done, total) => events.emit({ type: 'progress', done, total }),
      });
      status = sinkRunStatus(report);
      error = report.stopped ? report.stopped.toJSON() : null;
    } catch (err) {
      const e = isAbortError(err) ? new SnagError('aborted', 'The write-back was interrupted.') : toSnagError(err);
      error = e.toJSON();
    }
    let stored: SinkRunRecord;
    try {
      stored = await this.runtime.store.sinks.finishRun(run.id, {
        status,
        report: report ? reportJson(report) : null,
        error,
      });
    } catch (err) {
      this.logger.error({ err, run_id: run.id }, 'write-back run could not be recorded');
      stored = { ...run, status, error, finished_at: new Date().toISOString() };
    }
    events.emit({
      type: 'run-done',
      status,
      totals: report?.totals ?? null,
      writes: report?.writes ?? null,
      error,
    });
    this.logger.info({ run_id: run.id, status, totals: report?.totals }, 'write-back finished');
    this.order.push(run.id);
    while (this.order.length > this.keepFinished) this.runs.delete(this.order.shift()!);
    return stored;
  }
}

/** Partial only when some rows went through: a run where every row failed (none applied or skipped) failed. */
export function sinkRunStatus(report: WritebackReport): Exclude<SinkRunStatus, 'running'> {
  const { applied, skipped, failed } = report.totals;
  if (report.stopped || (failed > 0 && applied + skipped === 0)) return 'failed';
  return failed ? 'partial' : 'succeeded';
}

/** What the run's record keeps of its plan: per operation and project, counts (not every row). */
export function planSummary(session: WritebackSession): Record<string, unknown> {
  const v = planView(session.plan);
  return {
    input_hash: v.input_hash,
    rows: v.rows,
    reads: v.reads,
    writes: v.writes,
    groups: v.groups.map((g) => ({
      project_id: g.project_id,
      operation: g.operation,
      params: g.params,
      change: g.change.length,
      skip: g.skip.length,
      missing: g.missing.length,
      requests: g.requests,
    })),
  };
}

export function reportJson(r: WritebackReport): Record<string, unknown> {
  return {
    journal_id: r.journal_id,
    input_hash: r.input_hash,
    attempt: r.attempt,
    totals: r.totals,
    writes: r.writes,
    rows: r.rows,
  };
}
