import { missingKey, type CompiledStream } from '../descriptor.js';
import type { ColumnType, DestinationRecord } from '../types.js';

/**
 * A page as COPY's text format: one line per record, fields separated by tabs, `\N` for NULL. The typed values are
 * the SQLite destination's conversions (descriptor.ts), narrowed to what PostgreSQL's strict types accept: a value of
 * an unexpected shape is NULL in its column (SQLite would keep it as text) — the whole record is in `_record` anyway.
 * PostgreSQL cannot store U+0000 in text or jsonb, nor jsonb a lone surrogate (half of a UTF-16 pair, which an app's
 * metaData may hold: JSON allows it as a `\udXXX` escape): each becomes U+FFFD, as in UTF-8 text.
 */
export function copyText(
  s: CompiledStream,
  records: readonly DestinationRecord[],
  syncedAt: string,
  sourceId: string,
  runId: string | null = null,
): string {
  const columns = s.columns;
  const n = columns.length;
  const keyIndexes = s.keyColumns.map((k) => columns.indexOf(k));
  const tail = `\t${escapeField(syncedAt)}\t${escapeField(cleanText(sourceId))}\t${runId === null ? '\\N' : escapeField(cleanText(runId))}\n`;
  const lines: string[] = new Array(records.length);
  const fields: string[] = new Array(n + 1);
  for (let r = 0; r < records.length; r++) {
    const record = records[r]!;
    for (let i = 0; i < n; i++) {
      const c = columns[i]!;
      const v = pgValue(c.type, c.read(record));
      fields[i] = v === null ? '\\N' : escapeField(v);
    }
    for (const k of keyIndexes) if (fields[k] === '\\N') throw missingKey(s.descriptor.name, columns[k]!.name);
    fields[n] = escapeField(cleanJson(JSON.stringify(record)));
    lines[r] = fields.join('\t') + tail;
  }
  return lines.join('');
}

/** The last version of each key in the page: one INSERT … ON CONFLICT may not touch a row twice. */
export function lastPerKey(s: CompiledStream, records: readonly DestinationRecord[]): readonly DestinationRecord[] {
  if (records.length < 2) {
    for (const r of records) s.keyOf(r);
    return records;
  }
  const byKey = new Map<string, DestinationRecord>();
  for (const r of records) {
    const k = s.keyOf(r);
    byKey.delete(k);
    byKey.set(k, r);
  }
  return byKey.size === records.length ? records : [...byKey.values()];
}

const ISO_UTC = /^[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{3}Z$/;
const INTEGER_TEXT = /^-?[0-9]{1,18}$/;

/** A converted value (descriptor.ts CONVERTERS) as the text PostgreSQL reads for the column's type, or null. */
export function pgValue(type: ColumnType, v: string | number | bigint | null): string | null {
  if (v === null) return null;
  switch (type) {
    case 'text':
      return cleanText(String(v));
    case 'integer':
      if (typeof v === 'number') return Number.isSafeInteger(v) ? String(v) : null;
      if (typeof v === 'bigint') return v >= -(2n ** 63n) && v < 2n ** 63n ? String(v) : null;
      return INTEGER_TEXT.test(v) ? v : null;
    case 'real':
      return typeof v === 'number' || typeof v === 'bigint' ? String(v) : null;
    case 'boolean':
      return v === 1 ? 't' : v === 0 ? 'f' : null;
    case 'timestamp':
      return typeof v === 'string' && ISO_UTC.test(v) ? v : null;
    case 'json':
      return cleanJson(String(v));
  }
}

function cleanText(s: string): string {
  return s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD') : s;
}

/**
 * `\u0000` and lone surrogates in JSON text (not an escaped backslash followed by "u…"). JSON.stringify writes a
 * surrogate pair as the character itself and a lone surrogate as an escape, so every surrogate escape is a lone one.
 */
function cleanJson(json: string): string {
  return json.includes('\\u0000') || json.includes('\\ud')
    ? json.replace(/(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/g, '$1\\ufffd')
    : json;
}

/** COPY text format: backslash, tab, newline and carriage return are escaped. */
function escapeField(s: string): string {
  if (!/[\\\t\n\r]/.test(s)) return s;
  return s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}
