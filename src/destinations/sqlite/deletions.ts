import type Database from 'better-sqlite3';
import { CONVERTERS } from '../descriptor.js';
import type { DeletionMark, DeletionResult } from '../types.js';
import { quoteId } from './schema.js';

/**
 * A completed full pass's deletions in SQLite, in one transaction: the scope's rows of this source that the pass did
 * not write (`_synced_at` before it began) get `_deleted_at`, or are removed with `purge`. A row already marked keeps
 * its first mark: it has been gone since then.
 */
export function markDeletedRows(db: Database.Database, table: string, mark: DeletionMark): DeletionResult {
  const where = ['"_source_id" = ?', '"_synced_at" < ?'];
  const params: Array<string | number | bigint | null> = [mark.sourceId, mark.seenSince];
  for (const [column, value] of Object.entries(mark.scope)) {
    where.push(`${quoteId(column)} = ?`);
    params.push(value);
  }
  if (mark.within) {
    // Stored as every timestamp column is: compared as text, like the values of the column.
    where.push(`${quoteId(mark.within.column)} >= ?`);
    params.push(CONVERTERS.timestamp(mark.within.from));
  }
  const t = quoteId(table);
  const cond = where.join(' AND ');
  return db
    .transaction((): DeletionResult => {
      if (mark.purge) return { marked: 0, purged: db.prepare(`DELETE FROM ${t} WHERE ${cond}`).run(...params).changes };
      const marked = db
        .prepare(`UPDATE ${t} SET "_deleted_at" = ? WHERE ${cond} AND "_deleted_at" IS NULL`)
        .run(CONVERTERS.timestamp(mark.at), ...params).changes;
      return { marked, purged: 0 };
    })
    .immediate();
}
