import { closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { SnagError } from '../../core/errors.js';

export type Db = Database.Database;

export const BUSY_TIMEOUT_MS = 5000;

/**
 * Opens the metadata database the way every snagsync process must, so that several of them (a CLI command next to
 * `serve` or a scheduled sync) can write at once: WAL (readers never block the writer), a busy timeout (a writer
 * waits for the other instead of failing), foreign keys on. The file is created owner-only: it holds sealed tokens.
 */
export function openMetadataDb(path: string): Db {
  let db: Db | undefined;
  try {
    closeSync(openSync(path, 'a', 0o600));
    db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    // NORMAL is crash-safe in WAL mode (a kill loses nothing committed); only a power cut may drop the last commits.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    return db;
  } catch (err) {
    db?.close();
    throw storeError(err, path);
  }
}

export function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Turns a driver or file-system failure into a SnagError that says what to do. SnagErrors pass through. */
export function storeError(err: unknown, path: string): SnagError {
  if (err instanceof SnagError) return err;
  const code = sqliteCode(err) ?? '';
  const where = `the snagsync metadata store (${path})`;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new SnagError(
      'conflict',
      `${capital(where)} stayed locked by another snagsync process for more than ${BUSY_TIMEOUT_MS / 1000} s.`,
      {
        cause: err,
        hint: 'Try again when the other command has finished.',
        details: { sqlite: code },
      },
    );
  }
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new SnagError('conflict', `The record already exists in ${where}.`, {
      cause: err,
      hint: 'Use another name or id.',
      details: { sqlite: code },
    });
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return new SnagError('missing', `A record referred to no longer exists in ${where}.`, {
      cause: err,
      hint: 'It was probably removed by another command; list what exists and try again.',
      details: { sqlite: code },
    });
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new SnagError('config', `${capital(where)} is damaged or is not a SQLite database.`, {
      cause: err,
      hint: 'Restore it from a backup, or move it away to start afresh (credentials will have to be added again).',
      details: { sqlite: code },
    });
  }
  if (code === 'SQLITE_FULL') {
    return new SnagError('config', `The disk holding ${where} is full.`, {
      cause: err,
      hint: 'Free some space and try again.',
      details: { sqlite: code },
    });
  }
  if (
    code === 'SQLITE_READONLY' ||
    code === 'SQLITE_CANTOPEN' ||
    code === 'EACCES' ||
    code === 'EPERM' ||
    code === 'EROFS' ||
    code === 'ENOENT'
  ) {
    return new SnagError('config', `Cannot open ${where} for writing.`, {
      cause: err,
      hint: 'Check that the snagsync home folder and its files belong to you and are writable, or set SNAGSYNC_HOME to another folder.',
      details: { code },
    });
  }
  if (code.startsWith('SQLITE_IOERR')) {
    // Not a bug of ours: the disk, or another program writing the file (under this name or another: a hard link).
    return new SnagError('config', `Reading or writing ${where} failed: disk I/O error (${code}).`, {
      cause: err,
      hint: 'Check the disk that holds it, and that no other program writes that file under any name (a copy of the store opened as another database, a hard link to it); then try again.',
      details: { sqlite: code, path },
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new SnagError('internal', `Unexpected failure of ${where}: ${message}`, {
    cause: err,
    hint: 'This is a bug in snagsync; please report it with the command you ran (never include your token).',
    details: code ? { sqlite: code } : {},
  });
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
