import { makeDataDir, createDataFile } from '../paths.js';
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  ftruncateSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { SnagError } from '../../core/errors.js';
import { checkedPage, unknownStream } from '../checks.js';
import { compileStream, intervalStart, type CompiledHistory, type CompiledStream } from '../descriptor.js';
import { destinationError, fullRefreshAdvice } from '../errors.js';
import type {
  CheckpointWrite,
  DeletionMark,
  DeletionResult,
  Destination,
  DestinationRecord,
  DestinationSchema,
  Observation,
  PrepareResult,
  PushWrite,
  RunRecord,
  RunStreamCounts,
  StoredCheckpoint,
  StreamDescriptor,
  WriteResult,
} from '../types.js';
import { entryOf, ENTRY_BYTES, KeyIndex, writeEntry } from './key-index.js';
import { tombstones } from './deletions.js';
import { committedLines } from './lines.js';
import { lockFolder } from './lock.js';
import {
  emptyState,
  readState,
  RUNS_FILE,
  STATE_FILE,
  writeState,
  type JsonlState,
  type RunLine,
  type RunsState,
  type StreamState,
} from './state.js';
import { killedMessage } from '../lineage.js';
import {
  checkedObservations,
  checkedPush,
  keptState,
  mergedFields,
  mergedRecord,
  newestPerKey,
  notBefore,
  storedIsNewer,
  withValue,
} from '../push.js';
import {
  appended,
  grown,
  latestRecords,
  recordLine,
  StoredValues,
  systemSuffix,
  type Appended,
  type StoredRecord,
} from './push.js';

export interface JsonlDestinationOptions {
  /**
   * fsync data and state on every page (default true): safe against power loss too. With false, a killed process
   * still loses nothing (the kernel has the bytes), but a power cut may leave the state ahead of the data.
   */
  durable?: boolean;
  /** Read without taking the folder lock or repairing anything (a sync may be writing); writes are refused. */
  readOnly?: boolean;
}

interface OpenStream {
  compiled: CompiledStream;
  index: KeyIndex | null;
  dataFd: number | null;
  keysFd: number | null;
}

/**
 * JSONL destination: one append-only `<stream>.jsonl` per stream, a line per record — the record's own JSON with
 * `_synced_at`, `_source_id` and `_run_id` added at the end; runs in `_snagsync_runs.jsonl` (recordRun). `_state.json` records, per stream, how many bytes are committed;
 * the checkpoints live in the same file, so data and checkpoint are committed by one atomic rename.
 *
 * Crash safety: a page is appended (and fsynced) past the committed length, then the state is replaced. A kill at
 * any moment leaves either the old state (the page's bytes are beyond the committed length) or the new one. On open,
 * every file is truncated back to its committed length, so a replayed page is written once. A `.keys` file per
 * stream (12 bytes a line, see key-index.ts) follows the same rule and lets an unchanged record be skipped.
 */
export class JsonlDestination implements Destination {
  readonly kind = 'jsonl' as const;
  private state: JsonlState;
  private readonly streams = new Map<string, OpenStream>();
  private readonly release: () => void;
  private readonly durable: boolean;
  private readonly readOnly: boolean;
  /** A write failed midway: files may hold bytes past the committed length, to cut before the next append. */
  private dirty = false;
  /** When this instance opened the folder, and the keys written since, each with when it was last (see markDeleted). */
  private readonly openedMs = Date.now();
  private readonly openedAt = new Date(this.openedMs).toISOString();
  private readonly seen = new Map<string, KeyIndex>();
  /** Per history file, the open interval's line of each key (loaded from the committed file on first use). */
  private readonly openIntervals = new Map<string, Map<string, HistoryLine>>();
  /** Per stream and `newerBy` column, the stored value of each key (writeRecords), read on as the file grows. */
  private readonly storedValues = new Map<string, StoredValues>();

  constructor(
    readonly location: string,
    options: JsonlDestinationOptions = {},
  ) {
    this.durable = options.durable ?? true;
    this.readOnly = options.readOnly ?? false;
    if (this.readOnly) {
      this.release = () => undefined;
      this.state = this.guard(() => readState(location)) ?? emptyState();
    } else {
      this.guard(() => makeDataDir(location));
      this.release = lockFolder(location);
      try {
        this.state = this.guard(() => this.openState());
        this.guard(() => this.truncateToCommitted());
      } catch (err) {
        this.release();
        throw err;
      }
    }
    for (const [name, s] of Object.entries(this.state.streams)) {
      this.streams.set(name, { compiled: compileStream(s.descriptor), index: null, dataFd: null, keysFd: null });
    }
  }

  private openState(): JsonlState {
    const existing = readState(this.location);
    if (existing) return existing;
    const strays = readdirSync(this.location).filter((f) => f.endsWith('.jsonl'));
    if (strays.length > 0) {
      throw new SnagError(
        'destination',
        `The folder ${this.location} holds JSONL files (${strays.slice(0, 3).join(', ')}) but no ${STATE_FILE}: it was not written by snagsync, or its state was lost.`,
        {
          hint: 'Use an empty folder (or a new one) as the destination. snagsync will not append to files whose committed length it does not know.',
        },
      );
    }
    const fresh = emptyState();
    writeState(this.location, fresh, this.durable);
    return fresh;
  }

  /** Cuts every file back to the length the state committed: whatever a killed sync wrote after that goes. */
  private truncateToCommitted(): void {
    for (const s of Object.values(this.state.streams)) {
      cutTo(join(this.location, s.file), s.bytes, this.location);
      cutTo(join(this.location, keysFile(s.file)), s.keys_bytes, this.location);
    }
    if (this.state.runs) cutTo(join(this.location, RUNS_FILE), this.state.runs.bytes, this.location);
  }

  async prepare(descriptors: readonly StreamDescriptor[]): Promise<PrepareResult> {
    this.assertWritable();
    const result: PrepareResult = { created: [], addedColumns: [] };
    const compiled = descriptors.map(compileStream);
    const next = cloneState(this.state);
    const histories = compiled.flatMap((c) => (c.history ? [historyDescriptor(c.history)] : []));
    for (const d of histories) {
      if (next.streams[d.name]) continue;
      const file = `${d.name}.jsonl`;
      for (const f of [file, keysFile(file)]) {
        const p = join(this.location, f);
        if (existsSync(p) && statSync(p).size > 0) {
          throw new SnagError('destination', `${p} already exists and was not written by snagsync.`, {
            hint: 'Move it away or use another folder.',
          });
        }
      }
      next.streams[d.name] = { file, bytes: 0, lines: 0, keys_bytes: 0, descriptor: plainDescriptor(d) };
      result.created.push(d.name);
    }
    for (const c of compiled) {
      const d = c.descriptor;
      const known = next.streams[d.name];
      if (known) {
        // A key column renamed by the declaration (formerNames) is the same key.
        const renamed = (k: string) => d.columns.find((col) => col.formerNames?.includes(k))?.name ?? k;
        if (known.descriptor.primaryKey.map(renamed).join(',') !== d.primaryKey.join(',')) {
          throw new SnagError(
            'destination',
            `The stream "${d.name}" in ${this.location} was written with the key (${known.descriptor.primaryKey.join(', ')}), but this snagsync keys it by (${d.primaryKey.join(', ')}).`,
            fullRefreshAdvice('Use a new folder as the destination and'),
          );
        }
        const had = new Set(known.descriptor.columns.map((x) => x.name));
        // A renamed column (formerNames) is not new: lines are Bugsnag's records, the names are the descriptor's.
        for (const col of d.columns)
          if (!had.has(col.name) && !col.formerNames?.some((f) => had.has(f)))
            result.addedColumns.push({ stream: d.name, column: col.name });
        known.descriptor = plainDescriptor(d);
        continue;
      }
      const file = `${d.name}.jsonl`;
      for (const f of [file, keysFile(file)]) {
        const p = join(this.location, f);
        if (existsSync(p) && statSync(p).size > 0) {
          throw new SnagError('destination', `${p} already exists and was not written by snagsync.`, {
            hint: 'Move it away or use another folder.',
          });
        }
      }
      next.streams[d.name] = { file, bytes: 0, lines: 0, keys_bytes: 0, descriptor: plainDescriptor(d) };
      result.created.push(d.name);
    }
    // The state names the streams before their files exist: a file the state does not know is never truncated.
    this.commit(next);
    for (const c of [...compiled, ...histories.map(compileStream)]) {
      const open = this.streams.get(c.descriptor.name);
      if (open) open.compiled = c;
      else this.streams.set(c.descriptor.name, { compiled: c, index: null, dataFd: null, keysFd: null });
      const s = this.state.streams[c.descriptor.name]!;
      this.guard(() => {
        for (const f of [s.file, keysFile(s.file)]) createDataFile(join(this.location, f));
      });
    }
    return result;
  }

  async writePage(
    stream: string,
    records: readonly DestinationRecord[],
    checkpoint: CheckpointWrite,
  ): Promise<WriteResult> {
    this.assertWritable();
    const open = this.streams.get(stream);
    const committed = this.state.streams[stream];
    if (!open || !committed) throw unknownStream(stream);
    const state = checkedPage(stream, records, checkpoint);
    const index = this.index(stream, open, committed);
    const now = new Date().toISOString();
    const suffix = `"_synced_at":${JSON.stringify(now)},"_source_id":${JSON.stringify(checkpoint.sourceId)},"_run_id":${JSON.stringify(checkpoint.runId ?? null)}}\n`;

    // Build the page in memory: one write per file, and the key index is updated only after the commit.
    const lines: string[] = [];
    const keys = Buffer.allocUnsafe(records.length * ENTRY_BYTES);
    const pending = new Map<string, number>();
    let appended = 0;
    const seen = this.seenKeys(stream);
    for (const record of records) {
      const json = JSON.stringify(record);
      const e = entryOf(open.compiled.keyOf(record), json);
      seen.set(e.hi, e.lo, Date.now() - this.openedMs);
      const id = `${e.hi}:${e.lo}`;
      if ((pending.get(id) ?? index.get(e.hi, e.lo)) === e.content) continue;
      pending.set(id, e.content);
      lines.push(json.length > 2 ? `${json.slice(0, -1)},${suffix}` : `{${suffix}`);
      writeEntry(keys, appended * ENTRY_BYTES, e);
      appended++;
    }
    const data = Buffer.from(lines.join(''), 'utf8');
    const history = open.compiled.history
      ? await this.historyPage(open.compiled.history, records, checkpoint, now)
      : null;

    const next = withPage(
      this.state,
      stream,
      { bytes: data.length, lines: appended, keys_bytes: appended * ENTRY_BYTES },
      { read: records.length, written: appended },
      checkpoint,
      JSON.parse(state),
      now,
    );
    if (history) {
      const h = next.streams[history.name]!;
      next.streams[history.name] = {
        ...h,
        bytes: h.bytes + history.data.length,
        lines: h.lines + history.count,
        keys_bytes: h.keys_bytes + history.keys.length,
      };
    }

    this.guard(() => {
      try {
        if (history && history.count > 0) {
          // Cut first: a failed write may have left bytes past the committed length.
          const fds = this.fds(history.open, history.committed);
          ftruncateSync(fds.data, history.committed.bytes);
          ftruncateSync(fds.keys, history.committed.keys_bytes);
          writeAll(fds.data, history.data, history.committed.bytes);
          writeAll(fds.keys, history.keys, history.committed.keys_bytes);
          if (this.durable) {
            fdatasyncSync(fds.data);
            fdatasyncSync(fds.keys);
          }
        }
        const fds = this.fds(open, committed);
        if (this.dirty) {
          ftruncateSync(fds.data, committed.bytes);
          ftruncateSync(fds.keys, committed.keys_bytes);
          this.dirty = false;
        }
        if (appended > 0) {
          writeAll(fds.data, data, committed.bytes);
          writeAll(fds.keys, keys.subarray(0, appended * ENTRY_BYTES), committed.keys_bytes);
          if (this.durable) {
            fdatasyncSync(fds.data);
            fdatasyncSync(fds.keys);
          }
        }
        writeState(this.location, next, this.durable);
      } catch (err) {
        this.dirty = true;
        throw err;
      }
    });
    this.state = next;
    for (const [id, content] of pending) {
      const [hi, lo] = id.split(':');
      index.set(Number(hi), Number(lo), content);
    }
    history?.apply();
    return { written: appended, unchanged: records.length - appended };
  }

  /** The keys written (appended or unchanged) since this folder was opened, per stream, with when (ms after opening). */
  private seenKeys(stream: string): KeyIndex {
    let seen = this.seen.get(stream);
    if (!seen) this.seen.set(stream, (seen = new KeyIndex()));
    return seen;
  }

  /**
   * A completed full pass's deletions: tombstone lines appended and committed like a page (deletions.ts). A record read
   * again unchanged is not appended, so its line cannot say the pass saw it: only a pass that began after this folder
   * was opened (its keys are in `seen`) can tell; one resumed from an earlier run marks nothing (the next one will).
   */
  async markDeleted(stream: string, mark: DeletionMark): Promise<DeletionResult> {
    this.assertWritable();
    const open = this.streams.get(stream);
    const committed = this.state.streams[stream];
    if (!open || !committed) throw unknownStream(stream);
    if (mark.seenSince < this.openedAt) return { marked: 0, purged: 0 };
    const index = this.index(stream, open, committed);
    const seen = this.seenKeys(stream);
    const from = Date.parse(mark.seenSince) - this.openedMs;
    const t = await tombstones(
      join(this.location, committed.file),
      committed.bytes,
      open.compiled,
      mark,
      (e) => (seen.get(e.hi, e.lo) ?? -1) >= from,
    ).catch((err: unknown) => {
      throw destinationError(err, this.location);
    });
    if (t.entries.length === 0) return { marked: 0, purged: 0 };
    const data = Buffer.from(t.lines.join(''), 'utf8');
    const keys = Buffer.allocUnsafe(t.entries.length * ENTRY_BYTES);
    t.entries.forEach((e, i) => writeEntry(keys, i * ENTRY_BYTES, e));
    const next = cloneState(this.state);
    next.streams[stream] = {
      ...committed,
      bytes: committed.bytes + data.length,
      lines: committed.lines + t.entries.length,
      keys_bytes: committed.keys_bytes + keys.length,
    };
    this.guard(() => {
      try {
        const fds = this.fds(open, committed);
        ftruncateSync(fds.data, committed.bytes);
        ftruncateSync(fds.keys, committed.keys_bytes);
        writeAll(fds.data, data, committed.bytes);
        writeAll(fds.keys, keys, committed.keys_bytes);
        if (this.durable) {
          fdatasyncSync(fds.data);
          fdatasyncSync(fds.keys);
        }
        writeState(this.location, next, this.durable);
      } catch (err) {
        this.dirty = true;
        throw err;
      }
    });
    this.state = next;
    for (const e of t.entries) index.set(e.hi, e.lo, e.content);
    return { marked: t.entries.length, purged: 0 };
  }

  /**
   * Records pushed outside a run (see ../push.ts): appended as a page's lines are (a record stored exactly so is not
   * appended again), with no checkpoint; those older than their stored line by `newerBy` left out. `unchanged`
   * counts both.
   */
  async writeRecords(stream: string, records: readonly DestinationRecord[], options: PushWrite): Promise<WriteResult> {
    this.assertWritable();
    const open = this.streams.get(stream);
    const committed = this.state.streams[stream];
    if (!open || !committed) throw unknownStream(stream);
    const s = open.compiled;
    const push = checkedPush(s, records, options);
    let rows = newestPerKey(s, records, push.newerBy);
    const newerBy = push.newerBy;
    if (newerBy) {
      const id = `${stream}\u0000${newerBy.name}`;
      let values = this.storedValues.get(id);
      if (!values)
        this.storedValues.set(id, (values = new StoredValues(join(this.location, committed.file), s, newerBy)));
      const stored = await this.guardAsync(() => values.upTo(committed.bytes));
      rows = rows.filter((r) => !storedIsNewer(stored.get(s.keyOf(r)), newerBy.read(r)));
    }
    const index = this.index(stream, open, committed);
    // A push carries part of what a sync reads: a key already stored keeps what the message lacks (push.ts,
    // mergedRecord). Finding its line reads the stream file, so only for a stream with a history (errors, whose
    // state a message changes); elsewhere (an event, a comment) a stored line already holds all the message says.
    const stored = rows.filter((r) => {
      const e = entryOf(s.keyOf(r), '');
      return index.get(e.hi, e.lo) !== undefined;
    });
    if (stored.length > 0 && !s.history) {
      const known = new Set(stored);
      rows = rows.filter((r) => !known.has(r));
    } else if (stored.length > 0) {
      const wanted = new Set(stored.map((r) => s.keyOf(r)));
      const latest = await this.guardAsync(() =>
        latestRecords(join(this.location, committed.file), committed.bytes, s, wanted),
      );
      rows = rows.map((r) => {
        const was = latest.get(s.keyOf(r));
        return was ? mergedRecord(was.record, r) : r;
      });
    }
    const h = s.history;
    const hCommitted = h ? this.state.streams[h.name] : undefined;
    if (h && hCommitted) {
      const intervals = await this.openIntervalsOf(h, hCommitted);
      rows = rows.map((r) => keptState(h, r, push.at, intervals.get(h.keyOf(r))));
    }
    const suffix = systemSuffix(new Date().toISOString(), options.sourceId, push.runId);
    const items: Array<{ line: string; key: string; json: string }> = [];
    for (const record of rows) {
      const json = JSON.stringify(record);
      const key = s.keyOf(record);
      const e = entryOf(key, json);
      if (index.get(e.hi, e.lo) !== e.content) items.push({ line: recordLine(json, suffix), key, json });
    }
    const part = appended(stream, items);
    const parts: AppendPart[] = [{ ...part, open, committed, after: () => indexAll(index, part) }];
    if (s.history) {
      const cp: CheckpointWrite = {
        sourceId: options.sourceId,
        partition: '',
        state: null,
        ...(push.runId ? { runId: push.runId } : {}),
        observed: { at: push.at, by: push.by },
      };
      const h = await this.historyPage(s.history, rows, cp, push.at, true);
      parts.push({ ...h, lines: h.count, entries: [], after: h.apply });
    }
    this.commitAppends(parts);
    return { written: items.length, unchanged: records.length - items.length };
  }

  /**
   * Changes of tracked fields (see ../push.ts and sqlite/push.ts for the rules): for each, the open interval again
   * with its valid_to and the merged new one appended to the history file, and the error's latest line again with
   * the changed fields (found by one read of the stream file per call). Returns how many intervals were opened.
   */
  async recordObservations(stream: string, observations: readonly Observation[]): Promise<number> {
    this.assertWritable();
    const open = this.streams.get(stream);
    const committed = this.state.streams[stream];
    if (!open || !committed) throw unknownStream(stream);
    const s = open.compiled;
    const checked = checkedObservations(s, observations);
    const h = s.history!;
    const hOpen = this.streams.get(h.name);
    const hCommitted = this.state.streams[h.name];
    if (!hOpen || !hCommitted) throw unknownStream(h.name);
    if (checked.length === 0) return 0;
    const intervals = await this.openIntervalsOf(h, hCommitted);
    const wanted = new Set(checked.map((o) => JSON.stringify(o.streamKey)));
    const rows = await this.guardAsync(() =>
      latestRecords(join(this.location, committed.file), committed.bytes, s, wanted),
    );
    // The row's line again with the change: its system columns as they were (a change is not a sync's write).
    const changedRows = new Map<string, StoredRecord>();
    const opened = new Map<string, HistoryLine>();
    const lines: HistoryLine[] = [];
    let count = 0;
    for (const o of checked) {
      const k = JSON.stringify(o.historyKey);
      const current = opened.get(k) ?? intervals.get(k);
      if (current && !notBefore(o.at, String(current.valid_from))) continue;
      const sk = JSON.stringify(o.streamKey);
      const stored = rows.get(sk);
      const row = stored?.record;
      if (stored) {
        let record = stored.record;
        for (const c of o.changes) record = withValue(record, c.field.path, c.raw);
        rows.set(sk, { ...stored, record });
        changedRows.set(sk, { ...stored, record });
      }
      if (current && o.changes.every((c) => current[c.field.name] === c.value)) continue;
      const base: HistoryLine | DestinationRecord | undefined = current ?? row;
      const state = mergedFields(
        h.fields,
        base === undefined ? null : (f) => (current ? (current[f.name] ?? null) : f.read(base as DestinationRecord)),
        o,
      );
      const from = current ? intervalStart(h, {}, o.at, String(current.valid_from)) : o.at;
      if (current) lines.push({ ...current, valid_to: from });
      const line: HistoryLine = {};
      h.key.forEach((c, i) => (line[c.name] = o.historyKey[i]!));
      h.fields.forEach((f, i) => (line[f.name] = state[i]!));
      Object.assign(line, { valid_from: from, valid_to: null, observed_by: o.by, _run_id: o.runId });
      lines.push(line);
      opened.set(k, line);
      count++;
    }
    const index = this.index(stream, open, committed);
    const hIndex = this.index(h.name, hOpen, hCommitted);
    const items = [...changedRows].flatMap(([key, { record, syncedAt, sourceId, runId }]) => {
      const json = JSON.stringify(record);
      const e = entryOf(key, json);
      return index.get(e.hi, e.lo) === e.content
        ? []
        : [{ line: recordLine(json, systemSuffix(syncedAt, sourceId, runId)), key, json }];
    });
    const texts = lines.map((l) => JSON.stringify(l));
    const rowPart = appended(stream, items);
    const historyPart = appended(
      h.name,
      lines.map((l, i) => ({ line: texts[i]!, key: hOpen.compiled.keyOf(l), json: texts[i]! })),
    );
    this.commitAppends([
      { ...historyPart, open: hOpen, committed: hCommitted, after: () => indexAll(hIndex, historyPart) },
      { ...rowPart, open, committed, after: () => indexAll(index, rowPart) },
    ]);
    for (const [k, line] of opened) intervals.set(k, line);
    return count;
  }

  /**
   * Appends to several files, then commits their new lengths by one replace of the state (as writePage does, with
   * no checkpoint): each file is cut back to its committed length first, so bytes a failed write left go.
   */
  private commitAppends(parts: readonly AppendPart[]): void {
    const next = grown(this.state, parts);
    this.guard(() => {
      try {
        for (const p of parts) {
          if (p.lines === 0) continue;
          const fds = this.fds(p.open, p.committed);
          ftruncateSync(fds.data, p.committed.bytes);
          ftruncateSync(fds.keys, p.committed.keys_bytes);
          writeAll(fds.data, p.data, p.committed.bytes);
          writeAll(fds.keys, p.keys, p.committed.keys_bytes);
          if (this.durable) {
            fdatasyncSync(fds.data);
            fdatasyncSync(fds.keys);
          }
        }
        writeState(this.location, next, this.durable);
      } catch (err) {
        this.dirty = true;
        throw err;
      }
    });
    this.state = next;
    for (const p of parts) p.after();
  }

  async readCheckpoint(sourceId: string, stream: string, partition: string): Promise<unknown> {
    const entry = this.state.checkpoints[sourceId]?.[stream]?.[partition];
    return entry ? structuredClone(entry.state) : null;
  }

  async readCheckpoints(sourceId: string): Promise<StoredCheckpoint[]> {
    const out: StoredCheckpoint[] = [];
    for (const [stream, partitions] of Object.entries(this.state.checkpoints[sourceId] ?? {}).sort(([a], [b]) =>
      a.localeCompare(b),
    )) {
      for (const [partition, entry] of Object.entries(partitions).sort(([a], [b]) => a.localeCompare(b))) {
        out.push({ sourceId, stream, partition, state: structuredClone(entry.state), updatedAt: entry.updated_at });
      }
    }
    return out;
  }

  async resetCheckpoints(sourceId: string, streams?: readonly string[]): Promise<number> {
    this.assertWritable();
    const next = cloneState(this.state);
    const bySource = next.checkpoints[sourceId];
    if (!bySource) return 0;
    let removed = 0;
    for (const stream of streams ?? Object.keys(bySource)) {
      removed += Object.keys(bySource[stream] ?? {}).length;
      delete bySource[stream];
    }
    if (Object.keys(bySource).length === 0) delete next.checkpoints[sourceId];
    this.commit(next);
    return removed;
  }

  async countRecords(stream: string): Promise<number> {
    const open = this.streams.get(stream);
    const committed = this.state.streams[stream];
    if (!open || !committed) return 0;
    return this.index(stream, open, committed).size;
  }

  async listRecords(stream: string, options: { limit?: number } = {}): Promise<Array<Record<string, unknown>>> {
    const open = this.streams.get(stream);
    const committed = this.state.streams[stream];
    if (!open || !committed) return [];
    const latest = new Map<string, Record<string, unknown>>();
    for await (const line of committedLines(join(this.location, committed.file), committed.bytes)) {
      const record = JSON.parse(line) as Record<string, unknown>;
      delete record._synced_at;
      delete record._source_id;
      delete record._run_id;
      delete record._deleted_at;
      latest.set(open.compiled.keyOf(record), record);
    }
    const all = [...latest.values()];
    return options.limit === undefined ? all : all.slice(0, options.limit);
  }

  async describe(): Promise<DestinationSchema> {
    const streams = [];
    for (const [name, s] of Object.entries(this.state.streams).sort(([a], [b]) => a.localeCompare(b))) {
      const keys = new Set(s.descriptor.primaryKey);
      streams.push({
        name,
        records: await this.countRecords(name),
        columns: s.descriptor.columns.map((c) => ({ name: c.name, type: c.type, primaryKey: keys.has(c.name) })),
        definition: join(this.location, s.file),
      });
    }
    return { kind: this.kind, location: this.location, streams };
  }

  /**
   * Appends the run's line to `_snagsync_runs.jsonl` (with its counts when it ends), then commits the state: the
   * file's new length, the run open or closed. A run that starts closes, as failed, the runs of its source still open.
   */
  async recordRun(run: RunRecord): Promise<void> {
    this.assertWritable();
    const next = cloneState(this.state);
    const runs: RunsState = next.runs ?? { bytes: 0, open: {}, counts: {} };
    next.runs = runs;
    const lines: RunLine[] = [];
    const close = (line: RunLine) => {
      lines.push({ ...line, streams: countsOf(runs, line.run_id) });
      delete runs.open[line.run_id];
      delete runs.counts[line.run_id];
    };
    if (run.status === 'running')
      for (const open of Object.values(runs.open))
        if (open.source_id === run.sourceId && open.run_id !== run.runId)
          close({ ...open, status: 'failed', error: killedMessage(run.runId) });
    const line: RunLine = {
      run_id: run.runId,
      source_id: run.sourceId,
      source_name: run.sourceName,
      trigger: run.trigger,
      started_at: run.startedAt,
      ended_at: run.endedAt,
      status: run.status,
      error: run.error,
      streams: [],
    };
    if (run.status === 'running') {
      lines.push({ ...line, streams: countsOf(runs, run.runId) });
      runs.open[run.runId] = line;
    } else close(line);
    const data = Buffer.from(lines.map((l) => `${JSON.stringify(l)}\n`).join(''), 'utf8');
    this.guard(() => {
      const path = join(this.location, RUNS_FILE);
      createDataFile(path);
      const fd = openSync(path, 'r+');
      try {
        ftruncateSync(fd, this.state.runs?.bytes ?? 0);
        writeAll(fd, data, this.state.runs?.bytes ?? 0);
        if (this.durable) fdatasyncSync(fd);
      } finally {
        closeSync(fd);
      }
    });
    runs.bytes += data.length;
    this.commit(next);
  }

  async listRuns(): Promise<Array<RunRecord & { streams: RunStreamCounts[] }>> {
    const runs = this.state.runs;
    if (!runs) return [];
    const latest = new Map<string, RunLine>();
    for await (const text of committedLines(join(this.location, RUNS_FILE), runs.bytes)) {
      const line = JSON.parse(text) as RunLine;
      latest.delete(line.run_id);
      latest.set(line.run_id, line);
    }
    const order = (a: RunLine, b: RunLine) =>
      a.started_at < b.started_at
        ? -1
        : a.started_at > b.started_at
          ? 1
          : a.run_id < b.run_id
            ? -1
            : a.run_id > b.run_id
              ? 1
              : 0;
    return [...latest.values()].sort(order).map((l) => ({
      runId: l.run_id,
      sourceId: l.source_id,
      sourceName: l.source_name,
      trigger: l.trigger,
      startedAt: l.started_at,
      endedAt: l.ended_at,
      status: l.status,
      error: l.error,
      streams: (runs.open[l.run_id] ? countsOf(runs, l.run_id) : l.streams).map((c) => ({
        stream: c.stream,
        partition: c.partition,
        recordsRead: c.records_read,
        recordsWritten: c.records_written,
        pages: c.pages,
      })),
    }));
  }

  async close(): Promise<void> {
    for (const open of this.streams.values()) {
      for (const fd of [open.dataFd, open.keysFd]) if (fd !== null) closeSync(fd);
      open.dataFd = open.keysFd = null;
    }
    this.release();
  }

  /**
   * A page's lines of the stream's history file (see HistorySpec): for a key whose state differs from its open
   * interval, the interval again with its valid_to (the last line of an interval is its current version, as for
   * records) and the new open interval; for a key's first state, its first interval. The same state adds nothing,
   * so a replayed page adds nothing. `apply` updates the open intervals once the page is committed.
   */
  private async historyPage(
    h: CompiledHistory,
    records: readonly DestinationRecord[],
    cp: CheckpointWrite,
    now: string,
    forwardOnly = false,
  ): Promise<{
    name: string;
    open: OpenStream;
    committed: StreamState;
    data: Buffer;
    keys: Buffer;
    count: number;
    apply(): void;
  }> {
    const open = this.streams.get(h.name);
    const committed = this.state.streams[h.name];
    if (!open || !committed) throw unknownStream(h.name);
    const intervals = await this.openIntervalsOf(h, committed);
    const index = this.index(h.name, open, committed);
    const last = new Map<string, DestinationRecord>();
    for (const r of records) {
      const k = h.keyOf(r);
      last.delete(k);
      last.set(k, r);
    }
    const at = cp.observed?.at ?? now;
    const by = cp.observed?.by ?? 'incremental';
    const out: HistoryLine[] = [];
    const opened = new Map<string, HistoryLine>();
    for (const [k, record] of last) {
      const fields = h.fields.map((f) => f.read(record));
      const current = intervals.get(k);
      if (current && h.fields.every((f, i) => current[f.name] === fields[i])) continue;
      // Records pushed outside a run: a state observed before the open interval began never reorders the intervals.
      if (current && forwardOnly && !notBefore(at, String(current.valid_from))) continue;
      const from = intervalStart(h, record, at, current ? String(current.valid_from) : null);
      if (current) out.push({ ...current, valid_to: from });
      const line: HistoryLine = {};
      h.key.forEach((c) => (line[c.name] = c.from.read(record)));
      h.fields.forEach((f, i) => (line[f.name] = fields[i]!));
      Object.assign(line, { valid_from: from, valid_to: null, observed_by: by, _run_id: cp.runId ?? null });
      out.push(line);
      opened.set(k, line);
    }
    const texts = out.map((l) => JSON.stringify(l));
    const keys = Buffer.allocUnsafe(out.length * ENTRY_BYTES);
    const entries = out.map((l, i) => {
      const e = entryOf(open.compiled.keyOf(l), texts[i]!);
      writeEntry(keys, i * ENTRY_BYTES, e);
      return e;
    });
    return {
      name: h.name,
      open,
      committed,
      data: Buffer.from(texts.map((t) => `${t}\n`).join(''), 'utf8'),
      keys,
      count: out.length,
      apply: () => {
        for (const e of entries) index.set(e.hi, e.lo, e.content);
        for (const [k, line] of opened) intervals.set(k, line);
      },
    };
  }

  /** The open interval of each key of a history file, read from its committed lines once. */
  private async openIntervalsOf(h: CompiledHistory, committed: StreamState): Promise<Map<string, HistoryLine>> {
    const known = this.openIntervals.get(h.name);
    if (known) return known;
    const map = new Map<string, HistoryLine>();
    for await (const text of committedLines(join(this.location, committed.file), committed.bytes)) {
      const line = JSON.parse(text) as HistoryLine;
      const k = JSON.stringify(h.key.map((c) => line[c.name]));
      if (line.valid_to === null) map.set(k, line);
      else if (map.get(k)?.valid_from === line.valid_from) map.delete(k);
    }
    this.openIntervals.set(h.name, map);
    return map;
  }

  /** The stream's key index, loaded from its `.keys` file on first use. */
  private index(stream: string, open: OpenStream, committed: StreamState): KeyIndex {
    if (open.index) return open.index;
    const index = new KeyIndex(committed.lines);
    const path = join(this.location, keysFile(committed.file));
    this.guard(() => {
      if (committed.keys_bytes > 0) index.load(readFileSync(path).subarray(0, committed.keys_bytes));
    });
    if (committed.keys_bytes !== committed.lines * ENTRY_BYTES) {
      throw new SnagError(
        'destination',
        `The key file of stream "${stream}" in ${this.location} does not match its data.`,
        fullRefreshAdvice('Move the folder away and, with a new one as the destination,'),
      );
    }
    open.index = index;
    return index;
  }

  private fds(open: OpenStream, committed: StreamState): { data: number; keys: number } {
    open.dataFd ??= openSync(join(this.location, committed.file), 'r+');
    open.keysFd ??= openSync(join(this.location, keysFile(committed.file)), 'r+');
    return { data: open.dataFd, keys: open.keysFd };
  }

  private commit(next: JsonlState): void {
    next.updated_at = new Date().toISOString();
    this.guard(() => writeState(this.location, next, this.durable));
    this.state = next;
  }

  private assertWritable(): void {
    if (this.readOnly) throw new SnagError('internal', `The JSONL destination ${this.location} was opened read-only.`);
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw destinationError(err, this.location);
    }
  }

  private async guardAsync<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw destinationError(err, this.location);
    }
  }
}

export function openJsonlDestination(dir: string, options: JsonlDestinationOptions = {}): JsonlDestination {
  return new JsonlDestination(dir, options);
}

/** Lines to append to a file, with what to update in memory once they are committed. */
type AppendPart = Appended & { open: OpenStream; committed: StreamState; after(): void };

function indexAll(index: KeyIndex, part: Appended): void {
  for (const e of part.entries) index.set(e.hi, e.lo, e.content);
}

/** A line of a history file: the key, the tracked fields, valid_from, valid_to, observed_by, _run_id. */
type HistoryLine = Record<string, string | number | bigint | null>;

/** A history file as the state names it: its key is the history's key + valid_from (`_run_id` is not a column). */
function historyDescriptor(h: CompiledHistory): StreamDescriptor {
  return {
    name: h.name,
    primaryKey: h.primaryKey,
    columns: h.columns.filter((c) => !c.name.startsWith('_')).map((c) => ({ name: c.name, type: c.type })),
  };
}

function keysFile(dataFile: string): string {
  return dataFile.replace(/\.jsonl$/, '.keys');
}

function cloneState(s: JsonlState): JsonlState {
  return structuredClone(s);
}

function plainDescriptor(d: StreamDescriptor): StreamState['descriptor'] {
  return {
    name: d.name,
    primaryKey: [...d.primaryKey],
    columns: d.columns.map((c) => ({
      name: c.name,
      type: c.type,
      ...(c.path ? { path: [...c.path] } : {}),
      ...(c.or ? { or: c.or.map((p) => [...p]) } : {}),
    })),
  };
}

/**
 * The state after a page: the stream's lengths grown and the partition's checkpoint replaced. Only the objects on the
 * way to what changed are new; the rest (every other stream and checkpoint) is shared with `state`, which is left
 * as it was — a page whose commit fails changes nothing. Copying the whole state per page instead costs as much as
 * writing it when checkpoints are large (comments keep one entry per error).
 */
function withPage(
  state: JsonlState,
  stream: string,
  grown: Pick<StreamState, 'bytes' | 'lines' | 'keys_bytes'>,
  page: { read: number; written: number },
  cp: CheckpointWrite,
  value: unknown,
  now: string,
): JsonlState {
  const s = state.streams[stream]!;
  const bySource = state.checkpoints[cp.sourceId] ?? {};
  let runs = state.runs;
  if (cp.runId) {
    const base = runs ?? { bytes: 0, open: {}, counts: {} };
    const byRun = base.counts[cp.runId] ?? {};
    const was = byRun[stream]?.[cp.partition] ?? { records_read: 0, records_written: 0, pages: 0 };
    runs = {
      ...base,
      counts: {
        ...base.counts,
        [cp.runId]: {
          ...byRun,
          [stream]: {
            ...byRun[stream],
            [cp.partition]: {
              records_read: was.records_read + page.read,
              records_written: was.records_written + page.written,
              pages: was.pages + 1,
            },
          },
        },
      },
    };
  }
  return {
    ...state,
    ...(runs ? { runs } : {}),
    streams: {
      ...state.streams,
      [stream]: {
        ...s,
        bytes: s.bytes + grown.bytes,
        lines: s.lines + grown.lines,
        keys_bytes: s.keys_bytes + grown.keys_bytes,
      },
    },
    checkpoints: {
      ...state.checkpoints,
      [cp.sourceId]: {
        ...bySource,
        [stream]: { ...bySource[stream], [cp.partition]: { state: value, updated_at: now } },
      },
    },
  };
}

function countsOf(runs: RunsState, runId: string): RunLine['streams'] {
  return Object.entries(runs.counts[runId] ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([stream, parts]) =>
      Object.entries(parts)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([partition, c]) => ({ stream, partition, ...c })),
    );
}

function cutTo(path: string, length: number, dir: string): void {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    if (length === 0) return;
    throw lost(path, dir, 'is missing');
  }
  if (size < length) throw lost(path, dir, `is shorter (${size} bytes) than its committed length (${length} bytes)`);
  if (size > length) {
    const fd = openSync(path, 'r+');
    try {
      ftruncateSync(fd, length);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

function lost(path: string, dir: string, what: string): SnagError {
  return new SnagError(
    'destination',
    `${path} ${what}: committed data was removed or the file was replaced.`,
    fullRefreshAdvice(`Restore it from a backup, or move ${dir} away and, with a new folder as the destination,`),
  );
}

function writeAll(fd: number, buf: Buffer, position: number): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off, position + off);
}
