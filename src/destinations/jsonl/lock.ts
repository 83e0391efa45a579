import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SnagError } from '../../core/errors.js';
import { destinationError } from '../errors.js';
import { createDataFile } from '../paths.js';

export const LOCK_FILE = '.snagsync-lock';

/**
 * Exclusive use of a JSONL folder for as long as a destination is open. Opening truncates files back to the last
 * checkpoint, so two writers must never share a folder. The lock is SQLite's own file lock, held by an EXCLUSIVE
 * transaction that is never committed: the operating system releases it when the process ends, however it ends, so
 * a kill -9 never leaves a stale lock behind (unlike a pid file).
 */
export function lockFolder(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  let db: Database.Database | undefined;
  try {
    createDataFile(path);
    db = new Database(path, { timeout: 0 });
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db?.close();
    const code = (err as { code?: unknown }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new SnagError('destination', `The JSONL folder ${dir} is being written by another snagsync process.`, {
        hint: 'Wait for that sync to finish: two syncs cannot append to the same folder at once.',
        details: { location: dir },
      });
    }
    throw destinationError(err, dir);
  }
  const held = db;
  return () => {
    if (held.open) held.close();
  };
}
