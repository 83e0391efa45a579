import { sleep } from '../../core/sleep.js';
import { displayDestinationUrl } from '../../destinations/index.js';
import type { JobQueue } from '../../queue/port.js';
import type { Runtime } from '../../runtime.js';
import type { Run, RunStream } from '../../store/models.js';
import { RunEvents, type RunSummary, type RunTotalsJson, type RunWarning } from '../events.js';
import { storedStreamSummaries } from '../history.js';
import type { RunHandle } from '../run.js';
import type { UnitResult } from './data.js';
import { cancelQueuedRun } from './enqueue.js';

export interface FollowRunOptions {
  /** How often the store is read. Default 500 ms. */
  pollMs?: number;
  /** With the queue, `cancel()` cancels the run everywhere and the summary carries the units' warnings. */
  queue?: JobQueue;
  /** Stops following (the run goes on). */
  signal?: AbortSignal;
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
      // A run whose units wait on the queue has no process reading it: the follower keeps it from looking stale.
      await store.runs.heartbeat(runId).catch(() => true);
      await sleep(pollMs, stop.signal).catch(() => undefined);
    }
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
      if (options.queue) void cancelQueuedRun(options.queue, runId).catch(() => undefined);
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
