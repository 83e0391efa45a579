import type { BugsnagClient } from '../bugsnag/client.js';
import { isAbortError, isSnagError, SnagError, toSnagError } from '../core/errors.js';
import type { Store } from '../store/repository.js';
import type { WritebackRowEntry } from '../store/writebacks.js';
import { commentText, type WritebackRow } from './check.js';
import { commentsOn, declOf, readError, type PlannedGroup, type SkippedRow, type WritebackPlan } from './plan.js';
import { appliedChanges, recordWritebackHistory, type WritebackHistoryReport } from './history.js';

export type RowOutcome = 'applied' | 'skipped' | 'failed';

export interface RowReport {
  row: number;
  project_id: string;
  error_id: string;
  operation: string;
  outcome: RowOutcome;
  message: string | null;
  /** Why a row failed, as a stable error code (forbidden for a 403, not_found for a 404…); null otherwise. */
  code: string | null;
}

export interface WritebackReport {
  journal_id: string;
  input_hash: string;
  /** 1 on the first apply of this input with this credential, then 2, 3… */
  attempt: number;
  rows: RowReport[];
  totals: Record<RowOutcome, number>;
  writes: number;
  /** Set when the apply stopped early (token revoked, interrupted): the rows not reached are `failed` and unjournaled. */
  stopped: SnagError | null;
  /** The applied changes recorded in the error history of the sources' destinations (history.ts). */
  history: WritebackHistoryReport;
}

export interface ApplyOptions {
  credentialId: string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** A destination whose error history could not record the changes (the write-back itself stands). */
  onWarning?: (message: string) => void;
}

/** Failures that end the whole apply: nothing more can succeed with this token, or the user asked to stop. */
const FATAL = new Set(['auth_invalid', 'auth_revoked', 'auth_project_key', 'aborted']);

/** No answer, or a 5xx: Bugsnag may or may not have applied the write, so it must be read back, not resent. */
function outcomeUnknown(err: SnagError): boolean {
  return (
    err.code === 'network' ||
    err.code === 'server_error' ||
    err.code === 'not_bugsnag' ||
    (err.status !== undefined && err.status >= 500)
  );
}

/**
 * Applies a plan. Each write is journaled as `sending` before it goes out and `applied` / `failed` after, so a
 * rerun of the same input (after a crash, kill -9, 5xx or revoked token) knows which writes may have landed: state
 * operations are read back by the plan itself; comments already on the error were left out by the plan, and those
 * in `sending` are looked for again right before posting.
 * Writes are never retried: an unknown outcome is read back, and what did not land is left for the rerun.
 */
export async function applyWriteback(
  store: Store,
  api: BugsnagClient,
  plan: WritebackPlan,
  options: ApplyOptions,
): Promise<WritebackReport> {
  const journal = await store.writebacks.open({
    input_hash: plan.input_hash,
    credential_id: options.credentialId,
    rows: plan.rows,
  });
  const entries = await store.writebacks.entries(journal.id);
  const reports = new Map<number, RowReport>();
  // When each row was applied (Bugsnag answered the PATCH): the time its change is recorded in error_history.
  const appliedAt = new Map<number, string>();
  let writes = 0;
  let stopped: SnagError | null = null;
  const total = plan.rows;
  const report: Report = async (rows, outcome, message, journalIt = true, code = null) => {
    const why = outcome === 'failed' ? (code ?? 'server_error') : null;
    if (outcome === 'applied') for (const r of rows) appliedAt.set(r.row, new Date().toISOString());
    for (const r of rows)
      reports.set(r.row, {
        row: r.row,
        project_id: r.project_id,
        error_id: r.error_id,
        operation: r.operation,
        outcome,
        message,
        code: why,
      });
    if (journalIt && rows.length)
      await store.writebacks.record(
        journal.id,
        rows.map((r) => r.row),
        outcome,
        message,
      );
    options.onProgress?.(reports.size, total);
  };

  for (const g of plan.groups) {
    // A row an earlier attempt applied stays `applied` in the journal (the store never turns it `skipped`): it is
    // what tells the attempt after this one that the comment was posted.
    // Rows with the same message are journaled in one transaction (thousands of rows already so are the common
    // rerun, and a journal write per row made it as slow as the writes it skips).
    const byMessage = new Map<string, { rows: SkippedRow[]; journal: boolean }>();
    for (const r of g.skip) {
      const earlier = entries.get(r.row)?.state === 'applied';
      const message = earlier ? `${r.reason} (applied by an earlier attempt)` : r.reason;
      const same = byMessage.get(message) ?? { rows: [], journal: !earlier };
      same.rows.push(r);
      byMessage.set(message, same);
    }
    for (const [message, { rows, journal }] of byMessage) await report(rows, 'skipped', message, journal);
    for (const m of g.missing) await report([m], 'failed', m.message, true, 'not_found');
  }
  try {
    for (const g of plan.groups) {
      if (g.change.length === 0) continue;
      if (g.operation === 'comment')
        writes += await applyComments(api, g, entries, report, store, journal.id, options.signal);
      else writes += await applyUpdates(api, plan.batchSize, g, report, store, journal.id, options.signal);
    }
  } catch (err) {
    const e = isAbortError(err) ? new SnagError('aborted', 'The write-back was interrupted.') : toSnagError(err);
    if (!FATAL.has(e.code)) {
      // Let go of the journal (what was sent is recorded): a rerun in this same process must not find it held.
      await store.writebacks.finish(journal.id, 'partial').catch(() => undefined);
      throw err;
    }
    stopped = e;
  }
  for (const g of plan.groups) {
    const left = g.change.filter((r) => !reports.has(r.row));
    if (left.length)
      await report(
        left,
        'failed',
        `not sent: ${stopped?.message ?? 'the apply stopped'}`,
        false,
        stopped?.code ?? 'aborted',
      );
  }
  const rows = [...reports.values()].sort((a, b) => a.row - b.row);
  const totals = { applied: 0, skipped: 0, failed: 0 };
  for (const r of rows) totals[r.outcome]++;
  await store.writebacks.finish(journal.id, totals.failed ? 'partial' : 'done');
  const history = await recordWritebackHistory(store, appliedChanges(plan, appliedAt), {
    credentialId: options.credentialId,
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });
  return {
    journal_id: journal.id,
    input_hash: plan.input_hash,
    attempt: journal.attempts,
    rows,
    totals,
    writes,
    stopped,
    history,
  };
}

type Report = (
  rows: readonly WritebackRow[],
  outcome: RowOutcome,
  message: string | null,
  journalIt?: boolean,
  code?: string | null,
) => Promise<void>;

async function applyUpdates(
  api: BugsnagClient,
  batchSize: number,
  g: PlannedGroup,
  report: Report,
  store: Store,
  journalId: string,
  signal?: AbortSignal,
): Promise<number> {
  const op = declOf(g.operation);
  const update = op.update(g.params, g.assignee)!;
  const byError = new Map<string, WritebackRow[]>();
  for (const r of g.change) {
    const rows = byError.get(r.error_id);
    if (rows) rows.push(r);
    else byError.set(r.error_id, [r]);
  }
  const ids = [...byError.keys()];
  const rowsOf = (batch: readonly string[]) => batch.flatMap((id) => byError.get(id)!);
  let writes = 0;

  // One PATCH for the batch (a single error's own PATCH when it is alone), journaled as sending first.
  const send = async (batch: readonly string[]): Promise<void> => {
    const rows = rowsOf(batch);
    await store.writebacks.record(
      journalId,
      rows.map((r) => r.row),
      'sending',
    );
    writes++;
    try {
      if (batch.length === 1) await api.errors.update(g.project_id, batch[0]!, update, { signal });
      else await api.errors.bulkUpdate(g.project_id, batch, update, { signal });
      await report(rows, 'applied', null);
    } catch (err) {
      // One unknown id fails a whole bulk PATCH with 404 and changes nothing: find it one error at a time.
      if (batch.length > 1 && isSnagError(err, 'not_found')) {
        for (const id of batch) await send([id]);
      } else await settle(err, batch);
    }
  };

  // After a failed write: a definite refusal fails its rows; an unknown outcome is read back, error by error.
  const settle = async (err: unknown, batch: readonly string[]) => {
    const e = toSnagError(err);
    if (FATAL.has(e.code) || isAbortError(err)) throw err;
    if (!outcomeUnknown(e)) {
      await report(rowsOf(batch), 'failed', refusal(e, g.operation), true, e.code);
      return;
    }
    for (const id of batch) {
      const back = await readError(api, g.project_id, id, signal).catch((readErr: unknown) => {
        if (FATAL.has(toSnagError(readErr).code)) throw readErr;
        return null;
      });
      if (back?.error && op.done(back.error, g.params, g.assignee))
        await report(byError.get(id)!, 'applied', 'confirmed by reading the error back');
      else if (back)
        await report(byError.get(id)!, 'failed', `not applied: ${e.message} (read back; run again to retry)`);
      else
        await report(
          byError.get(id)!,
          'failed',
          `unknown: ${e.message}; the error could not be read back (run again to check)`,
          false,
        );
    }
  };

  const size = op.bulk ? batchSize : 1;
  for (let i = 0; i < ids.length; i += size) await send(ids.slice(i, i + size));
  return writes;
}

async function applyComments(
  api: BugsnagClient,
  g: PlannedGroup,
  entries: Map<number, WritebackRowEntry>,
  report: Report,
  store: Store,
  journalId: string,
  signal?: AbortSignal,
): Promise<number> {
  const message = String(g.params.message);
  let writes = 0;
  const posted = async (r: WritebackRow) =>
    (await commentsOn(api, r.project_id, r.error_id, signal)).byText.has(commentText(message));
  for (const r of g.change) {
    const before = entries.get(r.row)?.state;
    if (before === 'applied') {
      await report([r], 'skipped', 'already posted (applied by an earlier attempt)', false);
      continue;
    }
    // The last attempt journaled the intent but never learnt the outcome: look before posting again.
    if (before === 'sending' && (await posted(r))) {
      await report([r], 'applied', 'found on the error after an interrupted attempt');
      continue;
    }
    await store.writebacks.record(journalId, [r.row], 'sending');
    writes++;
    try {
      await api.comments.create(r.project_id, r.error_id, message, { signal });
      await report([r], 'applied', null);
    } catch (err) {
      const e = toSnagError(err);
      if (FATAL.has(e.code) || isAbortError(err)) throw err;
      if (!outcomeUnknown(e)) await report([r], 'failed', refusal(e, 'comment'), true, e.code);
      else {
        const found = await posted(r).catch(() => null);
        if (found === true) await report([r], 'applied', 'confirmed by reading the comments back');
        else if (found === false)
          await report([r], 'failed', `not posted: ${e.message} (read back; run again to retry)`);
        else await report([r], 'failed', `unknown: ${e.message}; run again to check`, false);
      }
    }
  }
  return writes;
}

function refusal(e: SnagError, operation: string): string {
  if (e.code === 'forbidden')
    return `Bugsnag refused ${operation} (403): ${e.message} — the credential's role in this project is too low`;
  if (e.code === 'not_found') return `error not found, or not visible to this credential (404): ${e.message}`;
  return e.message;
}
