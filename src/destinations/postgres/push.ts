import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { intervalStart, type CompiledColumn, type CompiledHistory, type CompiledStream } from '../descriptor.js';
import {
  keptState,
  mergedFields,
  mergedRecord,
  newestPerKey,
  notBefore,
  type CheckedObservation,
  type CheckedPush,
} from '../push.js';
import type { DestinationRecord, WriteResult } from '../types.js';
import { copyText, pgValue } from './copy.js';
import { historySql, PG_TYPES, qualified, quoteId } from './schema.js';

/** What the destination prepared for a stream: the per-connection staging table and the statements around it. */
export interface PushTarget {
  compiled: CompiledStream;
  begin: string;
  copy: string;
  upsert: string;
  staging: string;
}

/**
 * Records pushed outside a run (`writeRecords`) in one transaction, as a page is written but without a checkpoint:
 * COPY'd into the staging table; those whose row is newer by `newerBy` dropped from it (left as they are); the rest
 * upserted; then their states into the history, forward only (the keys whose open interval began after the
 * observation are dropped from the staging table first, so the page's history statements leave them alone).
 */
export async function pushRecords(
  c: pg.PoolClient,
  schema: string,
  ps: PushTarget,
  records: readonly DestinationRecord[],
  sourceId: string,
  push: CheckedPush,
): Promise<WriteResult> {
  let rows = newestPerKey(ps.compiled, records, push.newerBy);
  if (rows.length === 0) return { written: 0, unchanged: records.length };
  const s = ps.compiled;
  const now = new Date().toISOString();
  const table = qualified(schema, s.descriptor.name);
  const staged = quoteId(ps.staging);
  const sameKey = (a: string) =>
    s.keyColumns.map((k) => `${a}.${quoteId(k.name)} = s.${quoteId(k.name)}`).join(' AND ');
  try {
    await c.query(ps.begin);
    const before = await storedRecords(c, table, s, rows);
    rows = rows.map((r) => {
      const stored = before.get(keyText(s.keyColumns.map((k) => k.read(r))));
      return stored ? mergedRecord(stored, r) : r;
    });
    if (s.history) {
      const h = s.history;
      const open = await openIntervals(c, schema, h, rows);
      rows = rows.map((r) => keptState(h, r, push.at, open.get(keyText(h.key.map((k) => k.from.read(r))))));
    }
    await pipeline(Readable.from([copyText(s, rows, now, sourceId, push.runId)]), c.query(copyFrom(ps.copy)));
    let skipped = 0;
    if (push.newerBy) {
      const col = quoteId(push.newerBy.name);
      const r = await c.query(`DELETE FROM ${staged} s USING ${table} t WHERE ${sameKey('t')} AND t.${col} > s.${col}`);
      skipped = r.rowCount ?? 0;
    }
    await c.query(ps.upsert);
    const h = s.history;
    if (h) {
      const at = `${c.escapeLiteral(push.at)}::timestamptz`;
      const on = h.key.map((k) => `h.${quoteId(k.name)} = s.${quoteId(k.from.name)}`).join(' AND ');
      await c.query(
        `DELETE FROM ${staged} s USING ${qualified(schema, h.name)} h WHERE ${on} AND h."valid_to" IS NULL AND h."valid_from" > ${at}`,
      );
      await c.query(
        historySql(schema, ps.staging, h, {
          at: c.escapeLiteral(push.at),
          by: c.escapeLiteral(push.by),
          runId: push.runId === null ? 'NULL' : c.escapeLiteral(push.runId),
        }),
      );
    }
    await c.query('COMMIT');
    const written = rows.length - skipped;
    return { written, unchanged: records.length - written };
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * Changes of tracked fields (`recordObservations`) in one transaction, one after the other, with the SQLite
 * destination's rules (sqlite/push.ts): merged onto the key's open interval (locked), closed at `at` unless it holds
 * the values already or began after `at`; a key with no interval gets its first from `at`, with its row's other
 * fields, else NULL. The row's typed columns and `_record` get the change. Returns how many intervals were opened.
 */
export async function observe(
  c: pg.PoolClient,
  schema: string,
  s: CompiledStream,
  observations: readonly CheckedObservation[],
): Promise<number> {
  const h = s.history!;
  const hist = qualified(schema, h.name);
  const table = qualified(schema, s.descriptor.name);
  const fields = h.fields.map((f) => quoteId(f.name)).join(', ');
  const whereKey = (names: readonly string[], from: number, types: readonly CompiledColumn[]) =>
    names.map((n, i) => `${quoteId(n)} = $${from + i}::${PG_TYPES[types[i]!.type]}`).join(' AND ');
  const historyKey = h.key.map((k) => k.name);
  const historyKeyTypes = h.key.map((k) => k.from);
  const streamKey = s.keyColumns.map((k) => k.name);
  const param = (col: CompiledColumn, v: string | number | bigint | null) => pgValue(col.type, v);
  let opened = 0;
  try {
    await c.query('BEGIN');
    for (const o of observations) {
      const hk = o.historyKey.map((v, i) => param(historyKeyTypes[i]!, v));
      const sk = o.streamKey.map((v, i) => param(s.keyColumns[i]!, v));
      const open = (
        await c.query<Record<string, unknown>>(
          `SELECT "valid_from", ${fields} FROM ${hist} WHERE ${whereKey(historyKey, 1, historyKeyTypes)} AND "valid_to" IS NULL FOR UPDATE`,
          hk,
        )
      ).rows[0];
      const openFrom = open ? (open.valid_from as Date).toISOString() : null;
      if (openFrom !== null && !notBefore(o.at, openFrom)) continue;
      const base =
        open ??
        (
          await c.query<Record<string, unknown>>(
            `SELECT ${fields} FROM ${table} WHERE ${whereKey(streamKey, 1, s.keyColumns)}`,
            sk,
          )
        ).rows[0];
      // The row: the changed typed columns, and the same fields of _record.
      const sets = o.changes.map((ch, i) => `${quoteId(ch.field.name)} = $${i + 1}::${PG_TYPES[ch.field.type]}`);
      let record = '"_record"';
      for (let i = 0; i < o.changes.length; i++) {
        const p = o.changes.length + 1 + i;
        record = `jsonb_set(${record}, $${p}::text[], COALESCE(to_jsonb($${p + o.changes.length}::text), 'null'::jsonb))`;
      }
      await c.query(
        `UPDATE ${table} SET ${[...sets, `"_record" = ${record}`].join(', ')} WHERE ${whereKey(streamKey, 3 * o.changes.length + 1, s.keyColumns)}`,
        [
          ...o.changes.map((ch) => param(ch.field, ch.value)),
          ...o.changes.map((ch) => ch.field.path),
          ...o.changes.map((ch) => ch.raw),
          ...sk,
        ],
      );
      if (open && o.changes.every((ch) => same(open[ch.field.name], param(ch.field, ch.value)))) continue;
      const state = mergedFields(h.fields, base ? (f) => stored(base[f.name]) : null, o);
      const from = openFrom === null ? o.at : intervalStart(h, {}, o.at, openFrom);
      if (open)
        await c.query(
          `UPDATE ${hist} SET "valid_to" = $1::timestamptz WHERE ${whereKey(historyKey, 2, historyKeyTypes)} AND "valid_to" IS NULL`,
          [from, ...hk],
        );
      const values = [...hk, ...state.map((v, i) => param(h.fields[i]!, v)), from, null, o.by, o.runId];
      await c.query(
        `INSERT INTO ${hist} (${h.columns.map((col) => quoteId(col.name)).join(', ')}) VALUES (${h.columns
          .map((col, i) => `$${i + 1}::${PG_TYPES[col.type]}`)
          .join(', ')})`,
        values,
      );
      opened++;
    }
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return opened;
}

/** A value read back from PostgreSQL in the form the typed columns are written in (times as ISO text). */
function stored(v: unknown): string | number | bigint | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'object') return JSON.stringify(v);
  return v as string | number | bigint;
}

function same(a: unknown, b: string | null): boolean {
  const x = stored(a);
  return x === null || b === null ? x === b : String(x) === b;
}

/** The stored `_record` of the records' keys, by key (see keyText), locked until the transaction ends. */
async function storedRecords(
  c: pg.PoolClient,
  table: string,
  s: CompiledStream,
  records: readonly DestinationRecord[],
): Promise<Map<string, DestinationRecord>> {
  const keys = s.keyColumns.map((k) => quoteId(k.name));
  const arrays = s.keyColumns.map((k) => records.map((r) => pgValue(k.type, k.read(r))));
  const unnest = s.keyColumns.map((k, i) => `$${i + 1}::${PG_TYPES[k.type]}[]`).join(', ');
  const found = await c.query<Record<string, unknown>>(
    `SELECT ${keys.join(', ')}, "_record" FROM ${table} WHERE (${keys.join(', ')}) IN (SELECT * FROM unnest(${unnest})) FOR UPDATE`,
    arrays,
  );
  return new Map(
    found.rows.map((row) => [keyText(s.keyColumns.map((k) => stored(row[k.name]))), row._record as DestinationRecord]),
  );
}

/** The open intervals of the records' keys, by key (see keyText), locked until the transaction ends. */
async function openIntervals(
  c: pg.PoolClient,
  schema: string,
  h: CompiledHistory,
  records: readonly DestinationRecord[],
): Promise<Map<string, Record<string, unknown>>> {
  const keys = h.key.map((k) => quoteId(k.name));
  const arrays = h.key.map((k) => records.map((r) => pgValue(k.from.type, k.from.read(r))));
  const unnest = h.key.map((k, i) => `$${i + 1}::${PG_TYPES[k.from.type]}[]`).join(', ');
  const found = await c.query<Record<string, unknown>>(
    `SELECT * FROM ${qualified(schema, h.name)} WHERE "valid_to" IS NULL AND (${keys.join(', ')}) IN (SELECT * FROM unnest(${unnest})) FOR UPDATE`,
    arrays,
  );
  return new Map(found.rows.map((row) => [keyText(h.key.map((k) => row[k.name])), row]));
}

/** A key's values as one string, the same for a record's converted values and a row read back. */
function keyText(values: readonly unknown[]): string {
  return JSON.stringify(values.map((v) => String(v)));
}
