import { sleep } from '../../core/sleep.js';
import { displayDestinationUrl } from '../../destinations/index.js';
import type { JobQueue } from '../../queue/port.js';
import type { Runtime } from '../../runtime.js';
import type { Run, RunStream } from '../../store/models.js';
import { RunEvents, type RunSummary, type RunTotalsJson, type RunWarning } from '../events.js';
import { storedStreamSummaries } from '../history.js';
import type { RunHandle } from '../run.js';
import type { UnitResult } from './data.js';
import { cancelQueuedRun, withdrawQueuedUnits } from './enqueue.js';
import { WORKER_ALIVE_MS } from './worker.js';

export interface FollowRunOptions {
  /** How often the store is read. Default 500 ms. */
  pollMs?: number;
  /** With the queue, `cancel()` cancels the run everywhere and the summary carries the units' warnings. */
  queue?: JobQueue;
  /** Stops following (the run goes on). */
  signal?: AbortSignal;
  /**
   * After `cancel()`, stop following once this long has passed without the run ending (a worker still ending the
   * unit it executes; the run ends cancelled there). Default: follow until it ends.
   */
  cancelWaitMs?: number;
  /**
   * With the queue: told when no worker is alive to execute the run (`alive: 0`, the first look included), and when
   * one is again after that. Without it, nobody looks.
   */
  onWorkers?: (change: { runId: string; alive: number }) => void;
  /** How often the queue is asked which workers are alive. Default 2 s. */
  workersEveryMs?: number;
}

/**
 * Follows a run executed anywhere (any worker of the cluster) through the store: the same progress events a local
 * run emits — stream starts, pages, stream ends, the run's end with its summary — made from the run's stream rows,
 * which every unit saves after each page. Short polling rather than LISTEN/NOTIFY: the rows are already written for
 * the run history, so reading them twice a second costs one small query and no second write path, works with any
 * store (SQLite too) and through connection poolers that drop LISTEN, and a progress bar needs no better than
 * half a second.
 */
export async function followRun(runtime: Runtime, runId: string, options: FollowRunOptions = {}): Promise<RunHandle> {
  const { store } = runtime;
  const run = await store.runs.findById(runId);
  const source = await store.sources.get(run.source_id);
  const events = new RunEvents(runId);
  const pollMs = options.pollMs ?? 500;
  const stop = new AbortController();
  const outer = options.signal;
  outer?.addEventListener('abort', () => stop.abort(), { once: true });
  const sourceName = source?.name ?? run.source_id;
  const fullRefresh = run.options.full_refresh === true;
  const seen = new Map<string, RunStream>();
  const queue = options.queue;
  let cancelling = false;
  let cancelTimer: NodeJS.Timeout | undefined;
  // Wakes the poll's sleep, so that a run the cancel has just ended is seen now rather than a poll later.
  let nap: AbortController | undefined;
  let nudged = false;
  const wake = () => {
    nudged = true;
    nap?.abort();
  };
  let alive: number | undefined;
  let workersAt = -Infinity;
  const lookForWorkers = async () => {
    if (!queue || !options.onWorkers || Date.now() - workersAt < (options.workersEveryMs ?? 2000)) return;
    workersAt = Date.now();
    const n = await queue.workers(WORKER_ALIVE_MS).then(
      (w) => w.length,
      () => undefined, // asked again at the next look
    );
    if (n === undefined) return;
    if (n === 0 ? alive !== 0 : alive === 0) options.onWorkers({ runId, alive: n });
    alive = n;
  };

  const emitRows = (rows: readonly RunStream[]) => {
    for (const r of rows) {
      const key = `${r.stream}@${r.partition}`;
      const before = seen.get(key);
      if (!before)
        events.emit({
          type: 'stream-start',
          stream: r.stream,
          partition: r.partition,
          ...(r.partition_label ? { partitionLabel: r.partition_label } : {}),
          mode: fullRefresh ? 'full_refresh' : 'incremental',
          resumed: false,
        });
      if (r.records_read > (before?.records_read ?? 0) || r.pages > (before?.pages ?? 0))
        events.emit({
          type: 'page',
          stream: r.stream,
          partition: r.partition,
          records: r.records_read - (before?.records_read ?? 0),
          recordsRead: r.records_read,
          pages: r.pages,
        });
      if (r.outcome && !before?.outcome)
        events.emit({
          type: 'stream-done',
          stream: r.stream,
          partition: r.partition,
          outcome: r.outcome,
          recordsRead: r.records_read,
          recordsWritten: r.records_written,
          pages: r.pages,
          requests: r.requests,
          retries: r.retries,
          waitMs: r.wait_ms,
          durationMs: r.duration_ms,
          ...(r.message ? { message: r.message } : {}),
        });
      seen.set(key, r);
    }
  };

  const done = (async (): Promise<RunSummary> => {
    events.emit({
      type: 'run-start',
      sourceId: run.source_id,
      sourceName,
      streams: Array.isArray(run.options.streams) ? (run.options.streams as string[]) : (source?.config.streams ?? []),
      fullRefresh,
      trigger: run.trigger,
      destination: source ? displayDestinationUrl(source.destination) : '',
    });
    let current: Run = run;
    let planned = false;
    for (;;) {
      current = (await store.runs.get(runId)) ?? current;
      if (!planned && options.queue) {
        const p = ((await options.queue.results(runId).catch(() => new Map())).get('plan') as UnitResult | undefined)
          ?.plan;
        if (p) {
          planned = true;
          events.emit({ type: 'plan', organizations: p.organizations, projects: p.projects });
        }
      }
      emitRows(await store.runs.listStreams(runId));
      if (current.status !== 'running' || stop.signal.aborted) break;
      // Cancelled: said again (the first may have failed), and a job put back on the queue since (a unit yielding
      // its slot, a lease run out, units the plan enqueued as the cancel came) is taken back too, rather than left
      // for a worker to find cancelled.
      if (cancelling && queue) {
        await queue.cancelGroup(runId).catch(() => undefined);
        if ((await withdrawQueuedUnits(runtime, queue, runId).catch(() => 0)) > 0) continue;
      }
      await lookForWorkers();
      // A run whose units wait on the queue has no process reading it: the follower keeps it from looking stale.
      await store.runs.heartbeat(runId).catch(() => true);
      if (!nudged) {
        nap = new AbortController();
        await sleep(pollMs, AbortSignal.any([stop.signal, nap.signal])).catch(() => undefined);
      }
      nudged = false;
    }
    clearTimeout(cancelTimer);
    const rows = await store.runs.listStreams(runId);
    const warnings: RunWarning[] = [];
    if (options.queue) {
      for (const r of (await options.queue.results(runId).catch(() => new Map())).values())
        warnings.push(...((r as unknown as UnitResult).warnings ?? []));
    }
    const summary = summarize(
      current,
      sourceName,
      source ? displayDestinationUrl(source.destination) : '',
      rows,
      warnings,
    );
    if (current.status !== 'running')
      events.emit({ type: 'run-done', status: summary.status, error: summary.error, summary });
    return summary;
  })();

  return {
    runId,
    sourceId: run.source_id,
    sourceName,
    events,
    done,
    cancel: () => {
      if (!queue || cancelling) return;
      cancelling = true;
      // Units no worker has taken are taken back and settled here: with none in flight the run ends now.
      void cancelQueuedRun(queue, runId, runtime)
        .catch(() => undefined)
        .finally(wake);
      if (options.cancelWaitMs !== undefined) cancelTimer = setTimeout(() => stop.abort(), options.cancelWaitMs);
    },
    detach: () => stop.abort(),
  };
}

function summarize(
  run: Run,
  sourceName: string,
  destination: string,
  rows: readonly RunStream[],
  warnings: RunWarning[],
): RunSummary {
  const totals: RunTotalsJson = {
    records_read: run.totals.records_read,
    records_written: run.totals.records_written,
    pages: 0,
    requests: run.totals.requests,
    retries: 0,
    rate_limited: 0,
    rate_limit_waits: 0,
    rate_limit_wait_ms: run.totals.rate_limit_wait_ms,
  };
  for (const r of rows) {
    totals.pages += r.pages;
    totals.retries += r.retries;
  }
  const finished = run.finished_at ?? new Date().toISOString();
  return {
    run_id: run.id,
    source_id: run.source_id,
    source_name: sourceName,
    status: run.status === 'running' ? 'cancelled' : run.status,
    trigger: run.trigger,
    full_refresh: run.options.full_refresh === true,
    destination,
    started_at: run.started_at,
    finished_at: finished,
    duration_ms: Date.parse(finished) - Date.parse(run.started_at),
    error: run.error ? { exit_code: 1, ...run.error } : null,
    totals,
    streams: storedStreamSummaries(rows),
    warnings,
  };
}
