import type { Statement } from 'better-sqlite3';
import { intervalStart, type CompiledHistory, type SqlValue } from '../descriptor.js';
import { notBefore } from '../push.js';
import type { DestinationRecord, ObservedBy } from '../types.js';

export interface PreparedHistory {
  compiled: CompiledHistory;
  /** The open interval of a key. */
  open: Statement;
  /** Ends the open interval of a key: (valid_to, ...key). */
  close: Statement;
  /** A new interval: key, fields, valid_from, valid_to (NULL), observed_by, _run_id. */
  insert: Statement;
}

/**
 * Records' observed states into the stream's history, inside the transaction that writes them: a key's first state
 * opens its first interval; a state that differs from the open interval closes it where the new one starts; the same
 * state changes nothing (so a replayed page adds nothing). Within a batch the last record of a key is its state.
 * `forwardOnly` (records pushed outside a run): a state observed before the open interval began is left out, so a
 * late message never reorders the intervals.
 */
export function writeHistory(
  h: PreparedHistory,
  records: readonly DestinationRecord[],
  observed: { at: string; by: ObservedBy },
  runId: string | null,
  forwardOnly = false,
): void {
  const { compiled } = h;
  const last = new Map<string, DestinationRecord>();
  for (const r of records) {
    const k = compiled.keyOf(r);
    last.delete(k);
    last.set(k, r);
  }
  for (const record of last.values()) {
    const key = compiled.key.map((k) => k.from.read(record));
    const fields = compiled.fields.map((f) => f.read(record));
    const open = h.open.get(key) as Record<string, SqlValue> | undefined;
    if (open && compiled.fields.every((f, i) => open[f.name] === fields[i])) continue;
    if (open && forwardOnly && !notBefore(observed.at, String(open.valid_from))) continue;
    const from = intervalStart(compiled, record, observed.at, open ? String(open.valid_from) : null);
    if (open) h.close.run(from, ...key);
    h.insert.run(...key, ...fields, from, null, observed.by, runId);
  }
}
