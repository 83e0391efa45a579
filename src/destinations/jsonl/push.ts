import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { CompiledColumn, CompiledStream, SqlValue } from '../descriptor.js';
import type { DestinationRecord } from '../types.js';
import { ENTRY_BYTES, entryOf, writeEntry, type KeyEntry } from './key-index.js';
import type { JsonlState } from './state.js';

/**
 * What `writeRecords` and `recordObservations` need in a JSONL folder besides what `writePage` does: the stored
 * value of a `newerBy` column per key (kept as the file is read, from where it was last read), the latest record of
 * some keys, and lines appended to several files committed by one replace of the state.
 */

/** The lines between two committed byte offsets of a file (both at line ends). */
async function* linesBetween(path: string, start: number, end: number): AsyncGenerator<string> {
  if (end <= start) return;
  const lines = createInterface({
    input: createReadStream(path, { start, end: end - 1, encoding: 'utf8' }),
    crlfDelay: Infinity,
  });
  for await (const line of lines) if (line !== '') yield line;
}

/** A column's latest stored value per key of a stream file, read on from where the last call stopped. */
export class StoredValues {
  private readonly values = new Map<string, SqlValue>();
  private readTo = 0;

  constructor(
    private readonly path: string,
    private readonly stream: CompiledStream,
    private readonly column: CompiledColumn,
  ) {}

  async upTo(committedBytes: number): Promise<Map<string, SqlValue>> {
    for await (const text of linesBetween(this.path, this.readTo, committedBytes)) {
      const record = JSON.parse(text) as DestinationRecord;
      this.values.set(this.stream.keyOf(record), this.column.read(record));
    }
    this.readTo = Math.max(this.readTo, committedBytes);
    return this.values;
  }
}

/** A stored record without the columns snagsync adds to its line, and what those held. */
export interface StoredRecord {
  record: Record<string, unknown>;
  syncedAt: string;
  sourceId: string;
  runId: string | null;
}

/** The latest stored record of each wanted key (by the stream's key). */
export async function latestRecords(
  path: string,
  committedBytes: number,
  stream: CompiledStream,
  wanted: ReadonlySet<string>,
): Promise<Map<string, StoredRecord>> {
  const out = new Map<string, StoredRecord>();
  if (wanted.size === 0) return out;
  for await (const text of linesBetween(path, 0, committedBytes)) {
    const record = JSON.parse(text) as Record<string, unknown>;
    const k = stream.keyOf(record);
    if (!wanted.has(k)) continue;
    const stored: StoredRecord = {
      record,
      syncedAt: String(record._synced_at),
      sourceId: String(record._source_id),
      runId: typeof record._run_id === 'string' ? record._run_id : null,
    };
    delete record._synced_at;
    delete record._source_id;
    delete record._run_id;
    out.set(k, stored);
  }
  return out;
}

/** The system columns a line ends with (after a comma, before the closing brace). */
export function systemSuffix(syncedAt: string, sourceId: string, runId: string | null): string {
  return `"_synced_at":${JSON.stringify(syncedAt)},"_source_id":${JSON.stringify(sourceId)},"_run_id":${JSON.stringify(runId)}}`;
}

/** A record's line: its JSON with the system columns (`suffix`, starting after a comma) at the end. */
export function recordLine(json: string, suffix: string): string {
  return json.length > 2 ? `${json.slice(0, -1)},${suffix}` : `{${suffix}`;
}

/** Lines to append to one file: the bytes, their `.keys` entries (by the file's key), how many. */
export interface Appended {
  name: string;
  data: Buffer;
  keys: Buffer;
  entries: KeyEntry[];
  lines: number;
}

/**
 * Lines as an append to the file of `name`: each line's `.keys` entry is its key and the JSON it is compared by
 * (a record's own JSON, without the system columns; a history line's whole text).
 */
export function appended(name: string, items: ReadonlyArray<{ line: string; key: string; json: string }>): Appended {
  const keys = Buffer.allocUnsafe(items.length * ENTRY_BYTES);
  const entries = items.map((item, i) => {
    const e = entryOf(item.key, item.json);
    writeEntry(keys, i * ENTRY_BYTES, e);
    return e;
  });
  return {
    name,
    data: Buffer.from(items.map((item) => `${item.line}\n`).join(''), 'utf8'),
    keys,
    entries,
    lines: items.length,
  };
}

/** The state with the files grown by their appends (checkpoints untouched: pushes carry none). */
export function grown(state: JsonlState, parts: readonly Appended[]): JsonlState {
  const streams = { ...state.streams };
  for (const p of parts) {
    const s = streams[p.name]!;
    streams[p.name] = {
      ...s,
      bytes: s.bytes + p.data.length,
      lines: s.lines + p.lines,
      keys_bytes: s.keys_bytes + p.keys.length,
    };
  }
  return { ...state, streams, updated_at: new Date().toISOString() };
}
