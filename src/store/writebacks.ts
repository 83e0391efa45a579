/**
 * The write-back journal's contract, shared by both stores. One journal per (credential, input hash): rerunning the
 * same input with the same credential finds the rows already applied, and the rows whose write was sent but whose
 * answer never came (`sending`), which must be read back before anything is sent again.
 */
import { isStaleRun } from './stale.js';

export type WritebackRowState = 'sending' | 'applied' | 'skipped' | 'failed';

export interface WritebackRowEntry {
  row: number;
  state: WritebackRowState;
  message: string | null;
}

/** A journal row as stored, with when it was last written: what `snagsync store migrate` copies. */
export interface WritebackRowRecord extends WritebackRowEntry {
  journal_id: string;
  updated_at: string;
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
  /** The process that opened it last (null in journals written before it was recorded). */
  pid: number | null;
  hostname: string | null;
}

export interface WritebackRepository {
  /**
   * Opens (or reopens, on a rerun of the same input) the journal of an apply. Refused (conflict) while a live process
   * holds it (see `applyingNow`): two applies of one input never interleave.
   */
  open(input: { input_hash: string; credential_id: string; rows: number }): Promise<WritebackJournalInfo>;
  /** The journal of an earlier apply of this input with this credential, if there was one; changes nothing. */
  find(input: { input_hash: string; credential_id: string }): Promise<WritebackJournalInfo | null>;
  /** Every recorded row of the journal, by row number (1-based, as the input numbers them). */
  entries(journalId: string): Promise<Map<number, WritebackRowEntry>>;
  /**
   * Records the same state for several rows in one transaction (a bulk request's rows). A row journaled `applied`
   * is never turned `skipped`: "applied" is what keeps a later attempt from posting a comment again.
   */
  record(journalId: string, rows: readonly number[], state: WritebackRowState, message?: string | null): Promise<void>;
  finish(journalId: string, status: 'done' | 'partial'): Promise<WritebackJournalInfo>;
}

/**
 * A journal another apply holds right now: `running`, and its process alive (same host: the pid exists; another host:
 * assumed alive). A journal left `running` by a killed process is not held: the rerun takes it over.
 */
export function applyingNow(j: {
  status: string;
  pid: number | null;
  hostname: string | null;
  started_at: string;
}): boolean {
  if (j.status !== 'running' || j.pid === null) return false;
  return !isStaleRun({ ...j, heartbeat_at: null }, new Date(), Number.POSITIVE_INFINITY);
}
