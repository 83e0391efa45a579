import type { BugsnagClient } from '../bugsnag/client.js';
import type { ErrorGroup } from '../bugsnag/models/error.js';
import { isSnagError, SnagError } from '../core/errors.js';
import type { Comment } from '../bugsnag/models/comment.js';
import {
  checkRows,
  commentText,
  inputHash,
  paramsKey,
  problemsError,
  type RowProblem,
  type WritebackRow,
} from './check.js';
import type { RawRow } from './input.js';
import { operationOf, type OperationDecl, type ResolvedAssignee } from './operations.js';
import { resolveAssignees } from './assignees.js';

/**
 * Error ids per bulk PATCH. Each id adds `error_ids%5B%5D=<24 hex>&` (41 characters) to the URL, so 100 ids keep it
 * near 4.2 KB, well under the ~8 KB that servers and proxies commonly accept (docs/bugsnag-api.md §10).
 */
export const BULK_BATCH = 100;

/** Rows with the same project, operation and parameters: one bulk PATCH per batch of their errors. */
export interface PlannedGroup {
  project_id: string;
  operation: string;
  params: Record<string, unknown>;
  assignee: ResolvedAssignee | null;
  /** Rows whose error is not yet as wanted (comments: every row). */
  change: WritebackRow[];
  /** Rows not sent, and why: the error already reads as wanted, the comment is already on it, a duplicate row. */
  skip: SkippedRow[];
  /** Rows whose error Bugsnag does not show this credential (404 on read). */
  missing: Array<WritebackRow & { message: string }>;
  /** Write requests the group will make. */
  requests: number;
}

export type SkippedRow = WritebackRow & { reason: string };

export interface WritebackPlan {
  input_hash: string;
  rows: number;
  groups: PlannedGroup[];
  /** The errors' state as read while planning, by `project/error`. */
  states: Map<string, ErrorGroup>;
  /** Requests made to build the plan (all reads). */
  reads: number;
  writes: number;
  /** Error ids per bulk PATCH (BULK_BATCH unless a test or benchmark asks for smaller batches). */
  batchSize: number;
}

export const stateKey = (projectId: string, errorId: string) => `${projectId}/${errorId}`;

export function declOf(name: string): OperationDecl<unknown> {
  const op = operationOf(name);
  if (!op) throw new SnagError('internal', `unknown write-back operation ${name}`);
  return op;
}

/**
 * Checks the rows (shape, then the projects the credential reaches and the assignees it can resolve), reads the
 * touched errors' current state, and groups what must change. Sends nothing: every request here is a GET.
 */
export async function planWriteback(
  api: BugsnagClient,
  raw: readonly RawRow[],
  options: { signal?: AbortSignal; batchSize?: number } = {},
): Promise<WritebackPlan> {
  const { rows, problems } = checkRows(raw);
  const batchSize = Math.max(1, Math.min(options.batchSize ?? BULK_BATCH, BULK_BATCH));
  let reads = 0;
  const projectIds = [...new Set(rows.map((r) => r.project_id))];
  const orgOf = new Map<string, string>();
  for (const pid of projectIds) {
    try {
      reads++;
      const p = await api.projects.get(pid, { signal: options.signal });
      orgOf.set(pid, String(p.organization_id ?? ''));
    } catch (err) {
      if (!isSnagError(err) || (err.code !== 'not_found' && err.code !== 'forbidden')) throw err;
      for (const r of rows) {
        if (r.project_id === pid)
          problems.push({
            row: r.row,
            field: 'project_id',
            message: `the credential cannot reach project ${pid} (${err.message})`,
          });
      }
    }
  }
  const reachable = rows.filter((r) => orgOf.has(r.project_id));
  const resolved = await resolveAssignees(api, reachable, orgOf, problems, options.signal);
  reads += resolved.reads;
  if (problems.length) throw problemsError(sortProblems(problems));

  const states = new Map<string, ErrorGroup>();
  const missing = new Map<string, string>();
  for (const r of rows) {
    const key = stateKey(r.project_id, r.error_id);
    if (states.has(key) || missing.has(key)) continue;
    reads++;
    const got = await readError(api, r.project_id, r.error_id, options.signal);
    if (got.error) states.set(key, got.error);
    else missing.set(key, got.message);
  }

  const comments = await findComments(api, rows, states, options.signal);
  reads += comments.reads;

  const groups = new Map<string, PlannedGroup>();
  for (const r of rows) {
    const assignee = resolved.byRow.get(r.row) ?? null;
    const gkey = JSON.stringify([r.project_id, r.operation, paramsKey(r.params), assignee?.id ?? null]);
    let g = groups.get(gkey);
    if (!g) {
      g = {
        project_id: r.project_id,
        operation: r.operation,
        params: r.params,
        assignee,
        change: [],
        skip: [],
        missing: [],
        requests: 0,
      };
      groups.set(gkey, g);
    }
    const key = stateKey(r.project_id, r.error_id);
    const state = states.get(key);
    const there = r.operation === 'comment' ? comments.found.get(r.row) : undefined;
    if (!state) g.missing.push({ ...r, message: missing.get(key)! });
    else if (r.duplicate_of !== undefined) g.skip.push({ ...r, reason: `same change as row ${r.duplicate_of}` });
    else if (there) g.skip.push({ ...r, reason: alreadyThere(there) });
    else if (declOf(r.operation).done(state, r.params, assignee)) g.skip.push({ ...r, reason: 'already so' });
    else g.change.push(r);
  }
  let writes = 0;
  for (const g of groups.values()) {
    const op = declOf(g.operation);
    const distinct = new Set(g.change.map((r) => r.error_id)).size;
    g.requests = op.bulk ? Math.ceil(distinct / batchSize) : g.change.length;
    writes += g.requests;
  }
  return {
    input_hash: inputHash(rows),
    rows: rows.length,
    groups: [...groups.values()],
    states,
    reads,
    writes,
    batchSize,
  };
}

/**
 * Comments have no state to compare, so each comment row's error is looked at: its comments are listed (only when
 * Bugsnag counts any) and a row whose text is already there is not posted again — whichever input, journal or tool
 * posted it. This is Bugsnag's own state: it holds when the input changed (a query's rows move between runs), when
 * the journal was lost, and for comments posted by hand. Any author counts: the Data Access API has no documented way
 * to ask which user a token belongs to (docs/bugsnag-api.md §18, `GET /user`), and the same text posted twice on one
 * error is a duplicate for its readers whoever posted it; the plan names the author.
 */
async function findComments(
  api: BugsnagClient,
  rows: readonly WritebackRow[],
  states: ReadonlyMap<string, ErrorGroup>,
  signal?: AbortSignal,
): Promise<{ found: Map<number, Comment>; reads: number }> {
  const found = new Map<number, Comment>();
  const byError = new Map<string, WritebackRow[]>();
  for (const r of rows) {
    if (r.operation !== 'comment' || r.duplicate_of !== undefined) continue;
    const key = stateKey(r.project_id, r.error_id);
    const state = states.get(key);
    // comment_count counts every comment of the error; 0 means there is nothing to list.
    if (!state || state.comment_count === 0) continue;
    const list = byError.get(key);
    if (list) list.push(r);
    else byError.set(key, [r]);
  }
  let reads = 0;
  for (const list of byError.values()) {
    const { project_id, error_id } = list[0]!;
    const existing = await commentsOn(api, project_id, error_id, signal);
    reads += existing.reads;
    for (const r of list) {
      const c = existing.byText.get(commentText(r.params.message));
      if (c) found.set(r.row, c);
    }
  }
  return { found, reads };
}

/** Every comment of one error, by its text (the first listed when the same text is there twice). */
export async function commentsOn(
  api: BugsnagClient,
  projectId: string,
  errorId: string,
  signal?: AbortSignal,
): Promise<{ byText: Map<string, Comment>; reads: number }> {
  const byText = new Map<string, Comment>();
  let reads = 0;
  for await (const page of api.comments.list(projectId, errorId, { signal, perPage: 100 }).pages()) {
    reads++;
    for (const c of page.items) {
      const text = commentText(c.message ?? '');
      if (!byText.has(text)) byText.set(text, c);
    }
  }
  return { byText, reads };
}

function alreadyThere(c: Comment): string {
  const who = c.collaborator ?? c.user;
  const by = who?.name || who?.email ? ` by ${who.name || who.email}` : '';
  const at = c.created_at ? ` on ${String(c.created_at)}` : '';
  return `already on the error (comment ${c.id}${by}${at})`;
}

/** GET one error: its state, or why it cannot be read (404: unknown or hidden from this credential). */
export async function readError(
  api: BugsnagClient,
  projectId: string,
  errorId: string,
  signal?: AbortSignal,
): Promise<{ error: ErrorGroup; message?: undefined } | { error?: undefined; message: string }> {
  try {
    return { error: await api.errors.get(projectId, errorId, { signal }) };
  } catch (err) {
    if (isSnagError(err, 'not_found'))
      return { message: `error not found in project ${projectId}, or not visible to this credential (404)` };
    throw err;
  }
}

function sortProblems(problems: RowProblem[]): RowProblem[] {
  return [...problems].sort((a, b) => a.row - b.row || a.field.localeCompare(b.field));
}
