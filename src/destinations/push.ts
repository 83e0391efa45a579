import { SnagError } from '../core/errors.js';
import { assertRecords } from './checks.js';
import {
  CONVERTERS,
  missingKey,
  type CompiledColumn,
  type CompiledHistory,
  type CompiledStream,
  type SqlValue,
} from './descriptor.js';
import type { DestinationRecord, Observation, ObservedBy, PushWrite } from './types.js';

/**
 * What the destinations share for `writeRecords` and `recordObservations` (records and changes that arrive outside a
 * run's pages): the input checks, and the two rules that keep a late message from moving anything back in time.
 */

const OBSERVERS: readonly ObservedBy[] = ['incremental', 'full_pass', 'status_pass', 'webhook', 'writeback'];

/** A push checked: the `newerBy` column compiled, the observation time in the stored form. */
export interface CheckedPush {
  newerBy: CompiledColumn | null;
  at: string;
  by: ObservedBy;
  runId: string | null;
}

export function checkedPush(s: CompiledStream, records: readonly DestinationRecord[], options: PushWrite): CheckedPush {
  const name = s.descriptor.name;
  assertRecords(name, records);
  if (!options || typeof options.sourceId !== 'string' || options.sourceId === '')
    throw new SnagError('internal', `writeRecords("${name}") needs a sourceId.`);
  const newerBy = options.newerBy === undefined ? null : s.columns.find((c) => c.name === options.newerBy);
  if (newerBy === undefined)
    throw new SnagError('internal', `writeRecords("${name}"): "${String(options.newerBy)}" is not a column of it.`);
  return { newerBy, ...observedAt(name, options.observed?.at, options.observed?.by), runId: options.runId ?? null };
}

/**
 * Whether a stored value of the `newerBy` column is strictly later than the incoming one (then the record is left
 * out). Timestamps are stored in one sortable ISO form, so text compares as time; a missing value on either side
 * orders nothing, and the record is written.
 */
export function storedIsNewer(stored: unknown, incoming: SqlValue): boolean {
  if (stored === null || stored === undefined || incoming === null) return false;
  if (stored instanceof Date) return stored.getTime() > Date.parse(String(incoming));
  if (typeof stored === 'number' || typeof stored === 'bigint') return stored > Number(incoming);
  return String(stored) > String(incoming);
}

/**
 * One record per key, as one upsert may touch a row once: the last of a key, unless an earlier one is newer by
 * `newerBy` (the batch obeys the same rule as the stored rows).
 */
export function newestPerKey(
  s: CompiledStream,
  records: readonly DestinationRecord[],
  newerBy: CompiledColumn | null,
): DestinationRecord[] {
  const byKey = new Map<string, DestinationRecord>();
  for (const r of records) {
    const k = s.keyOf(r);
    const kept = byKey.get(k);
    if (kept && newerBy && storedIsNewer(newerBy.read(kept), newerBy.read(r))) continue;
    byKey.delete(k);
    byKey.set(k, r);
  }
  return [...byKey.values()];
}

/**
 * A pushed record over the stored one: a webhook's message carries only part of what a sync reads (no comment count,
 * no team assignment, no release stages…), so the fields it does not carry keep their stored values — a push never
 * empties a column a sync filled, nor opens a history interval for a field it did not see. Top-level fields: the
 * pushed value wins where it has one.
 */
export function mergedRecord(stored: DestinationRecord, pushed: DestinationRecord): DestinationRecord {
  // fromEntries defines each key as data (a key named __proto__ stays a key, as the record came). A pushed record is
  // in Bugsnag: a JSONL tombstone's deletion mark is not carried over.
  return Object.fromEntries([
    ...Object.entries(stored).filter(([k]) => k !== '_deleted_at'),
    ...Object.entries(pushed).filter(([, v]) => v !== undefined),
  ]);
}

/** An observation checked and converted: values as the typed columns store them. */
export interface CheckedObservation {
  /** The stream's key values, in key-column order (to find its row). */
  streamKey: SqlValue[];
  /** The history's key values, in the history's key order (to find its intervals). */
  historyKey: SqlValue[];
  /** The changed tracked fields, in the history's field order, with their stored and raw values. */
  changes: Array<{ field: CompiledColumn; value: SqlValue; raw: string | null }>;
  at: string;
  by: ObservedBy;
  runId: string | null;
  sourceId: string;
}

export function checkedObservations(s: CompiledStream, observations: readonly Observation[]): CheckedObservation[] {
  const name = s.descriptor.name;
  const h = s.history;
  if (!h)
    throw new SnagError('internal', `recordObservations("${name}"): the stream keeps no history of its fields.`, {
      hint: 'This is a bug in snagsync; please report it.',
    });
  if (!Array.isArray(observations)) throw new SnagError('internal', `recordObservations("${name}") needs an array.`);
  return observations.map((o) => {
    if (!o || typeof o.key !== 'object' || o.key === null || typeof o.changes !== 'object' || o.changes === null)
      throw new SnagError('internal', `recordObservations("${name}"): an observation needs a key and changes.`);
    if (typeof o.sourceId !== 'string' || o.sourceId === '')
      throw new SnagError('internal', `recordObservations("${name}") needs a sourceId.`);
    const keyValue = (c: CompiledColumn) => {
      const v = CONVERTERS[c.type](o.key[c.name]);
      if (v === null) throw missingKey(name, c.name);
      return v;
    };
    const names = Object.keys(o.changes);
    if (names.length === 0)
      throw new SnagError('internal', `recordObservations("${name}"): an observation changes nothing.`);
    for (const n of names)
      if (!h.fields.some((f) => f.name === n))
        throw new SnagError('internal', `recordObservations("${name}"): "${n}" is not a field its history tracks.`);
    return {
      streamKey: s.keyColumns.map(keyValue),
      historyKey: h.key.map((k) => keyValue(k.from)),
      changes: h.fields
        .filter((f) => f.name in o.changes)
        .map((f) => {
          const raw = o.changes[f.name] ?? null;
          return { field: f, value: CONVERTERS[f.type](raw), raw };
        }),
      ...observedAt(name, o.at, o.by),
      runId: o.runId ?? null,
      sourceId: o.sourceId,
    };
  });
}

/**
 * Whether an observation at `at` may change the open interval that began at `openFrom`: never one that began after
 * it (a newer state is never overwritten by an older message; an equal time is the same moment and may).
 */
export function notBefore(at: string, openFrom: string | Date): boolean {
  return Date.parse(at) >= (openFrom instanceof Date ? openFrom.getTime() : Date.parse(openFrom));
}

/** The state an observation leaves: `base` (the open interval's, or the row's) with the changed fields replaced. */
export function mergedFields(
  fields: readonly CompiledColumn[],
  base: ((f: CompiledColumn) => SqlValue) | null,
  o: CheckedObservation,
): SqlValue[] {
  return fields.map((f) => {
    const changed = o.changes.find((c) => c.field === f);
    return changed ? changed.value : base ? base(f) : null;
  });
}

function observedAt(stream: string, at: unknown, by: unknown): { at: string; by: ObservedBy } {
  const ms = typeof at === 'string' ? Date.parse(at) : Number.NaN;
  if (!Number.isFinite(ms))
    throw new SnagError('internal', `A change pushed to "${stream}" has no valid observation time (${String(at)}).`);
  if (!OBSERVERS.includes(by as ObservedBy))
    throw new SnagError('internal', `A change pushed to "${stream}" has an unknown observer (${String(by)}).`);
  return { at: new Date(ms).toISOString(), by: by as ObservedBy };
}

/** The record with a value set at a column's path (the objects on the way created when missing). */
export function withValue(
  record: Record<string, unknown>,
  path: readonly string[],
  value: unknown,
): Record<string, unknown> {
  const out = structuredClone(record);
  let at: Record<string, unknown> = out;
  for (const p of path.slice(0, -1)) {
    const next = at[p];
    at =
      next !== null && typeof next === 'object' && !Array.isArray(next)
        ? (next as Record<string, unknown>)
        : (at[p] = {});
  }
  at[path.at(-1)!] = value;
  return out;
}

/**
 * A pushed record observed before its key's open interval began (a write-back or a newer message changed the state
 * since): written with the interval's tracked fields instead of its own, so that neither the row nor the history
 * moves back in time — its other columns (last seen, counts) are newer by `newerBy` and are kept.
 */
export function keptState(
  h: CompiledHistory,
  record: DestinationRecord,
  at: string,
  open: Readonly<Record<string, unknown>> | undefined,
): DestinationRecord {
  if (!open || notBefore(at, open.valid_from instanceof Date ? open.valid_from : String(open.valid_from)))
    return record;
  let out = record as Record<string, unknown>;
  for (const f of h.fields) {
    const kept = stored(open[f.name]);
    if (f.read(out) !== kept) out = withValue(out, f.path, kept);
  }
  return out;
}

function stored(v: unknown): SqlValue {
  if (v === undefined || v === null) return null;
  if (v instanceof Date) return v.toISOString();
  return v as SqlValue;
}
