import type { RunEvent } from '../../engine/index.js';
import type { Run, RunError, RunStream, Source } from '../../store/models.js';
import type { ServerDeps } from '../types.js';
import { withServerAdvice } from './advice.js';

/**
 * A run as the API (`GET /api/runs/{id}`) and the run pages show it: the stored run and its per-stream rows, plus
 * what only this process knows while it runs or shortly after (warnings with their codes, rate-limit wait counts).
 * For a run made by another process (the CLI, a cron job) the warnings come from the stored rows' messages.
 */

export interface RunStreamView {
  stream: string;
  /** `project:<id>`, `organization:<id>`, or '' for global streams. */
  partition: string;
  /** "Checkout (Acme)": the partition's name as the run read it; null when unknown (older runs, the account). */
  partition_label: string | null;
  records_read: number;
  records_written: number;
  pages: number;
  requests: number;
  retries: number;
  wait_ms: number;
  duration_ms: number;
  /** ok, skipped, failed — or null while the stream is being read. */
  outcome: RunStream['outcome'];
  message: string | null;
  started_at: string;
  finished_at: string | null;
}

export interface RunWarningView {
  stream: string;
  partition: string;
  partition_label: string | null;
  code: string | null;
  message: string;
}

export interface RunView {
  id: string;
  source_id: string;
  source_name: string | null;
  status: Run['status'];
  trigger: Run['trigger'];
  full_refresh: boolean;
  streams_requested: string[] | null;
  started_at: string;
  finished_at: string | null;
  duration_ms: number;
  /** Being run by this server process now: progress comes live from `/api/runs/{id}/events`. */
  live: boolean;
  totals: {
    records_read: number;
    records_written: number;
    requests: number;
    pages: number;
    retries: number;
    rate_limit_wait_ms: number;
    /** How many times the run waited for the rate limit; null when not known (a run of another process). */
    rate_limit_waits: number | null;
  };
  streams: RunStreamView[];
  warnings: RunWarningView[];
  error: RunError | null;
  links: { self: string; events: string; source: string; page: string };
}

export async function runView(deps: ServerDeps, run: Run, source?: Source | null): Promise<RunView> {
  const rows = await deps.runtime.store.runs.listStreams(run.id);
  const src = source === undefined ? await deps.runtime.store.sources.get(run.source_id) : source;
  const tracked = deps.runs.get(run.id);
  const live = tracked !== undefined && tracked.summary === null;
  const summary = tracked?.summary ?? null;
  const history = tracked ? tracked.handle.events.history() : [];
  const sum = (f: (r: RunStream) => number) => rows.reduce((n, r) => n + f(r), 0);
  const end = run.finished_at ? Date.parse(run.finished_at) : deps.now();
  const options = run.options as { full_refresh?: unknown; streams?: unknown };
  // While the run is live the stored totals lag (saved with each heartbeat): the rows are fresher.
  const recordsRead = live
    ? Math.max(
        run.totals.records_read,
        sum((r) => r.records_read),
      )
    : run.totals.records_read;
  const recordsWritten = live
    ? Math.max(
        run.totals.records_written,
        sum((r) => r.records_written),
      )
    : run.totals.records_written;
  // Warnings name a partition by key only; its rows carry the name.
  const labels = new Map(rows.filter((r) => r.partition_label !== null).map((r) => [r.partition, r.partition_label]));
  const named = (w: Omit<RunWarningView, 'partition_label'>): RunWarningView => ({
    ...w,
    partition_label: labels.get(w.partition) ?? null,
  });
  return {
    id: run.id,
    source_id: run.source_id,
    source_name: src?.name ?? summary?.source_name ?? null,
    status: run.status,
    trigger: run.trigger,
    full_refresh: options.full_refresh === true,
    streams_requested: Array.isArray(options.streams)
      ? options.streams.filter((s): s is string => typeof s === 'string')
      : null,
    started_at: run.started_at,
    finished_at: run.finished_at,
    duration_ms: Math.max(0, end - Date.parse(run.started_at)),
    live,
    totals: {
      records_read: recordsRead,
      records_written: recordsWritten,
      requests:
        summary?.totals.requests ??
        Math.max(
          run.totals.requests,
          sum((r) => r.requests),
        ),
      pages: summary?.totals.pages ?? sum((r) => r.pages),
      retries: summary?.totals.retries ?? sum((r) => r.retries),
      rate_limit_wait_ms:
        summary?.totals.rate_limit_wait_ms ??
        Math.max(
          run.totals.rate_limit_wait_ms,
          sum((r) => r.wait_ms),
        ),
      rate_limit_waits: summary
        ? summary.totals.rate_limit_waits
        : tracked
          ? history.filter((e) => e.type === 'rate-limit-wait').length
          : null,
    },
    streams: rows.map(streamView),
    warnings: (summary ? summary.warnings : tracked ? warningsOf(history) : warningsFromRows(rows)).map(named),
    error: run.error ? withServerAdvice(run.error) : null,
    links: {
      self: `/api/runs/${run.id}`,
      events: `/api/runs/${run.id}/events`,
      source: `/api/data_sources/${run.source_id}`,
      page: `/runs/${run.id}`,
    },
  };
}

function streamView(r: RunStream): RunStreamView {
  return {
    stream: r.stream,
    partition: r.partition,
    partition_label: r.partition_label,
    records_read: r.records_read,
    records_written: r.records_written,
    pages: r.pages,
    requests: r.requests,
    retries: r.retries,
    wait_ms: r.wait_ms,
    duration_ms: r.duration_ms,
    outcome: r.outcome,
    message: r.message,
    started_at: r.started_at,
    finished_at: r.finished_at,
  };
}

function warningsOf(events: readonly RunEvent[]): Array<Omit<RunWarningView, 'partition_label'>> {
  const out: Array<Omit<RunWarningView, 'partition_label'>> = [];
  for (const e of events)
    if (e.type === 'warning') out.push({ stream: e.stream, partition: e.partition, code: e.code, message: e.message });
  return out;
}

/** A run of another process: skipped streams keep their reason in the row's message. */
function warningsFromRows(rows: readonly RunStream[]): Array<Omit<RunWarningView, 'partition_label'>> {
  return rows
    .filter((r) => r.message !== null && r.outcome !== 'failed')
    .map((r) => ({ stream: r.stream, partition: r.partition, code: null, message: r.message! }));
}
