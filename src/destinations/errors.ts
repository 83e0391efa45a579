import { SnagError } from '../core/errors.js';

/**
 * Advice that ends in a full refresh, in each face's words: the CLI's flag, the HTTP API's field (the web UI has no
 * full-refresh button; its advice names the API).
 */
export function fullRefreshAdvice(before: string): { hint: string; serverHint: string } {
  return {
    hint: `${before} sync with --full-refresh.`,
    serverHint: `${before} start a full refresh (POST /api/data_sources/{id}/runs with "full_refresh": true).`,
  };
}

const RESUME = 'The next sync resumes from the last checkpoint; nothing committed is lost.';

/**
 * Turns a driver or file-system failure while writing a destination into SnagError('destination') that says what
 * to do. SnagErrors pass through. `code` is SQLite's extended code (SQLITE_FULL…) or an errno name (ENOSPC…).
 */
export function destinationError(err: unknown, location: string, busyTimeoutMs?: number): SnagError {
  if (err instanceof SnagError) return err;
  const code = errorCode(err) ?? '';
  const base = code.replace(/^(SQLITE_[A-Z]+)_.*$/, '$1');
  const details = code ? { code, location } : { location };
  const make = (message: string, hint: string) => new SnagError('destination', message, { cause: err, hint, details });
  switch (base) {
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return make(
        `The destination ${location} stayed locked by another program${busyTimeoutMs ? ` for more than ${busyTimeoutMs / 1000} s` : ''}.`,
        `Close whatever holds it (another sync to the same file, a sqlite3 shell with an open transaction), then run the sync again. ${RESUME}`,
      );
    case 'SQLITE_FULL':
    case 'ENOSPC':
    case 'EDQUOT':
      return make(
        `The disk holding the destination ${location} is full.`,
        `Free some space, then run the sync again. ${RESUME}`,
      );
    case 'SQLITE_READONLY':
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return make(
        `The destination ${location} is read-only.`,
        'Make the file and its folder writable by you, or choose another destination (--destination).',
      );
    case 'SQLITE_CANTOPEN':
    case 'ENOENT':
    case 'ENOTDIR':
    case 'EISDIR':
      return make(
        `Cannot open the destination ${location}.`,
        'Check that the path is right and that its folder exists and is writable, or choose another destination.',
      );
    case 'SQLITE_CORRUPT':
    case 'SQLITE_NOTADB':
      return make(
        `The destination ${location} is damaged or is not a SQLite database.`,
        'Restore it from a backup, or point the source at a new file and sync with --full-refresh.',
      );
    case 'SQLITE_IOERR':
    case 'EIO':
      return make(
        `Reading or writing the destination ${location} failed (I/O error).`,
        `Check the disk, and that no other program writes that file under another name (a hard link to it opened as another database); then run the sync again. ${RESUME}`,
      );
    default: {
      const message = err instanceof Error ? err.message : String(err);
      return make(
        `Writing the destination ${location} failed: ${message}`,
        `Run the sync again once the cause is fixed. ${RESUME}`,
      );
    }
  }
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
