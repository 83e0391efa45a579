import type { Runtime } from '../../runtime.js';
import { readInput } from '../../writeback/index.js';
import { compileFilter } from './filter.js';
import { FILTER_FIELD, syncedDatabase, type SinkInput } from './config.js';

/**
 * A read-only look at a table input: the first rows of the source's synced `errors` table that the destination's
 * filter selects, as the write-back would read them (one SELECT through the same read-only input path), a few
 * columns, each cell cut short. The errors table holds no secret.
 */

export const PREVIEW_ROWS = 20;
export const PREVIEW_COLUMNS = [
  'project_id',
  'id',
  'error_class',
  'message',
  'context',
  'status',
  'severity',
  'last_seen_unfiltered',
] as const;
const MAX_CELL = 60;

export interface TablePreview {
  columns: string[];
  rows: string[][];
}

export async function previewTableInput(
  runtime: Runtime,
  input: Extract<SinkInput, { type: 'table' }>,
): Promise<TablePreview> {
  const db = await syncedDatabase(runtime, input.data_source_id);
  const filter = input.filter ? compileFilter(input.filter, db.kind, FILTER_FIELD) : null;
  const read = await readInput(
    db.from(
      `SELECT * FROM errors${filter ? ` WHERE (${filter.sql})` : ''} ORDER BY project_id, id LIMIT ${PREVIEW_ROWS}`,
    ),
    filter ? { queryValues: filter.values } : {},
  );
  const present = new Set(read.rows.flatMap((r) => Object.keys(r.fields)));
  const columns = PREVIEW_COLUMNS.filter((c) => present.has(c));
  return {
    columns,
    rows: read.rows.slice(0, PREVIEW_ROWS).map((r) => columns.map((c) => truncate(r.fields[c]))),
  };
}

function truncate(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return s.length > MAX_CELL ? `${s.slice(0, MAX_CELL - 1)}…` : s;
}
