import { SnagError } from '../core/errors.js';

/**
 * What the database inputs (`sqlite:PATH?query=…`, `postgres://…?query=…`) share: how the query and the
 * `statement_timeout` are read from the input's text, the SELECT-only rule and the rows they give.
 */

/** One input row as read, before any checking; `row` is its 1-based number (data line for CSV, line for JSONL). */
export interface RawRow {
  row: number;
  fields: Record<string, unknown>;
}

export interface InputRead {
  rows: RawRow[];
  text: string;
  /** Things the user should know about the input that do not stop it (a database role that can write). */
  warnings: string[];
}

export interface QueryOptions {
  /** Values of the query's parameters (`$1`… in PostgreSQL, `?` in SQLite): a destination's parsed filter. */
  queryValues?: ReadonlyArray<string | number | boolean>;
  /** Called with each warning as soon as it is known (the CLI prints them on stderr). */
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

/** How long a query may run unless its input says less (or more, up to the maximum). */
export const DEFAULT_QUERY_TIMEOUT_MS = 30_000;
export const MAX_QUERY_TIMEOUT_MS = 600_000;

/** Splits `…?query=SELECT …` (or `&query=`): the query is the rest, literal when it has spaces, else URL-encoded. */
export function splitQuery(spec: string): { base: string; query: string | null } {
  const m = /[?&]query=/.exec(spec);
  if (!m) return { base: spec, query: null };
  const raw = spec.slice(m.index + m[0].length);
  return { base: spec.slice(0, m.index), query: /\s/.test(raw) ? raw : safeDecode(raw) };
}

/**
 * A query is one SELECT (or WITH … SELECT): the database checks the rest (one statement, read-only), but a statement
 * that is not a query at all (COPY … TO PROGRAM runs in a read-only transaction) is refused before it is sent.
 */
export function requireSelect(query: string | null, example: string): string {
  const q = query?.trim().replace(/;\s*$/, '') ?? '';
  if (!/^(select|with)\b/i.test(q)) {
    throw new SnagError('config', `A database input needs one SELECT query (or WITH … SELECT): ${example}.`, {
      hint: "e.g. …?query=SELECT project_id, id AS error_id, 'fix' AS operation FROM errors WHERE status = 'open'",
      details: { field: 'from' },
    });
  }
  return q;
}

/** `statement_timeout=MS` (or `5s`, `2min`), as PostgreSQL writes it: how long the input's query may run. */
export function timeoutOf(value: string | null): number {
  if (value === null) return DEFAULT_QUERY_TIMEOUT_MS;
  const m = /^\s*(\d+)\s*(ms|s|min)?\s*$/.exec(value);
  const ms = m ? Number(m[1]) * (m[2] === 's' ? 1000 : m[2] === 'min' ? 60_000 : 1) : Number.NaN;
  if (!(ms >= 1 && ms <= MAX_QUERY_TIMEOUT_MS)) {
    throw new SnagError(
      'config',
      `statement_timeout=${value} is not a duration between 1 ms and ${MAX_QUERY_TIMEOUT_MS / 60_000} min.`,
      {
        hint: `Give milliseconds (statement_timeout=5000) or 5s, 2min; without it a query may run ${DEFAULT_QUERY_TIMEOUT_MS / 1000} s.`,
        details: { field: 'from' },
      },
    );
  }
  return ms;
}

export function timeoutError(ms: number, database: string): SnagError {
  return new SnagError('config', `The write-back query ran longer than ${formatMs(ms)} and was stopped.`, {
    hint: `Make the query cheaper (a narrower WHERE, a LIMIT), or give the ${database} input a longer statement_timeout (at most ${MAX_QUERY_TIMEOUT_MS / 60_000} min).`,
    details: { field: 'from', timeout_ms: ms },
  });
}

export function multipleStatements(): SnagError {
  return new SnagError('config', 'The write-back query has more than one statement; an input runs exactly one.', {
    hint: 'Give a single SELECT (no ; between statements).',
    details: { field: 'from' },
  });
}

export function abortedError(): SnagError {
  return new SnagError('aborted', 'Interrupted while the write-back query ran; it was stopped.', {
    details: { field: 'from' },
  });
}

export function rowsOf(rows: ReadonlyArray<Record<string, unknown>>): RawRow[] {
  return rows.map((fields, i) => ({ row: i + 1, fields: dropNulls(fields) }));
}

function dropNulls(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null && v !== ''));
}

export function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
