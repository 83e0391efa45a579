import type Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import { intervalStart, jsonPath, missingKey, type CompiledStream, type SqlValue } from '../descriptor.js';
import {
  keptState,
  mergedFields,
  mergedRecord,
  newestPerKey,
  notBefore,
  storedIsNewer,
  type CheckedObservation,
  type CheckedPush,
} from '../push.js';
import type { DestinationRecord, WriteResult } from '../types.js';
import { writeHistory, type PreparedHistory } from './history.js';
import { quoteId } from './schema.js';

/** What the destination prepared for a stream (its upsert, the history's statements). */
export interface PushTarget {
  compiled: CompiledStream;
  upsert: Statement;
  params: SqlValue[];
  keyIndexes: number[];
  history: PreparedHistory | null;
}

/**
 * Records pushed outside a run (`writeRecords`), inside the caller's transaction: upserted as a page's are, no
 * checkpoint; a record whose row is newer by `newerBy` is left out (counted as unchanged); the written ones'
 * states go into the history, forward only.
 */
export function pushRecords(
  db: Database.Database,
  ps: PushTarget,
  records: readonly DestinationRecord[],
  sourceId: string,
  push: CheckedPush,
  now: string,
): WriteResult {
  const { params, upsert, keyIndexes, compiled } = ps;
  const columns = compiled.columns;
  const n = columns.length;
  const where = compiled.keyColumns.map((k) => `${quoteId(k.name)} = ?`).join(' AND ');
  const newerAt = push.newerBy ? columns.indexOf(push.newerBy) : -1;
  const stored = db.prepare(
    `SELECT ${push.newerBy ? quoteId(push.newerBy.name) : 'NULL'} AS v, "_record" AS r FROM ${quoteId(compiled.descriptor.name)} WHERE ${where}`,
  );
  const h = ps.history;
  const written: DestinationRecord[] = [];
  for (const incoming of newestPerKey(compiled, records, push.newerBy)) {
    for (let i = 0; i < n; i++) params[i] = columns[i]!.read(incoming);
    for (const k of keyIndexes) if (params[k] === null) throw missingKey(compiled.descriptor.name, columns[k]!.name);
    const row = stored.get(keyIndexes.map((k) => params[k])) as { v: unknown; r: string } | undefined;
    if (row && push.newerBy && storedIsNewer(row.v, params[newerAt]!)) continue;
    const pushed = row ? mergedRecord(JSON.parse(row.r) as DestinationRecord, incoming) : incoming;
    if (pushed !== incoming) for (let i = 0; i < n; i++) params[i] = columns[i]!.read(pushed);
    const record = h
      ? keptState(
          h.compiled,
          pushed,
          push.at,
          h.open.get(h.compiled.key.map((k) => k.from.read(pushed))) as Record<string, unknown> | undefined,
        )
      : pushed;
    if (record !== pushed) for (let i = 0; i < n; i++) params[i] = columns[i]!.read(record);
    params[n] = JSON.stringify(record);
    params[n + 1] = now;
    params[n + 2] = sourceId;
    params[n + 3] = push.runId;
    upsert.run(params);
    written.push(record);
  }
  if (ps.history) writeHistory(ps.history, written, push, push.runId, true);
  return { written: written.length, unchanged: records.length - written.length };
}

/**
 * Changes of tracked fields (`recordObservations`), inside the caller's transaction, one after the other: each is
 * merged onto its key's open interval, which it closes at `at` — unless the interval already holds the changed values
 * or began after `at`. A key with no interval yet (an error never synced, or synced before the history existed) gets
 * its first one from `at`, the fields not changed taken from its row when there is one, else NULL: the next sync's
 * observation then closes it with the whole state. The row's typed columns and `_record` get the change too.
 * Returns how many intervals were opened.
 */
export function observe(db: Database.Database, ps: PushTarget, observations: readonly CheckedObservation[]): number {
  const h = ps.history!;
  const { compiled } = ps;
  const table = quoteId(compiled.descriptor.name);
  const where = compiled.keyColumns.map((k) => `${quoteId(k.name)} = ?`).join(' AND ');
  const fields = h.compiled.fields;
  const row = db.prepare(`SELECT ${fields.map((f) => quoteId(f.name)).join(', ')} FROM ${table} WHERE ${where}`);
  const updates = new Map<string, Statement>();
  const update = (o: CheckedObservation) => {
    const names = o.changes.map((c) => c.field.name).join(',');
    let st = updates.get(names);
    if (!st) {
      const paths = o.changes.map((c) => `'${jsonPath(c.field.path).replace(/'/g, "''")}', ?`).join(', ');
      st = db.prepare(
        `UPDATE ${table} SET ${o.changes.map((c) => `${quoteId(c.field.name)} = ?`).join(', ')}, "_record" = json_set("_record", ${paths}) WHERE ${where}`,
      );
      updates.set(names, st);
    }
    st.run(...o.changes.map((c) => c.value), ...o.changes.map((c) => c.raw), ...o.streamKey);
  };
  let opened = 0;
  for (const o of observations) {
    const open = h.open.get(o.historyKey) as Record<string, SqlValue> | undefined;
    if (open && !notBefore(o.at, String(open.valid_from))) continue;
    const same = open !== undefined && o.changes.every((c) => open[c.field.name] === c.value);
    const base = open ?? (row.get(o.streamKey) as Record<string, SqlValue> | undefined);
    update(o);
    if (same) continue;
    const state = mergedFields(fields, base ? (f) => base[f.name] ?? null : null, o);
    const from = open ? intervalStart(h.compiled, {}, o.at, String(open.valid_from)) : o.at;
    if (open) h.close.run(from, ...o.historyKey);
    h.insert.run(...o.historyKey, ...state, from, null, o.by, o.runId);
    opened++;
  }
  return opened;
}
