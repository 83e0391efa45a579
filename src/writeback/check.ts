import { createHash } from 'node:crypto';
import { SnagError } from '../core/errors.js';
import type { RawRow } from './input.js';
import { OPERATION_NAMES, operationOf } from './operations.js';

/** A row that passed the checks: its parameters parsed by its operation's schema. */
export interface WritebackRow {
  row: number;
  project_id: string;
  error_id: string;
  operation: string;
  params: Record<string, unknown>;
  /** An earlier row of the input asks for the very same change of the same error: this one is not sent. */
  duplicate_of?: number;
}

export interface RowProblem {
  row: number;
  field: string;
  message: string;
}

const HEX24 = /^[0-9a-f]{24}$/i;
const KEYS = new Set(['project_id', 'error_id', 'operation']);

/** Checks every row's shape (not yet what the credential reaches); returns the good rows and every problem found. */
export function checkRows(raw: readonly RawRow[]): { rows: WritebackRow[]; problems: RowProblem[] } {
  const rows: WritebackRow[] = [];
  const problems: RowProblem[] = [];
  for (const { row, fields } of raw) {
    const before = problems.length;
    const text = (k: string) =>
      typeof fields[k] === 'string' || typeof fields[k] === 'number' ? String(fields[k]).trim() : '';
    for (const k of ['project_id', 'error_id'] as const) {
      const v = text(k);
      if (!v) problems.push({ row, field: k, message: 'missing' });
      else if (!HEX24.test(v))
        problems.push({ row, field: k, message: `"${v}" is not a 24-character hexadecimal Bugsnag id` });
    }
    const opName = text('operation');
    const op = opName ? operationOf(opName) : undefined;
    if (!opName) problems.push({ row, field: 'operation', message: 'missing' });
    else if (!op)
      problems.push({
        row,
        field: 'operation',
        message: `unknown operation "${opName}" (use ${OPERATION_NAMES.join(', ')})`,
      });
    let params: Record<string, unknown> = {};
    if (op) {
      const input = Object.fromEntries(Object.entries(fields).filter(([k]) => !KEYS.has(k)));
      const parsed = op.params.safeParse(input);
      if (parsed.success) params = parsed.data as Record<string, unknown>;
      else {
        for (const issue of parsed.error.issues) {
          const field = issue.path.map(String).join('.') || opName;
          const missing = issue.code === 'invalid_type' && input[field] === undefined;
          problems.push({ row, field, message: missing ? `missing (needed by ${opName})` : issue.message });
        }
      }
    }
    if (problems.length === before) {
      rows.push({
        row,
        project_id: text('project_id').toLowerCase(),
        error_id: text('error_id').toLowerCase(),
        operation: opName,
        params,
      });
    }
  }
  markRepeats(rows, problems);
  return { rows, problems };
}

/** A comment's text as compared: Bugsnag keeps what was sent, but a CSV export may add `\r\n` or blanks at the ends. */
export function commentText(message: unknown): string {
  return String(message).replace(/\r\n?/g, '\n').trim();
}

/**
 * Rows that touch one error twice: the very same change again is a duplicate (sent once, reported as such); two
 * different values of one attribute (fix then ignore) conflict and are refused, since which one Bugsnag keeps would
 * depend on the order of the requests. Two comments conflict with nothing; the same comment twice is a duplicate.
 */
function markRepeats(rows: WritebackRow[], problems: RowProblem[]): void {
  const first = new Map<string, WritebackRow>();
  for (const r of rows) {
    const op = operationOf(r.operation)!;
    const what = op.sets ?? `comment ${commentText(r.params.message)}`;
    const same = `${r.project_id}/${r.error_id}/${what}`;
    const exact = op.sets ? `${same}/${r.operation}/${paramsKey(r.params)}` : same;
    const twin = first.get(exact);
    if (twin) {
      r.duplicate_of = twin.row;
      continue;
    }
    const other = op.sets ? first.get(same) : undefined;
    if (other && !(op.additive && other.operation === r.operation)) {
      problems.push({
        row: r.row,
        field: 'operation',
        message: `conflicts with row ${other.row} (${describe(other)}) on error ${r.error_id}: one input can set an error's ${op.sets?.replace('_', ' ')} once`,
      });
      continue;
    }
    first.set(exact, r);
    if (!first.has(same)) first.set(same, r);
  }
}

function describe(r: WritebackRow): string {
  const params = Object.entries(r.params).map(([k, v]) => `${k}=${String(v)}`);
  return params.length ? `${r.operation} ${params.join(', ')}` : r.operation;
}

/** The problems as one error: every row and field at once, nothing sent. */
export function problemsError(problems: readonly RowProblem[]): SnagError {
  const shown = problems.slice(0, 50).map((p) => `row ${p.row}, ${p.field}: ${p.message}`);
  const more = problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : '';
  return new SnagError(
    'config',
    `${problems.length} problem${problems.length === 1 ? '' : 's'} in the write-back input; nothing was sent:\n  ${shown.join('\n  ')}${more}`,
    {
      hint: 'Fix these rows and run the command again.',
      details: { field: 'from', problems },
    },
  );
}

/** Identifies an input: the same rows (whatever file or query they came from) give the same hash. */
export function inputHash(rows: readonly WritebackRow[]): string {
  const h = createHash('sha256');
  for (const r of rows)
    h.update(`${JSON.stringify([r.row, r.project_id, r.error_id, r.operation, sortKeys(r.params)])}\n`);
  return h.digest('hex');
}

export function paramsKey(params: Record<string, unknown>): string {
  return JSON.stringify(sortKeys(params));
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
