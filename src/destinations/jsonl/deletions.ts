import { CONVERTERS, type CompiledStream } from '../descriptor.js';
import type { DeletionMark } from '../types.js';
import { entryOf, type KeyEntry } from './key-index.js';
import { committedLines } from './lines.js';

/**
 * A completed full pass's deletions in a JSONL stream file, which is append-only: for each key of the scope whose
 * last line (its current version) this source wrote before the pass began, a **tombstone** — that line again with
 * `_deleted_at` added — to append. A key whose last line is a tombstone is deleted; one written again after it is
 * there again (the tombstone's key-index entry hashes the tombstone itself, so the same record read again is not
 * taken for unchanged and is appended). Nothing is ever removed, `purge_deleted` or not: a consumer that wants the
 * rows gone drops the keys whose last line has `_deleted_at`. A record read again unchanged is not appended, so
 * whether the pass saw a key is asked of the destination (`seen`), not of the line's `_synced_at`.
 */
const SYNCED = '"_synced_at":"';

export async function tombstones(
  path: string,
  bytes: number,
  compiled: CompiledStream,
  mark: DeletionMark,
  /** Whether the pass wrote the key (appended, or read unchanged): its line's `_synced_at` cannot say. */
  seen: (e: KeyEntry) => boolean,
): Promise<{ lines: string[]; entries: KeyEntry[] }> {
  const column = (name: string) => compiled.columns.find((c) => c.name === name);
  const scope = Object.entries(mark.scope).map(([name, value]) => ({ col: column(name), value }));
  const within = mark.within ? { col: column(mark.within.column), from: CONVERTERS.timestamp(mark.within.from) } : null;
  // Per key, its last line when that line is of the scope and older than the pass (null: another scope's key).
  const last = new Map<string, { line: string; record: Record<string, unknown> } | null>();
  // The scope's columns are part of the key (a project's, an organization's rows): a line that does not hold their
  // values as written by JSON.stringify is another scope's, and no key of the scope — it is skipped unparsed.
  const needles = scope.flatMap(({ col, value }) =>
    col && col.path.length === 1 && col.path[0] === col.name ? [`"${col.name}":${JSON.stringify(value)}`] : [],
  );
  for await (const line of committedLines(path, bytes)) {
    if (!needles.every((n) => line.includes(n))) continue;
    // A line the pass wrote (its `_synced_at`, near the end, is not older) has a key the pass saw: no need to parse
    // it (a first sync's lines all are). Only this destination writes the folder, so that key is in `seen` too.
    const at = line.lastIndexOf(SYNCED);
    if (at >= 0 && line.slice(at + SYNCED.length, at + SYNCED.length + 24) >= mark.seenSince) continue;
    const record = JSON.parse(line) as Record<string, unknown>;
    const inScope = scope.every(({ col, value }) => col !== undefined && String(col.read(record)) === value);
    last.set(compiled.keyOf(record), inScope ? { line, record } : null);
  }
  const at = JSON.stringify(CONVERTERS.timestamp(mark.at));
  const lines: string[] = [];
  const entries: KeyEntry[] = [];
  for (const [key, found] of last) {
    if (found === null) continue;
    const { line, record } = found;
    if (record._deleted_at !== undefined && record._deleted_at !== null) continue;
    if (record._source_id !== mark.sourceId) continue;
    if (typeof record._synced_at !== 'string' || record._synced_at >= mark.seenSince) continue;
    if (within) {
      const v = within.col?.read(record);
      if (typeof v !== 'string' || typeof within.from !== 'string' || v < within.from) continue;
    }
    const tombstone = `${line.slice(0, -1)},"_deleted_at":${at}}`;
    const entry = entryOf(key, tombstone);
    if (seen(entry)) continue;
    lines.push(`${tombstone}\n`);
    entries.push(entry);
  }
  return { lines, entries };
}
