import type { BugsnagClient } from '../bugsnag/client.js';
import { emptyStats, type ClientStats } from '../http/events.js';
import type { RunStream } from '../store/models.js';
import type { Store } from '../store/repository.js';
import type { RunTotalsJson, StreamOutcome, StreamSummary } from './events.js';

/** Saving a row after every page would cost as much as the page on a fast local sync; once a second is plenty. */
const SAVE_EVERY_MS = 1000;

/** A run's counts for one stream and partition, as its last committed page left them (runner.ts, `withRunCounts`). */
export interface CarriedCounts {
  read: number;
  written: number;
  pages: number;
}

/**
 * One (stream, partition) of a run as the run history shows it (`run_streams`): records read and written, pages,
 * requests, retries, time waited for the rate limit, duration, outcome and message. Requests come from the client
 * that read this stream and partition (each has its own), so they are counted where they were made.
 */
export class StreamRow {
  recordsRead = 0;
  recordsWritten = 0;
  pages = 0;
  outcome: StreamOutcome | null = null;
  message: string | null = null;
  readonly startedMs = Date.now();
  readonly startedAt = new Date().toISOString();
  private clients: BugsnagClient[] = [];
  private lastSave = 0;
  private finishedMs: number | null = null;

  constructor(
    private readonly store: Store,
    private readonly runId: string,
    readonly stream: string,
    readonly partition: string,
    /** Planning reads (organizations, projects not selected) are counted in the totals but not listed. */
    readonly listed: boolean,
    /** What people call the partition ("Checkout (Acme)"), saved with the row for the run pages; null: show the id. */
    readonly label: string | null = null,
    /** Minimum time between saves; a unit on a worker saves every page, since another worker may go on from it. */
    private readonly saveEveryMs = SAVE_EVERY_MS,
  ) {}

  /** Starts from the counts a checkpoint of this run carried (a unit going on with a read another one began). */
  carry(counts: CarriedCounts | null): void {
    if (!counts) return;
    this.recordsRead = counts.read;
    this.recordsWritten = counts.written;
    this.pages = counts.pages;
  }

  attach(client: BugsnagClient): void {
    this.clients.push(client);
  }

  stats(): ClientStats {
    const s = emptyStats();
    for (const c of this.clients) {
      const x = c.stats();
      s.requests += x.requests;
      s.retries += x.retries;
      s.rateLimited += x.rateLimited;
      s.rateLimitWaits += x.rateLimitWaits;
      s.rateLimitWaitMs += x.rateLimitWaitMs;
      s.backoffWaitMs += x.backoffWaitMs;
    }
    return s;
  }

  durationMs(): number {
    return (this.finishedMs ?? Date.now()) - this.startedMs;
  }

  note(message: string): void {
    this.message = this.message ? `${this.message}; ${message}` : message;
  }

  /** Saves the row, at most once a second unless `force`. */
  async save(force = false): Promise<void> {
    if (!this.listed) return;
    const now = Date.now();
    if (!force && now - this.lastSave < this.saveEveryMs) return;
    this.lastSave = now;
    const s = this.stats();
    await this.store.runs.upsertStream({
      run_id: this.runId,
      stream: this.stream,
      partition: this.partition,
      partition_label: this.label,
      records_read: this.recordsRead,
      records_written: this.recordsWritten,
      pages: this.pages,
      requests: s.requests,
      retries: s.retries,
      wait_ms: Math.round(s.rateLimitWaitMs),
      duration_ms: Math.round(this.durationMs()),
      outcome: this.outcome,
      message: this.message === null ? null : this.message.slice(0, 2000),
      started_at: this.startedAt,
      finished_at: this.finishedMs === null ? null : new Date(this.finishedMs).toISOString(),
    });
  }

  async finish(outcome: StreamOutcome): Promise<void> {
    this.outcome = outcome;
    this.finishedMs = Date.now();
    await this.save(true);
  }
}

export function totalsOf(rows: readonly StreamRow[]): RunTotalsJson {
  const t: RunTotalsJson = {
    records_read: 0,
    records_written: 0,
    pages: 0,
    requests: 0,
    retries: 0,
    rate_limited: 0,
    rate_limit_waits: 0,
    rate_limit_wait_ms: 0,
  };
  for (const r of rows) {
    const s = r.stats();
    t.records_read += r.listed ? r.recordsRead : 0;
    t.records_written += r.recordsWritten;
    t.pages += r.pages;
    t.requests += s.requests;
    t.retries += s.retries;
    t.rate_limited += s.rateLimited;
    t.rate_limit_waits += s.rateLimitWaits;
    t.rate_limit_wait_ms += Math.round(s.rateLimitWaitMs);
  }
  return t;
}

export function streamSummaries(rows: readonly StreamRow[]): StreamSummary[] {
  return storedStreamSummaries(
    rows
      .filter((r) => r.listed)
      .map((r) => {
        const st = r.stats();
        return {
          stream: r.stream,
          records_read: r.recordsRead,
          records_written: r.recordsWritten,
          pages: r.pages,
          requests: st.requests,
          wait_ms: Math.round(st.rateLimitWaitMs),
          outcome: r.outcome,
        };
      }),
  );
}

/**
 * Per-stream summaries of a run from its stored rows: what a process that did not execute the run (a follower of a
 * queued run, the server after its run's child died) can say. `unfinishedFailed` counts a partition that never ended
 * as failed (its process is gone).
 */
export function storedStreamSummaries(
  rows: ReadonlyArray<
    Pick<RunStream, 'stream' | 'records_read' | 'records_written' | 'pages' | 'requests' | 'wait_ms' | 'outcome'>
  >,
  options: { unfinishedFailed?: boolean } = {},
): StreamSummary[] {
  const by = new Map<string, StreamSummary>();
  for (const r of rows) {
    const s = by.get(r.stream) ?? {
      stream: r.stream,
      partitions: 0,
      records_read: 0,
      records_written: 0,
      pages: 0,
      requests: 0,
      wait_ms: 0,
      skipped: 0,
      failed: 0,
    };
    s.partitions++;
    s.records_read += r.records_read;
    s.records_written += r.records_written;
    s.pages += r.pages;
    s.requests += r.requests;
    s.wait_ms += r.wait_ms;
    if (r.outcome === 'skipped') s.skipped++;
    if (r.outcome === 'failed' || (options.unfinishedFailed && r.outcome === null)) s.failed++;
    by.set(r.stream, s);
  }
  return [...by.values()];
}
