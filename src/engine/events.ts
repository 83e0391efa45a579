import type { BackfillProgress } from '../streams/types.js';

/**
 * Progress of a run as typed events: what the CLI draws bars from, what the run history summarises, and what the
 * HTTP server forwards over SSE. Every event carries the run id, a sequence number (so a client reconnecting can say
 * where it was) and the time. Nothing here ever holds a token.
 */
export type StreamOutcome = 'ok' | 'skipped' | 'failed';
export type FinalStatus = 'succeeded' | 'failed' | 'cancelled' | 'partial';

/** A SnagError as `toJSON()` gives it (already redacted). */
export interface ErrorJson {
  error: string;
  message: string;
  hint?: string;
  /** The HTTP API's and the web UI's advice when `hint` names a CLI command (each face speaks its own language). */
  server_hint?: string;
  status?: number;
  details?: Record<string, unknown>;
  exit_code: number;
}

export interface RunTotalsJson {
  records_read: number;
  records_written: number;
  pages: number;
  requests: number;
  retries: number;
  /** 429 answers received (the limiter paces requests so that there are none while Bugsnag sends limit headers). */
  rate_limited: number;
  rate_limit_waits: number;
  rate_limit_wait_ms: number;
}

export interface StreamSummary {
  stream: string;
  partitions: number;
  records_read: number;
  records_written: number;
  pages: number;
  requests: number;
  wait_ms: number;
  skipped: number;
  failed: number;
}

export interface RunWarning {
  stream: string;
  partition: string;
  code: string;
  message: string;
}

export interface RunSummary {
  run_id: string;
  source_id: string;
  source_name: string;
  status: FinalStatus;
  trigger: string;
  full_refresh: boolean;
  destination: string;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  error: ErrorJson | null;
  totals: RunTotalsJson;
  streams: StreamSummary[];
  warnings: RunWarning[];
}

export type RunEventBody =
  | {
      type: 'run-start';
      sourceId: string;
      sourceName: string;
      streams: string[];
      fullRefresh: boolean;
      trigger: string;
      destination: string;
    }
  | { type: 'plan'; organizations: number; projects: number }
  | {
      type: 'stream-start';
      stream: string;
      partition: string;
      /** What people call the partition ("Checkout (Acme)"); absent for the account, or when Bugsnag gave no name. */
      partitionLabel?: string;
      mode: 'full_refresh' | 'incremental';
      resumed: boolean;
    }
  | {
      type: 'page';
      stream: string;
      partition: string;
      /** Records in this page. */
      records: number;
      /** Records read so far for this stream and partition. */
      recordsRead: number;
      pages: number;
      /** `X-Total-Count` of the list being read, when Bugsnag sends it: an estimate. */
      estimate?: number;
    }
  | {
      type: 'rate-limit-wait';
      stream?: string;
      partition?: string;
      ms: number;
      reason: 'limit-reached' | 'retry-after';
      limit?: number;
      remaining?: number;
    }
  | {
      type: 'retry';
      stream?: string;
      partition?: string;
      attempt: number;
      status?: number;
      error?: string;
      waitMs: number;
    }
  | { type: 'warning'; stream: string; partition: string; code: string; message: string }
  | ({
      /** A bulk backfill's phase (streams/backfill.ts): estimated, requested, preparing, downloading, writing, done. */
      type: 'backfill';
      stream: string;
      partition: string;
      /** The phase in words ("export 2 of 5: downloading 12.3 MB, 4,500 of 100,000 events"), for every face. */
      label: string;
    } & BackfillProgress)
  | {
      type: 'stream-done';
      stream: string;
      partition: string;
      outcome: StreamOutcome;
      recordsRead: number;
      recordsWritten: number;
      pages: number;
      requests: number;
      retries: number;
      waitMs: number;
      durationMs: number;
      message?: string;
      error?: ErrorJson;
    }
  | { type: 'run-done'; status: FinalStatus; error: ErrorJson | null; summary: RunSummary };

export type RunEvent = RunEventBody & { runId: string; seq: number; at: string };
export type RunEventListener = (event: RunEvent) => void;

const HISTORY_LIMIT = 2000;

export class RunEvents implements AsyncIterable<RunEvent> {
  private readonly listeners = new Set<RunEventListener>();
  /**
   * Kept for late subscribers (an SSE client connecting mid-run gets the history, then live events): every event but
   * pages, and of the pages (and of a backfill's progress) only the latest per stream and partition (it carries the
   * running totals). So a run of a million events keeps a few hundred events, not thirty thousand.
   */
  private readonly kept: RunEvent[] = [];
  private readonly lastPage = new Map<string, RunEvent>();
  private seq = 0;
  private finished = false;

  constructor(readonly runId: string) {}

  /** Live events from now on; returns the unsubscribe function. A listener that throws is dropped, not fatal. */
  subscribe(listener: RunEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** What happened so far, in order: every event except superseded page events. */
  history(afterSeq = 0): RunEvent[] {
    return [...this.kept, ...this.lastPage.values()].filter((e) => e.seq > afterSeq).sort((a, b) => a.seq - b.seq);
  }

  get done(): boolean {
    return this.finished;
  }

  emit(body: RunEventBody): RunEvent {
    const event = { ...body, runId: this.runId, seq: ++this.seq, at: new Date().toISOString() } as RunEvent;
    this.publish(event);
    return event;
  }

  /**
   * An event the same run emitted in another process (a run executed in a child process): kept and passed on as it
   * came, its sequence number and time included, so subscribers here see exactly what they would in-process. An
   * event of another run, or one already seen, is ignored.
   */
  relay(event: RunEvent): void {
    if (event.runId !== this.runId || event.seq <= this.seq || this.finished) return;
    this.seq = event.seq;
    this.publish(event);
  }

  private publish(event: RunEvent): void {
    this.keep(event);
    if (event.type === 'run-done') this.finished = true;
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch {
        this.listeners.delete(l);
      }
    }
  }

  /** History first, then live events, ending after `run-done`. */
  async *[Symbol.asyncIterator](): AsyncGenerator<RunEvent> {
    const queue: RunEvent[] = this.history();
    let wake: (() => void) | undefined;
    const off = this.subscribe((e) => {
      queue.push(e);
      wake?.();
    });
    try {
      for (;;) {
        const e = queue.shift();
        if (e) {
          yield e;
          if (e.type === 'run-done') return;
          continue;
        }
        if (this.finished) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      off();
    }
  }

  private keep(event: RunEvent): void {
    if (event.type === 'page') this.lastPage.set(`${event.stream}\u0000${event.partition}`, event);
    else if (event.type === 'backfill')
      this.lastPage.set(`backfill\u0000${event.stream}\u0000${event.partition}`, event);
    else {
      this.kept.push(event);
      // Waits and retries grow with the length of a run: past a bound, the oldest of them go first.
      if (this.kept.length > HISTORY_LIMIT) {
        const i = this.kept.findIndex((e) => e.type === 'rate-limit-wait' || e.type === 'retry');
        if (i >= 0) this.kept.splice(i, 1);
      }
    }
  }
}

const n = (x: number) => x.toLocaleString('en');

/** A backfill phase in words, the same on every face (the CLI's bars, the web UI's live view, JSON lines). */
export function backfillLabel(p: BackfillProgress): string {
  const of = (done: number | undefined) =>
    done !== undefined && p.total !== undefined
      ? `${n(done)} of ${n(p.total)} events`
      : done !== undefined
        ? `${n(done)} events`
        : '';
  const which = p.windows > 1 ? `export ${p.window} of ${p.windows}` : 'export';
  switch (p.phase) {
    case 'estimated':
      return p.total !== undefined ? `bulk backfill of about ${n(p.total)} events` : 'bulk backfill';
    case 'requested':
      return `${which}: requested`;
    case 'preparing':
      return `${which}: Bugsnag is preparing it${p.total !== undefined ? ` (${n(p.total)} events)` : ''}`;
    case 'downloading':
      return `${which}: downloading ${((p.bytes ?? 0) / 1e6).toFixed(1)} MB, ${of(p.records)}`;
    case 'writing':
      return `${which}: writing, ${of(p.records)}`;
    case 'done':
      return p.window >= p.windows ? 'bulk backfill done' : `${which}: done`;
    case 'fallback':
      return 'bulk backfill refused: reading the events list';
  }
}
