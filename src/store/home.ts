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
 * in that case (see keyfile.ts), these are reported: one warning each, with the command that fixes it.
 */
export function homeExposureWarnings(home: string): string[] {
  const out: string[] = [];
  const check = (path: string, what: string, holds: string, fix: string) => {
    let mode: number;
    try {
      mode = statSync(path).mode & 0o777;
    } catch {
      return; // not created yet
    }
    if ((mode & 0o077) === 0) return;
    const octal = mode.toString(8).padStart(4, '0');
    out.push(`${what} ${path} can be read by other users (mode ${octal}): it holds ${holds}. Fix: ${fix}`);
  };
  check(home, 'The snagsync home', 'the metadata store and the master key', `chmod 700 ${shellQuote(home)}`);
  for (const suffix of ['', '-wal', '-shm']) {
    const db = metadataDbPath(home) + suffix;
    check(
      db,
      suffix ? 'The metadata store file' : 'The metadata store',
      'credentials (tokens sealed), sources and run history',
      `chmod 600 ${shellQuote(db)}`,
    );
  }
  return out;
}

function shellQuote(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, "'\\''")}'`;
}
