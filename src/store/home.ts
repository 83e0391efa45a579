import { mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SnagError } from '../core/errors.js';
import { expandPath } from '../core/fs.js';

export { expandPath };

export const HOME_ENV = 'SNAGSYNC_HOME';
export const METADATA_DB_FILE = 'snagsync.db';

/**
 * The snagsync home folder: `SNAGSYNC_HOME` when set (a leading `~` is expanded, a relative path is taken from the
 * current directory), else `~/.snagsync`. Only resolves; `ensureHome` creates it.
 */
export function resolveHome(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const raw = env[HOME_ENV]?.trim();
  if (!raw) return join(homedir(), '.snagsync');
  return expandPath(raw, cwd);
}

/**
 * Create the home folder on first use, readable by its owner only (it holds the master key and the metadata store).
 * An existing folder keeps the permissions its owner gave it.
 */
export function ensureHome(home: string): string {
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new SnagError('config', `Cannot create the snagsync home folder ${home}.`, {
      cause: err,
      hint: `Check the permissions of its parent folder, or point ${HOME_ENV} to a folder you can write.`,
    });
  }
  if (!statSync(home).isDirectory()) {
    throw new SnagError('config', `The snagsync home ${home} exists but is not a folder.`, {
      hint: `Point ${HOME_ENV} to a folder.`,
    });
  }
  return home;
}

export function metadataDbPath(home: string): string {
  return join(home, METADATA_DB_FILE);
}

/**
 * The home (0700) and the metadata store (0600) are created readable by their owner only. A later `chmod`, a copy, or
 * a restore from a backup can open them to other users without anyone noticing; the master key is refused outright
 * in that case (see keyfile.ts), these are reported: one warning for the home and one for the store — its `-wal` and
 * `-shm` files, which SQLite makes with the store's own mode, are named in the store's warning rather than warned about
 * again — each with the command that fixes it.
 */
export function homeExposureWarnings(home: string): string[] {
  const out: string[] = [];
  const home_ = exposed(home);
  if (home_) {
    out.push(
      `The snagsync home ${home} can be read by other users (mode ${home_}): it holds the metadata store and the master key. Fix: chmod 700 ${shellQuote(home)}`,
    );
  }
  const files = ['', '-wal', '-shm']
    .map((suffix) => metadataDbPath(home) + suffix)
    .map((path) => ({ path, mode: exposed(path) }))
    .filter((f): f is { path: string; mode: string } => f.mode !== null);
  if (files.length) {
    const modes = [...new Set(files.map((f) => f.mode))].join(', ');
    out.push(
      `The metadata store ${files.map((f) => f.path).join(', ')} can be read by other users (mode ${modes}): it holds credentials (tokens sealed), sources and run history. Fix: chmod 600 ${files.map((f) => shellQuote(f.path)).join(' ')}`,
    );
  }
  return out;
}

/** The path's mode in octal when other users can read it; null when they cannot, or it does not exist yet. */
function exposed(path: string): string | null {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    return null;
  }
  return (mode & 0o077) === 0 ? null : mode.toString(8).padStart(4, '0');
}

function shellQuote(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, "'\\''")}'`;
}
