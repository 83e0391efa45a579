import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { readState } from '../../destinations/jsonl/state.js';
import { parseDestinationUrl } from '../../destinations/url.js';
import { findStream } from '../../streams/catalog.js';
import { type SqlReader, withSqlReader } from './sql-reader.js';

/**
 * How fresh each stream of a source is in its destination: the newest value of one column per stream table, read
 * with one MAX each. The column is the stream's indexed timestamp when it has one (events by `received_at`, errors
 * by `last_seen_unfiltered`: the newest record's own time, an index seek however large the table), else
 * `_synced_at` (when a sync last wrote a row: the streams without such an index are small full-refresh lists). A
 * JSONL folder: the `_synced_at` of the last committed line of the stream's file (the file is appended in order).
 */

export interface StreamFreshness {
  stream: string;
  /** The column read: a timestamp of the records (`received_at`…) or `_synced_at`. */
  column: string;
  /** Its newest value; null when the stream has no rows (or no table) yet. */
  newest_at: string | null;
}

/** The column whose MAX says how fresh a stream is: its first single-column index on a timestamp, else _synced_at. */
export function freshnessColumn(stream: string): string {
  const s = findStream(stream);
  const timestamps = new Set((s?.columns ?? []).filter((c) => c.type === 'timestamp').map((c) => c.name));
  const indexed = (s?.indexes ?? []).find((i) => i.length === 1 && timestamps.has(i[0]!));
  return indexed?.[0] ?? '_synced_at';
}

export async function streamFreshness(destination: string, streams: readonly string[]): Promise<StreamFreshness[]> {
  const target = parseDestinationUrl(destination);
  if (target.kind === 'jsonl') return jsonlFreshness(target.dir, streams);
  const rows = await withSqlReader(target, (r) => sqlFreshness(r, streams));
  return rows ?? streams.map((stream) => ({ stream, column: freshnessColumn(stream), newest_at: null }));
}

async function sqlFreshness(r: SqlReader, streams: readonly string[]): Promise<StreamFreshness[]> {
  const out: StreamFreshness[] = [];
  for (const stream of streams) {
    const column = freshnessColumn(stream);
    if (!r.has(stream, column)) {
      out.push({ stream, column, newest_at: null });
      continue;
    }
    const [row] = await r.all<{ newest: string | null }>(`SELECT MAX("${column}") AS newest FROM ${r.table(stream)}`);
    out.push({ stream, column, newest_at: row?.newest ?? null });
  }
  return out;
}

/** The last committed line's `_synced_at`: a read of the file's tail, never of the whole file. */
function jsonlFreshness(dir: string, streams: readonly string[]): StreamFreshness[] {
  const state = readState(dir);
  return streams.map((stream) => {
    const s = state?.streams[stream];
    const path = s ? join(dir, s.file) : null;
    const last = s && path && existsSync(path) ? lastLine(path, s.bytes) : null;
    let newest: string | null = null;
    try {
      const v = last ? (JSON.parse(last) as Record<string, unknown>)._synced_at : null;
      newest = typeof v === 'string' ? v : null;
    } catch {
      newest = null;
    }
    return { stream, column: '_synced_at', newest_at: newest };
  });
}

/** Records are a few KiB; a full event report can be larger, so the tail read grows until it holds a line break. */
function lastLine(path: string, bytes: number): string | null {
  if (bytes <= 0) return null;
  const fd = openSync(path, 'r');
  try {
    for (let size = 64 * 1024; ; size *= 4) {
      const start = Math.max(0, bytes - size);
      const buf = Buffer.alloc(bytes - start);
      readSync(fd, buf, 0, buf.length, start);
      const text = buf.toString('utf8').replace(/\n+$/, '');
      const nl = text.lastIndexOf('\n');
      if (nl >= 0 || start === 0) return text.slice(nl + 1) || null;
    }
  } finally {
    closeSync(fd);
  }
}
