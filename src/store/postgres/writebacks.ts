import { hostname } from 'node:os';
import { newId } from '../../core/ids.js';
import { inputBeingApplied } from '../errors.js';
import { applyingNow } from '../writebacks.js';
import type { WritebackJournalInfo, WritebackRepository, WritebackRowEntry, WritebackRowState } from '../writebacks.js';
import { isoOrNull, num, PgRepo } from './base.js';
import type { Queryable } from './connection.js';

const COLUMNS =
  'id, input_hash, credential_id, row_count AS rows, status, attempts, started_at, finished_at, pid, hostname';

export class PgWritebacks extends PgRepo implements WritebackRepository {
  async open(input: { input_hash: string; credential_id: string; rows: number }): Promise<WritebackJournalInfo> {
    return this.tx(async (db) => {
      // The unique key makes two processes opening the same journal at once meet on one row.
      await this.q(
        `INSERT INTO writeback_journals (id, input_hash, credential_id, row_count, status, attempts, started_at)
         VALUES ($1, $2, $3, $4, 'running', 0, now()) ON CONFLICT (credential_id, input_hash) DO NOTHING`,
        [newId('wb'), input.input_hash, input.credential_id, input.rows],
        db,
      );
      // Locked: a second apply of the same input waits here, then finds this one holding the journal.
      const [held] = await this.q(
        `SELECT id, status, pid, hostname, started_at FROM writeback_journals WHERE credential_id = $1 AND input_hash = $2 FOR UPDATE`,
        [input.credential_id, input.input_hash],
        db,
      );
      const holder = {
        status: String(held!.status),
        pid: held!.pid === null ? null : num(held!.pid),
        hostname: (held!.hostname as string | null) ?? null,
        started_at: isoOrNull(held!.started_at) ?? '',
      };
      if (applyingNow(holder)) throw inputBeingApplied(String(held!.id), holder.pid, holder.hostname);
      const [row] = await this.q(
        `UPDATE writeback_journals SET status = 'running', attempts = attempts + 1, started_at = now(), finished_at = NULL,
         pid = $3, hostname = $4 WHERE credential_id = $1 AND input_hash = $2 RETURNING ${COLUMNS}`,
        [input.credential_id, input.input_hash, process.pid, hostname()],
        db,
      );
      return toInfo(row!);
    });
  }

  async find(input: { input_hash: string; credential_id: string }): Promise<WritebackJournalInfo | null> {
    const [row] = await this.q(
      `SELECT ${COLUMNS} FROM writeback_journals WHERE credential_id = $1 AND input_hash = $2`,
      [input.credential_id, input.input_hash],
    );
    return row ? toInfo(row) : null;
  }

  async entries(journalId: string): Promise<Map<number, WritebackRowEntry>> {
    const rows = await this.q<{ row_no: number; state: WritebackRowState; message: string | null }>(
      'SELECT row_no, state, message FROM writeback_rows WHERE journal_id = $1',
      [journalId],
    );
    return new Map(rows.map((r) => [num(r.row_no), { row: num(r.row_no), state: r.state, message: r.message }]));
  }

  async record(
    journalId: string,
    rows: readonly number[],
    state: WritebackRowState,
    message: string | null = null,
  ): Promise<void> {
    if (rows.length === 0) return;
    await this.tx(async (db: Queryable) => {
      await this.q(
        `INSERT INTO writeback_rows (journal_id, row_no, state, message, updated_at)
         SELECT $1, r, $3, $4, now() FROM unnest($2::int[]) AS r
         ON CONFLICT (journal_id, row_no) DO UPDATE SET state = excluded.state, message = excluded.message, updated_at = excluded.updated_at
         WHERE NOT (writeback_rows.state = 'applied' AND excluded.state = 'skipped')`,
        [journalId, [...rows], state, message],
        db,
      );
    });
  }

  async finish(journalId: string, status: 'done' | 'partial'): Promise<WritebackJournalInfo> {
    const [row] = await this.q(
      `UPDATE writeback_journals SET status = $2, finished_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
      [journalId, status],
    );
    return toInfo(row!);
  }
}

function toInfo(r: Record<string, unknown>): WritebackJournalInfo {
  return {
    id: String(r.id),
    input_hash: String(r.input_hash),
    credential_id: String(r.credential_id),
    rows: num(r.rows),
    status: r.status as WritebackJournalInfo['status'],
    attempts: num(r.attempts),
    started_at: isoOrNull(r.started_at)!,
    finished_at: isoOrNull(r.finished_at),
    pid: r.pid === null || r.pid === undefined ? null : num(r.pid),
    hostname: (r.hostname as string | null | undefined) ?? null,
  };
}
