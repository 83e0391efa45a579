import type { BugsnagClient } from '../bugsnag/client.js';
import { SnagError, toSnagError } from '../core/errors.js';
import type { Destination } from '../destinations/types.js';
import type { Store } from '../store/repository.js';
import type {
  ChildContext,
  Partition,
  ReadContext,
  StreamDefinition,
  StreamRecord,
  SyncOptions,
} from '../streams/types.js';
import { backfillLabel, type RunEvents, type RunWarning, type StreamOutcome } from './events.js';
import { markDeletions } from './deletions.js';
import { cancelledError, disposition, errorJson } from './failures.js';
import { type CarriedCounts, StreamRow } from './history.js';
import { notDue } from './stream-intervals.js';
import { partitionLabel } from './planner.js';
import { prefetch } from './prefetch.js';

/**
 * Reads one stream for one partition: read → write → checkpoint, page by page. Each batch's records and its
 * checkpoint go to the destination in one `writePage` (one transaction), child records (comments) first. The read
 * runs one page ahead of the writes.
 */
export interface RunContext {
  runId: string;
  sourceId: string;
  dest: Destination;
  store: Store;
  events: RunEvents;
  signal: AbortSignal;
  options: SyncOptions;
  fullRefresh: boolean;
  now: Date;
  /**
   * The run's "now" was the clock's at its start, not a time it was given: a pass that starts later (after waiting
   * for the rate limit behind other projects) takes its upper bound from the clock then, so what arrived during the
   * wait is read by this run rather than the next.
   */
  liveClock?: boolean;
  /** A client for one stream and partition: its events are forwarded as run events, its stats feed its row. */
  newClient(stream: string, partition: string): BugsnagClient;
  rows: StreamRow[];
  warnings: RunWarning[];
  /** How often a stream's row is saved to the run history (default: at most once a second). */
  saveEveryMs?: number;
  /**
   * Carry the run's counts in each checkpoint (see `withRunCounts`): set by a cluster's units, where a read that
   * stops on one worker goes on in the same run on another and must count from what was committed, not from what
   * the run history last saved.
   */
  carryCounts?: boolean;
  /** A read is about to wait this long for Bugsnag (see ReadContext.waiting). */
  onWait?: (ms: number) => void;
}

export interface Job {
  stream: StreamDefinition;
  partition: Partition;
  /** Child streams read through this one in this run (comments under errors). */
  children: readonly StreamDefinition[];
  /** False for a planning read of a stream the source does not store (organizations, projects). */
  write: boolean;
  /** Receives every page's records (the planner collects organizations and projects this way). */
  collect?: (records: StreamRecord[]) => void;
}

export interface JobResult {
  outcome: StreamOutcome;
  error?: SnagError;
  /** The failure stops the run (token refused, cancelled, destination unwritable…). */
  fatal: boolean;
}

export async function runJob(rc: RunContext, job: Job): Promise<JobResult> {
  const { stream, partition } = job;
  const key = partition.key;
  const label = partitionLabel(partition);
  const row = new StreamRow(rc.store, rc.runId, stream.name, key, job.write, label, rc.saveEveryMs);
  rc.rows.push(row);
  const childRows = new Map<string, StreamRow>();
  const children = new Map<string, ChildContext>();
  for (const child of job.children) {
    const r = new StreamRow(rc.store, rc.runId, child.name, key, true, label, rc.saveEveryMs);
    rc.rows.push(r);
    childRows.set(child.name, r);
    const api = rc.newClient(child.name, key);
    r.attach(api);
    const saved = splitRunCounts(await rc.dest.readCheckpoint(rc.sourceId, child.name, key), rc.runId);
    r.carry(saved.counts);
    children.set(child.name, { state: saved.state, api });
  }
  const api = rc.newClient(stream.name, key);
  row.attach(api);
  const saved = job.write
    ? splitRunCounts(await rc.dest.readCheckpoint(rc.sourceId, stream.name, key), rc.runId)
    : null;
  const state = saved?.state ?? null;
  row.carry(saved?.counts ?? null);
  const resumed = state !== null && typeof state === 'object' && ('pass' in state || 'backfill' in state);
  const incremental = stream.syncModes.includes('incremental') && !rc.fullRefresh;
  const warn = (code: string, message: string) => {
    rc.warnings.push({ stream: stream.name, partition: key, code, message });
    row.note(message);
    rc.events.emit({ type: 'warning', stream: stream.name, partition: key, code, message });
  };
  if (job.write) {
    const named = label !== null ? { partitionLabel: label } : {};
    rc.events.emit({
      type: 'stream-start',
      stream: stream.name,
      partition: key,
      ...named,
      mode: incremental ? 'incremental' : 'full_refresh',
      resumed,
    });
    await row.save(true);
    for (const [name, r] of childRows) {
      rc.events.emit({
        type: 'stream-start',
        stream: name,
        partition: key,
        ...named,
        mode: incremental ? 'incremental' : 'full_refresh',
        resumed: false,
      });
      await r.save(true);
    }
  }
  const ctx: ReadContext = {
    api,
    partition,
    options: rc.options,
    state,
    now: rc.now,
    ...(rc.liveClock ? { passNow: () => new Date(Math.max(rc.now.getTime(), Date.now())) } : {}),
    signal: rc.signal,
    warn,
    progress: (p) =>
      rc.events.emit({ type: 'backfill', stream: stream.name, partition: key, ...p, label: backfillLabel(p) }),
    ...(rc.onWait ? { waiting: rc.onWait } : {}),
    children,
  };

  let result: JobResult = { outcome: 'ok', fatal: false };
  // A slowly changing stream read less than its interval ago costs nothing this time (stream-intervals.ts).
  const rest =
    job.write && !job.collect && !rc.fullRefresh
      ? notDue(rc.options.streamIntervalsMs?.[stream.name], state, rc.now)
      : null;
  if (rest !== null) row.note(rest);
  try {
    for await (const batch of rest === null ? prefetch(stream.read(ctx)) : []) {
      if (rc.signal.aborted) throw abortError(rc.signal);
      for (const child of batch.children ?? []) {
        const r = childRows.get(child.stream);
        if (!r) continue;
        const counted = { read: r.recordsRead + child.records.length, pages: r.pages + 1 };
        const w = await rc.dest.writePage(child.stream, child.records, {
          sourceId: rc.sourceId,
          partition: key,
          runId: rc.runId,
          state: rc.carryCounts
            ? withRunCounts(child.state, rc.runId, { ...counted, written: r.recordsWritten + child.records.length })
            : child.state,
        });
        r.recordsRead = counted.read;
        r.recordsWritten += w.written;
        r.pages = counted.pages;
        for (const c of child.completes ?? []) {
          const said = await markDeletions(rc.dest, child.stream, rc.sourceId, c, rc.options.purgeDeleted === true);
          if (said) r.note(said);
        }
        rc.events.emit({
          type: 'page',
          stream: child.stream,
          partition: key,
          records: child.records.length,
          recordsRead: r.recordsRead,
          pages: r.pages,
        });
        await r.save();
      }
      if (job.write) {
        const counted = { read: row.recordsRead + batch.records.length, pages: row.pages + 1 };
        const w = await rc.dest.writePage(stream.name, batch.records, {
          sourceId: rc.sourceId,
          partition: key,
          runId: rc.runId,
          ...(batch.observed ? { observed: batch.observed } : {}),
          state: rc.carryCounts
            ? withRunCounts(batch.state, rc.runId, { ...counted, written: row.recordsWritten + batch.records.length })
            : batch.state,
        });
        row.recordsWritten += w.written;
        if (batch.completes) {
          const said = await markDeletions(
            rc.dest,
            stream.name,
            rc.sourceId,
            batch.completes,
            rc.options.purgeDeleted === true,
          );
          if (said) row.note(said);
        }
      }
      row.recordsRead += batch.records.length;
      row.pages++;
      job.collect?.(batch.records);
      if (job.write) {
        rc.events.emit({
          type: 'page',
          stream: stream.name,
          partition: key,
          records: batch.records.length,
          recordsRead: row.recordsRead,
          pages: row.pages,
          ...(batch.total !== undefined ? { estimate: batch.total } : {}),
        });
        await row.save();
      }
    }
  } catch (err) {
    const e = rc.signal.aborted ? abortError(rc.signal) : toSnagError(err);
    const d = disposition(e);
    if (d === 'skip') {
      warn(e.code === 'not_found' ? 'not-found' : 'skipped', `Skipped: ${e.message}`);
      result = { outcome: 'skipped', error: e, fatal: false };
    } else {
      row.note(e.message);
      result = { outcome: 'failed', error: e, fatal: d === 'fatal' };
    }
  }
  for (const r of childRows.values()) {
    if (result.outcome === 'skipped') r.note('skipped with its parent stream');
    await r.finish(result.outcome);
  }
  await row.finish(result.outcome);
  if (job.write) {
    const emitDone = (r: StreamRow, name: string) => {
      const s = r.stats();
      rc.events.emit({
        type: 'stream-done',
        stream: name,
        partition: key,
        outcome: r.outcome ?? result.outcome,
        recordsRead: r.recordsRead,
        recordsWritten: r.recordsWritten,
        pages: r.pages,
        requests: s.requests,
        retries: s.retries,
        waitMs: Math.round(s.rateLimitWaitMs),
        durationMs: Math.round(r.durationMs()),
        ...(r.message ? { message: r.message } : {}),
        ...(result.error && result.outcome === 'failed' ? { error: errorJson(result.error) } : {}),
      });
    };
    for (const [name, r] of childRows) emitDone(r, name);
    emitDone(row, stream.name);
  }
  return result;
}

const RUN_COUNTS = '_run';

/**
 * The checkpoint of a page with the run's counts up to and including that page: `{ _run: { id, read, written,
 * pages }, ...state }` (a null state becomes `{ _run }`). The counts commit with the page, in the same transaction, so
 * a unit that goes on after a kill -9 counts from exactly what was committed — the run history, saved after the
 * commit, can be one page behind. The page's own `written` is counted as all its records, which is what PostgreSQL and
 * SQLite report (they upsert every record); JSONL skips unchanged lines, so a unit resumed there may count the
 * unchanged lines of its last committed page as written.
 */
function withRunCounts(state: unknown, runId: string, counts: CarriedCounts): unknown {
  const base = state !== null && typeof state === 'object' && !Array.isArray(state) ? state : state == null ? {} : null;
  if (base === null) return state;
  return { ...base, [RUN_COUNTS]: { id: runId, ...counts } };
}

/** The stream's own state and, when it was written by this run, the counts carried with it. */
function splitRunCounts(raw: unknown, runId: string): { state: unknown; counts: CarriedCounts | null } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || !(RUN_COUNTS in raw))
    return { state: raw, counts: null };
  const { [RUN_COUNTS]: carried, ...rest } = raw as Record<string, unknown>;
  const state = Object.keys(rest).length === 0 ? null : rest;
  const c = carried as Partial<CarriedCounts> & { id?: unknown };
  const ok = c?.id === runId && [c.read, c.written, c.pages].every((n) => Number.isInteger(n) && (n as number) >= 0);
  return { state, counts: ok ? { read: c.read!, written: c.written!, pages: c.pages! } : null };
}

function abortError(signal: AbortSignal): SnagError {
  const r: unknown = signal.reason;
  return r instanceof SnagError ? r : cancelledError();
}
