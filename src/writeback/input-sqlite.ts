import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { SnagError } from '../core/errors.js';
import { expandPath } from '../core/fs.js';
import {
  abortedError,
  type InputRead,
  multipleStatements,
  type QueryOptions,
  requireSelect,
  rowsOf,
  safeDecode,
  splitQuery,
  timeoutError,
  timeoutOf,
} from './input-query.js';

/**
 * `sqlite:PATH[?statement_timeout=MS]&query=SELECT …`: rows from one query on a synced SQLite destination.
 *
 * The file is opened read-only (and must exist), so no statement can write it; better-sqlite3 prepares exactly one
 * statement (it refuses a string with two); the statement must be a query that only reads (`reader` and `readonly`:
 * not ATTACH, not VACUUM INTO — which writes a new file even from a read-only handle).
 *
 * SQLite has no statement timeout and better-sqlite3 exposes neither its progress handler nor `sqlite3_interrupt`,
 * and a worker thread cannot be stopped inside a native call (`WITH RECURSIVE` that never ends is one step). So the
 * query runs in a child process, killed when it runs past the timeout (30 s unless the input says) or on abort:
 * killing a reader of a read-only handle leaves the file as it was.
 */

/** The child: opens the file read-only, runs the one statement, sends the rows back, exits. CommonJS, for `node -e`. */
const CHILD = `
process.once('message', (m) => {
  const reply = (msg) => process.send(msg, () => process.exit(0));
  let db;
  try {
    const Database = require(m.module);
    db = new Database(m.path, { readonly: true, fileMustExist: true });
  } catch (e) {
    return reply({ error: 'open', message: String(e && e.message) });
  }
  try {
    const stmt = db.prepare(m.query);
    if (!stmt.reader || !stmt.readonly) return reply({ error: 'not-a-read' });
    reply({ rows: stmt.all(...m.values) });
  } catch (e) {
    reply({ error: 'query', message: String(e && e.message) });
  }
});
`;

type ChildAnswer =
  | { rows: Array<Record<string, unknown>> }
  | { error: 'open' | 'query'; message: string }
  | { error: 'not-a-read' };

export async function readSqlite(spec: string, options: QueryOptions & { cwd?: string } = {}): Promise<InputRead> {
  const rest = spec.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
  const { base, query: raw } = splitQuery(rest);
  const q = base.indexOf('?');
  const params = new URLSearchParams(q >= 0 ? base.slice(q + 1) : '');
  const path = expandPath(safeDecode(q >= 0 ? base.slice(0, q) : base), options.cwd);
  const query = requireSelect(raw, 'sqlite:PATH?query=SELECT …');
  const timeoutMs = timeoutOf(params.get('statement_timeout'));
  const values = (options.queryValues ?? []).map((v) => (typeof v === 'boolean' ? Number(v) : v));
  const answer = await runChild({ module: betterSqlitePath(), path, query, values }, timeoutMs, options.signal);
  if ('rows' in answer) {
    return {
      rows: rowsOf(answer.rows),
      text: `${path}\n${query}\n${JSON.stringify(values)}\n${JSON.stringify(answer.rows)}`,
      warnings: [],
    };
  }
  if (answer.error === 'open') {
    throw new SnagError('config', `Cannot open the SQLite database ${path}: ${answer.message}.`, {
      hint: 'Give the path of a synced SQLite destination.',
      details: { field: 'from' },
    });
  }
  if (answer.error === 'not-a-read') {
    throw new SnagError('config', 'The write-back query is not a query that only reads the database.', {
      hint: 'Give one SELECT (not ATTACH, VACUUM INTO or a statement that writes).',
      details: { field: 'from' },
    });
  }
  if (/more than one statement/.test(answer.message)) throw multipleStatements();
  if (/readonly database/.test(answer.message)) {
    throw new SnagError('config', `The write-back query tried to change the database (${answer.message}).`, {
      hint: 'An input is only read: give a SELECT that reads (no INSERT, UPDATE or DELETE).',
      details: { field: 'from' },
    });
  }
  throw new SnagError('config', `The write-back query failed: ${answer.message}.`, {
    hint: 'Check the query against the destination (table and column names).',
    details: { field: 'from' },
  });
}

let resolvedModule: string | undefined;
function betterSqlitePath(): string {
  resolvedModule ??= createRequire(import.meta.url).resolve('better-sqlite3');
  return resolvedModule;
}

function runChild(
  message: { module: string; path: string; query: string; values: Array<string | number> },
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<ChildAnswer> {
  if (signal?.aborted) return Promise.reject(abortedError());
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', CHILD], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    let settled = false;
    let stderr = '';
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    // Settled once the child is gone (killed and reaped), so nothing of the query outlives the call.
    const kill = (err: SnagError) =>
      finish(() => {
        child.once('close', () => reject(err));
        child.kill('SIGKILL');
      });
    const timer = setTimeout(() => kill(timeoutError(timeoutMs, 'SQLite')), timeoutMs);
    const onAbort = () => kill(abortedError());
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 4000) stderr += d.toString();
    });
    child.on('message', (m: ChildAnswer) => finish(() => resolve(m)));
    child.on('error', (err) =>
      finish(() =>
        reject(
          new SnagError('internal', `Could not start the process that reads the SQLite input: ${err.message}.`, {
            details: { field: 'from' },
          }),
        ),
      ),
    );
    // 'close', not 'exit': the answer sent just before exiting is read from the channel first.
    child.on('close', (code, sig) =>
      finish(() =>
        reject(
          new SnagError(
            'internal',
            `The process that reads the SQLite input ended without an answer (${sig ?? `exit ${code}`})${stderr ? `: ${stderr.trim().split('\n')[0]}` : ''}.`,
            { details: { field: 'from' } },
          ),
        ),
      ),
    );
    child.send(message);
  });
}
