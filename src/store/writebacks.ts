/**
 * The write-back journal's contract, shared by both stores. One journal per (credential, input hash): rerunning the
 * same input with the same credential finds the rows already applied, and the rows whose write was sent but whose
 * answer never came (`sending`), which must be read back before anything is sent again.
 */
export type WritebackRowState = 'sending' | 'applied' | 'skipped' | 'failed';

export interface WritebackRowEntry {
  row: number;
  state: WritebackRowState;
  message: string | null;
}

export interface WritebackJournalInfo {
  id: string;
  input_hash: string;
  credential_id: string;
  rows: number;
  status: 'running' | 'done' | 'partial';
  started_at: string;
  finished_at: string | null;
  /** How many times this input was applied (1 on the first run). */
  attempts: number;
}

export interface WritebackRepository {
  /** Opens (or reopens, on a rerun of the same input) the journal of an apply. */
  open(input: { input_hash: string; credential_id: string; rows: number }): Promise<WritebackJournalInfo>;
  /** The journal of an earlier apply of this input with this credential, if there was one; changes nothing. */
  find(input: { input_hash: string; credential_id: string }): Promise<WritebackJournalInfo | null>;
  /** Every recorded row of the journal, by row number (1-based, as the input numbers them). */
  entries(journalId: string): Promise<Map<number, WritebackRowEntry>>;
  /** Records the same state for several rows in one transaction (a bulk request's rows). */
  record(journalId: string, rows: readonly number[], state: WritebackRowState, message?: string | null): Promise<void>;
  finish(journalId: string, status: 'done' | 'partial'): Promise<WritebackJournalInfo>;
}
