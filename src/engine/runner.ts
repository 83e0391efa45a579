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
import { cancelledError, disposition, errorJson } from './failures.js';
import { StreamRow } from './history.js';
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
  /** A client for one stream and partition: its events are forwarded as run events, its stats feed its row. */
  newClient(stream: string, partition: string): BugsnagClient;
  rows: StreamRow[];
  warnings: RunWarning[];
  /** How often a stream's row is saved to the run history (default: at most once a second). */
  saveEveryMs?: number;
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
    children.set(child.name, { state: await rc.dest.readCheckpoint(rc.sourceId, child.name, key), api });
  }
  const api = rc.newClient(stream.name, key);
  row.attach(api);
  const state = job.write ? await rc.dest.readCheckpoint(rc.sourceId, stream.name, key) : null;
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
    signal: rc.signal,
    warn,
    progress: (p) =>
      rc.events.emit({ type: 'backfill', stream: stream.name, partition: key, ...p, label: backfillLabel(p) }),
    children,
  };

  let result: JobResult = { outcome: 'ok', fatal: false };
  try {
    for await (const batch of prefetch(stream.read(ctx))) {
      if (rc.signal.aborted) throw abortError(rc.signal);
      for (const child of batch.children ?? []) {
        const r = childRows.get(child.stream);
        if (!r) continue;
        const w = await rc.dest.writePage(child.stream, child.records, {
          sourceId: rc.sourceId,
          partition: key,
          state: child.state,
        });
        r.recordsRead += child.records.length;
        r.recordsWritten += w.written;
        r.pages++;
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
        const w = await rc.dest.writePage(stream.name, batch.records, {
          sourceId: rc.sourceId,
          partition: key,
          state: batch.state,
        });
        row.recordsWritten += w.written;
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

function abortError(signal: AbortSignal): SnagError {
  const r: unknown = signal.reason;
  return r instanceof SnagError ? r : cancelledError();
}
