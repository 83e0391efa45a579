import type pg from 'pg';
import type { DeletionMark, DeletionResult } from '../types.js';
import { qualified, quoteId } from './schema.js';

/**
 * A completed full pass's deletions in PostgreSQL, in the caller's transaction: the scope's rows of this source that
 * the pass did not write (`_synced_at` before it began) get `_deleted_at`, or are removed with `purge`. A row already
 * marked keeps its first mark: it has been gone since then.
 */
export async function markDeletedRows(
  c: pg.PoolClient,
  schema: string,
  table: string,
  mark: DeletionMark,
): Promise<DeletionResult> {
  const params: unknown[] = [mark.sourceId, mark.seenSince];
  const where = ['"_source_id" = $1', '"_synced_at" < $2'];
  for (const [column, value] of Object.entries(mark.scope)) {
    params.push(value);
    where.push(`${quoteId(column)} = $${params.length}`);
  }
  if (mark.within) {
    params.push(mark.within.from);
    where.push(`${quoteId(mark.within.column)} >= $${params.length}`);
  }
  const t = qualified(schema, table);
  if (mark.purge) {
    const r = await c.query(`DELETE FROM ${t} WHERE ${where.join(' AND ')}`, params);
    return { marked: 0, purged: r.rowCount ?? 0 };
  }
  params.push(mark.at);
  const r = await c.query(
    `UPDATE ${t} SET "_deleted_at" = $${params.length} WHERE ${where.join(' AND ')} AND "_deleted_at" IS NULL`,
    params,
  );
  return { marked: r.rowCount ?? 0, purged: 0 };
}
