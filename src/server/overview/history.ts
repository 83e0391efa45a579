import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { committedLines } from '../../destinations/jsonl/lines.js';
import { readState } from '../../destinations/jsonl/state.js';
import { parseDestinationUrl } from '../../destinations/url.js';
import { JSONL_CHART_LIMIT_BYTES } from './aggregate.js';
import { type SqlReader, withSqlReader } from './sql-reader.js';

/**
 * An error's past as the destination's `error_history` holds it (docs/sync.md, Error history): its intervals in
 * order, and the errors whose state changed most recently (the source page links each to its history). SQLite and
 * PostgreSQL read through the history's indexes (by error, by valid_from); a JSONL folder's append-only
 * error_history.jsonl is streamed (the last line of an interval is its current version), up to the size the
 * Overview charts.
 */

export const HISTORY_TABLE = 'error_history';

export interface HistoryInterval {
  project_id: string;
  error_id: string;
  status: string | null;
  severity: string | null;
  assigned_collaborator_id: string | null;
  assigned_team_id: string | null;
  valid_from: string;
  /** Null while it is the current state. */
  valid_to: string | null;
  observed_by: string | null;
  run_id: string | null;
}

export interface ErrorHistory {
  /** The error's class and message from the errors table, when it holds the error. */
  error: { error_class: string | null; message: string | null } | null;
  /** Oldest first. */
  intervals: HistoryInterval[];
}

/** A recent change: the interval that began it, with the error's class and message. */
export interface RecentChange extends HistoryInterval {
  error_class: string | null;
  message: string | null;
}

/** Null when the destination keeps no history (nothing synced, no errors stream, or an older snagsync's tables). */
export async function errorHistory(
  destination: string,
  projectId: string,
  errorId: string,
): Promise<ErrorHistory | null> {
  const target = parseDestinationUrl(destination);
  if (target.kind === 'jsonl') {
    const all = await jsonlIntervals(target.dir, (l) => l.project_id === projectId && l.error_id === errorId);
    return all ? { error: null, intervals: all.sort(byFrom) } : null;
  }
  return withSqlReader(target, async (r) => {
    if (!r.has(HISTORY_TABLE, 'valid_from', 'observed_by')) return null;
    const intervals = (
      await r.all(
        `SELECT ${SELECT} FROM ${r.table(HISTORY_TABLE)} WHERE project_id = ? AND error_id = ? ORDER BY valid_from`,
        [projectId, errorId],
      )
    ).map(intervalOf);
    const [error] = r.has('errors', 'project_id', 'id', 'error_class', 'message')
      ? await r.all<{ error_class: string | null; message: string | null }>(
          `SELECT error_class, message FROM ${r.table('errors')} WHERE project_id = ? AND id = ?`,
          [projectId, errorId],
        )
      : [];
    return { error: error ?? null, intervals };
  });
}

/**
 * The `limit` errors whose state changed last, newest first: each error's current (open) interval, so an error is
 * listed once; null when there is no history.
 */
export async function recentChanges(destination: string, limit: number): Promise<RecentChange[] | null> {
  const target = parseDestinationUrl(destination);
  if (target.kind === 'jsonl') {
    const all = await jsonlIntervals(target.dir, () => true);
    if (!all) return null;
    return all
      .filter((i) => i.valid_to === null)
      .sort((a, b) => byFrom(b, a))
      .slice(0, limit)
      .map((i) => ({ ...i, error_class: null, message: null }));
  }
  return withSqlReader(target, async (r) => {
    if (!r.has(HISTORY_TABLE, 'valid_from', 'observed_by')) return null;
    const recent = (
      await r.all(
        `SELECT ${SELECT} FROM ${r.table(HISTORY_TABLE)} WHERE valid_to IS NULL ORDER BY valid_from DESC LIMIT ?`,
        [limit],
      )
    ).map(intervalOf);
    return withErrorNames(r, recent);
  });
}

const SELECT =
  'project_id, error_id, status, severity, assigned_collaborator_id, assigned_team_id, valid_from, valid_to, observed_by, _run_id';

async function withErrorNames(r: SqlReader, intervals: HistoryInterval[]): Promise<RecentChange[]> {
  const out: RecentChange[] = [];
  const hasErrors = r.has('errors', 'project_id', 'id', 'error_class', 'message');
  for (const i of intervals) {
    // A key lookup each: a page shows a handful of changes.
    const [e] = hasErrors
      ? await r.all<{ error_class: string | null; message: string | null }>(
          `SELECT error_class, message FROM ${r.table('errors')} WHERE project_id = ? AND id = ?`,
          [i.project_id, i.error_id],
        )
      : [];
    out.push({ ...i, error_class: e?.error_class ?? null, message: e?.message ?? null });
  }
  return out;
}

function text(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

function intervalOf(row: Record<string, unknown>): HistoryInterval {
  return {
    project_id: String(row.project_id),
    error_id: String(row.error_id),
    status: text(row.status),
    severity: text(row.severity),
    assigned_collaborator_id: text(row.assigned_collaborator_id),
    assigned_team_id: text(row.assigned_team_id),
    valid_from: String(row.valid_from),
    valid_to: text(row.valid_to),
    observed_by: text(row.observed_by),
    run_id: text(row._run_id),
  };
}

function byFrom(a: HistoryInterval, b: HistoryInterval): number {
  return a.valid_from < b.valid_from ? -1 : a.valid_from > b.valid_from ? 1 : 0;
}

/** Every interval of the history file that `keep` selects, each as its last line says; null: no history file. */
async function jsonlIntervals(
  dir: string,
  keep: (line: Record<string, unknown>) => boolean,
): Promise<HistoryInterval[] | null> {
  const s = readState(dir)?.streams[HISTORY_TABLE];
  const path = s ? join(dir, s.file) : null;
  if (!s || !path || !existsSync(path)) return null;
  if (s.bytes > JSONL_CHART_LIMIT_BYTES) return [];
  const latest = new Map<string, HistoryInterval>();
  for await (const line of committedLines(path, s.bytes)) {
    const l = JSON.parse(line) as Record<string, unknown>;
    if (!keep(l)) continue;
    latest.set(`${l.project_id}\u0000${l.error_id}\u0000${l.valid_from}`, intervalOf(l));
  }
  return [...latest.values()];
}
