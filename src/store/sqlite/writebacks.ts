import { hostname } from 'node:os';
import { newId } from '../../core/ids.js';
import { inputBeingApplied } from '../errors.js';
import { applyingNow } from '../writebacks.js';
import { toIso } from '../../core/time.js';
import type { WritebackJournalInfo, WritebackRepository, WritebackRowEntry, WritebackRowState } from '../writebacks.js';
import { SqliteRepo } from './base.js';

const COLUMNS =
  'id, input_hash, credential_id, row_count AS rows, status, attempts, started_at, finished_at, pid, hostname';

export class SqliteWritebacks extends SqliteRepo implements WritebackRepository {
  async open(input: { input_hash: string; credential_id: string; rows: number }): Promise<WritebackJournalInfo> {
    const now = toIso(Date.now());
    return this.tx(() => {
      const existing = this.stmt(
        `SELECT id, status, pid, hostname, started_at FROM writeback_journals WHERE credential_id = ? AND input_hash = ?`,
      ).get(input.credential_id, input.input_hash) as
        | { id: string; status: string; pid: number | null; hostname: string | null; started_at: string }
        | undefined;
      if (existing) {
        if (applyingNow(existing)) throw inputBeingApplied(existing.id, existing.pid, existing.hostname);
        this.stmt(
          `UPDATE writeback_journals SET status = 'running', attempts = attempts + 1, started_at = ?, finished_at = NULL,
           pid = ?, hostname = ? WHERE id = ?`,
        ).run(now, process.pid, hostname(), existing.id);
        return this.info(existing.id);
      }
      const id = newId('wb');
      this.stmt(
        `INSERT INTO writeback_journals (id, input_hash, credential_id, row_count, status, started_at, pid, hostname)
         VALUES (?, ?, ?, ?, 'running', ?, ?, ?)`,
      ).run(id, input.input_hash, input.credential_id, input.rows, now, process.pid, hostname());
      return this.info(id);
    });
  }

  async find(input: { input_hash: string; credential_id: string }): Promise<WritebackJournalInfo | null> {
    const row = this.guard(
      () =>
        this.stmt(`SELECT ${COLUMNS} FROM writeback_journals WHERE credential_id = ? AND input_hash = ?`).get(
          input.credential_id,
          input.input_hash,
        ) as WritebackJournalInfo | undefined,
    );
    return row ?? null;
  }

  async entries(journalId: string): Promise<Map<number, WritebackRowEntry>> {
    const rows = this.guard(
      () =>
        this.stmt(`SELECT row_no, state, message FROM writeback_rows WHERE journal_id = ?`).all(journalId) as Array<{
          row_no: number;
          state: WritebackRowState;
          message: string | null;
        }>,
    );
    return new Map(rows.map((r) => [r.row_no, { row: r.row_no, state: r.state, message: r.message }]));
  }

  async record(
    journalId: string,
    rows: readonly number[],
    state: WritebackRowState,
    message: string | null = null,
  ): Promise<void> {
    const now = toIso(Date.now());
    this.tx(() => {
      const up = this.stmt(
        `INSERT INTO writeback_rows (journal_id, row_no, state, message, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (journal_id, row_no) DO UPDATE SET state = excluded.state, message = excluded.message, updated_at = excluded.updated_at
         WHERE NOT (writeback_rows.state = 'applied' AND excluded.state = 'skipped')`,
      );
      for (const r of rows) up.run(journalId, r, state, message, now);
    });
  }

  async finish(journalId: string, status: 'done' | 'partial'): Promise<WritebackJournalInfo> {
    return this.tx(() => {
      this.stmt(`UPDATE writeback_journals SET status = ?, finished_at = ? WHERE id = ?`).run(
        status,
        toIso(Date.now()),
        journalId,
      );
      return this.info(journalId);
    });
  }

  private info(id: string): WritebackJournalInfo {
    return this.stmt(`SELECT ${COLUMNS} FROM writeback_journals WHERE id = ?`).get(id) as WritebackJournalInfo;
  }
}
