import type { ErrorJson, FinalStatus, RunEvent, RunWarning } from '../../engine/index.js';
import { withServerAdvice } from './advice.js';

/**
 * Where a run stands, folded from its progress events: per stream and partition the records, pages, the estimate
 * (X-Total-Count) and the outcome; the waits for the rate limit, retries, warnings and errors. The live view is
 * first rendered from this on the server (so it shows something without JavaScript); app.js then applies the same
 * events to the same markup as they arrive over SSE (static/app.js `applyRunEvent` mirrors `reduce` here).
 */

export interface LiveStream {
  key: string;
  stream: string;
  partition: string;
  /** "Checkout (Acme)", from the stream-start event; null: show the id. */
  label: string | null;
  mode: 'full_refresh' | 'incremental' | null;
  resumed: boolean;
  recordsRead: number;
  pages: number;
  estimate: number | null;
  outcome: 'ok' | 'skipped' | 'failed' | null;
  requests: number | null;
  durationMs: number | null;
  message: string | null;
  /** A bulk backfill's phase in words while one runs (the backfill event's label). */
  phase: string | null;
}

export interface LiveState {
  status: 'running' | FinalStatus;
  streams: LiveStream[];
  plan: { organizations: number; projects: number } | null;
  recordsRead: number;
  pages: number;
  waits: number;
  waitMs: number;
  lastWait: { ms: number; at: string; stream: string | null } | null;
  /**
   * The rate-limit waits running, per stream and partition (`streamKey`; '' for one of no stream): when each ends, in
   * ms since the epoch. A page does not end a wait (it answers a request sent before); the stream's end does.
   */
  waitingUntil: Record<string, number>;
  retries: number;
  warnings: RunWarning[];
  errors: Array<{ stream: string; partition: string; error: ErrorJson | null; message: string }>;
  /** Partition key → name, as the stream-start events gave them (warnings and errors name partitions by key). */
  labels: Record<string, string>;
  runError: ErrorJson | null;
  lastSeq: number;
}

export const streamKey = (stream: string, partition: string) => `${stream}|${partition}`;

export function emptyLiveState(): LiveState {
  return {
    status: 'running',
    streams: [],
    plan: null,
    recordsRead: 0,
    pages: 0,
    waits: 0,
    waitMs: 0,
    lastWait: null,
    waitingUntil: {},
    retries: 0,
    warnings: [],
    errors: [],
    labels: {},
    runError: null,
    lastSeq: 0,
  };
}

export function reduceRunEvents(events: readonly RunEvent[], state: LiveState = emptyLiveState()): LiveState {
  for (const e of events) reduce(state, e);
  return state;
}

function row(state: LiveState, stream: string, partition: string): LiveStream {
  const key = streamKey(stream, partition);
  let r = state.streams.find((s) => s.key === key);
  if (!r) {
    r = {
      key,
      stream,
      partition,
      label: state.labels[partition] ?? null,
      mode: null,
      resumed: false,
      recordsRead: 0,
      pages: 0,
      estimate: null,
      outcome: null,
      requests: null,
      durationMs: null,
      message: null,
      phase: null,
    };
    state.streams.push(r);
  }
  return r;
}

function totals(state: LiveState): void {
  state.recordsRead = state.streams.reduce((n, s) => n + s.recordsRead, 0);
  state.pages = state.streams.reduce((n, s) => n + s.pages, 0);
}

function reduce(state: LiveState, e: RunEvent): void {
  state.lastSeq = Math.max(state.lastSeq, e.seq);
  switch (e.type) {
    case 'plan':
      state.plan = { organizations: e.organizations, projects: e.projects };
      break;
    case 'stream-start': {
      if (e.partitionLabel) state.labels[e.partition] = e.partitionLabel;
      const r = row(state, e.stream, e.partition);
      r.label = e.partitionLabel ?? r.label;
      r.mode = e.mode;
      r.resumed = e.resumed;
      break;
    }
    case 'page': {
      const r = row(state, e.stream, e.partition);
      r.recordsRead = e.recordsRead;
      r.pages = e.pages;
      if (e.estimate !== undefined) r.estimate = e.estimate;
      // A page ends no wait (`waitingUntil` ends by time): it answers a request sent before the wait began.
      if (state.lastWait?.stream === e.stream) state.lastWait = null;
      totals(state);
      break;
    }
    case 'backfill': {
      const r = row(state, e.stream, e.partition);
      r.phase = e.label;
      if (e.phase === 'estimated' && e.total !== undefined) r.estimate = e.total;
      break;
    }
    case 'rate-limit-wait':
      state.waits++;
      state.waitMs += e.ms;
      state.lastWait = { ms: e.ms, at: e.at, stream: e.stream ?? null };
      state.waitingUntil[e.stream ? streamKey(e.stream, e.partition ?? '') : ''] = Date.parse(e.at) + e.ms;
      break;
    case 'retry':
      state.retries++;
      break;
    case 'warning':
      state.warnings.push({ stream: e.stream, partition: e.partition, code: e.code, message: e.message });
      break;
    case 'stream-done': {
      const r = row(state, e.stream, e.partition);
      delete state.waitingUntil[r.key];
      r.outcome = e.outcome;
      r.phase = null;
      r.recordsRead = e.recordsRead;
      r.pages = e.pages;
      r.requests = e.requests;
      r.durationMs = e.durationMs;
      r.message = e.message ?? null;
      if (e.outcome === 'failed')
        state.errors.push({
          stream: e.stream,
          partition: e.partition,
          error: e.error ? withServerAdvice(e.error) : null,
          message: e.error?.message ?? e.message ?? 'failed',
        });
      totals(state);
      break;
    }
    case 'run-done':
      state.status = e.status;
      state.runError = e.error ? withServerAdvice(e.error) : e.error;
      state.lastWait = null;
      state.waitingUntil = {};
      break;
    default:
      break;
  }
}
