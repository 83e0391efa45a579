import { normalizeTimestamp } from '../bugsnag/models/common.js';
import type { DestinationRecord } from '../destinations/types.js';
import { findStream } from '../streams/catalog.js';
import { timestampFields } from '../streams/json-schema.js';

/**
 * Records as the protocols send them: as the API sent them, except a timestamp in a form that is not RFC 3339
 * (Bugsnag also writes `2022-10-17 15:30:00 +0000`, docs/bugsnag-api.md §15), which is sent in canonical ISO UTC —
 * the catalogs type every timestamp `format: date-time`, and a loader parses it as such (or refuses the record).
 * A record with nothing to rewrite is passed on as it is, not copied.
 */

/** RFC 3339's date-time, as JSON Schema validators check `format: date-time` (with the `T`). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

const fieldsByStream = new Map<string, readonly string[]>();

function fieldsOf(stream: string): readonly string[] {
  let f = fieldsByStream.get(stream);
  if (!f) {
    const s = findStream(stream);
    f = s ? timestampFields(s) : [];
    fieldsByStream.set(stream, f);
  }
  return f;
}

export function protocolRecord(stream: string, record: DestinationRecord): DestinationRecord {
  let out: Record<string, unknown> | undefined;
  for (const f of fieldsOf(stream)) {
    const v = record[f];
    if (typeof v !== 'string' || RFC3339.test(v)) continue;
    const iso = normalizeTimestamp(v);
    if (iso === v) continue;
    out ??= { ...record };
    out[f] = iso;
  }
  return out ?? record;
}
