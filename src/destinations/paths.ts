import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { SnagError } from '../core/errors.js';
import type { DestinationTarget } from './url.js';

/**
 * Where a local destination (a SQLite file, a JSONL folder) may live, and how its files are created.
 *
 * Refused, with the reason:
 * - the snagsync home itself and its own files (the metadata store, its WAL, shared-memory and journal files, the
 *   master key and its rotation files), by name, through a symbolic link, or under another name: a hard link is the
 *   same file (same device and inode), and SQLite opening it under a second name keeps a second WAL beside it, which
 *   damages the store ("disk I/O error"). Stream tables written into the store, or JSONL files into the home, would
 *   mix synced data with credentials;
 * - special files (`/dev/null`, `/proc/self/mem`, a socket, a FIFO) and the kernel's folders;
 * - SQLite's `:memory:` (it would become a file named `:memory:`, and an in-memory database would lose everything at
 *   the end of the sync anyway);
 * - system trees, anything under them: `/etc`, `/bin`, `/sbin`, `/lib*`, `/boot`, `/run`, `/var/run`, `/var/log`
 *   and the system parts of `/usr` (not `/usr/local` or `/usr/src`, which hold users' own files);
 * - the folders that only hold other folders: nothing is written straight into `/`, `/usr`, `/var` or `/home`, though
 *   their sub-folders may be anyone's (`/usr/local/…`, `/var/lib/…`, `/home/alice/…`);
 * - `/root`, the superuser's home, unless it is the user's own home (`HOME=/root`) or holds the snagsync home: then
 *   it is like any home;
 * - a home folder itself as a JSONL folder (`jsonl:~`, `jsonl:/root`, `jsonl:/home/alice`): a JSONL destination
 *   fills its folder with one file per stream and a state file; a SQLite file directly in a home is fine.
 * Temporary folders (`/tmp/…`) are ordinary folders: the tests and the demo write there.
 *
 * Created files are readable by their owner only (0600, folders 0700): events carry user emails and IP addresses.
 * `SNAGSYNC_DATA_MODE=0640` (an octal file mode) widens that for installs whose readers run as another user.
 */
export const DATA_MODE_ENV = 'SNAGSYNC_DATA_MODE';

const KERNEL_DIRS = ['/dev', '/proc', '/sys'];
// Not all of /usr: /usr/local and /usr/src (a common working folder in containers) hold users' own files.
const SYSTEM_DIRS = [
  '/etc',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/boot',
  '/run',
  '/var/run',
  '/var/log',
  '/usr/bin',
  '/usr/sbin',
  '/usr/lib',
  '/usr/lib32',
  '/usr/lib64',
  '/usr/libexec',
  '/usr/include',
  '/usr/share',
];
// Nothing is written straight into these; their sub-folders are the system's or anyone's (see above).
const PARENT_DIRS = [sep, '/usr', '/var', '/home'];
const SUPERUSER_HOME = '/root';
const SQLITE_SIBLINGS = ['-wal', '-shm', '-journal'];
/** The home's own files: the store and its siblings (and copies beside it: snagsync.db.bak), the key and its rotation files. */
const isHomeFile = (name: string) => name.startsWith('snagsync.db') || name.startsWith('master.key');

export interface DestinationPathOptions {
  /** The snagsync home: refused as a destination, and so are its own files. */
  home?: string;
  /** The user's own home folder (default: `os.homedir()`, i.e. HOME): `/root` is refused unless it is this one. */
  userHome?: string;
}

/** Throws SnagError('config', field destination) when a local destination would be somewhere it must not be. */
export function checkDestinationPath(target: DestinationTarget, options: DestinationPathOptions = {}): void {
  if (target.kind === 'postgres') return;
  const path = target.kind === 'sqlite' ? target.path : target.dir;
  const what = target.kind === 'sqlite' ? 'SQLite file' : 'JSONL folder';
  if (target.kind === 'sqlite' && basename(path).startsWith(':memory:')) {
    throw refused(
      path,
      'sqlite::memory: is not a place to sync to: SQLite would create a file named ":memory:", and an in-memory database would lose every record when the sync ends.',
      'Give a file path, e.g. sqlite:./bugsnag.db.',
    );
  }
  const real = realish(path);
  for (const dir of KERNEL_DIRS) {
    if (within(real, dir) || within(path, dir)) {
      throw refused(
        path,
        `${path} is under ${dir}, the kernel's own files, not a place for a ${what}.`,
        'Give a path in a folder of yours.',
      );
    }
  }
  const st = statOrNull(real);
  if (st && target.kind === 'sqlite' && !st.isFile()) {
    throw unusable(
      path,
      st.isDirectory()
        ? `${path} is a folder, not a SQLite file.`
        : `${path} is a special file (${kindOf(st)}), not a SQLite file.`,
      st.isDirectory()
        ? `Name a file inside it, e.g. sqlite:${join(path, 'bugsnag.db')}.`
        : 'Give the path of a regular file (it is created if missing).',
    );
  }
  if (st && target.kind === 'jsonl' && !st.isDirectory()) {
    throw unusable(
      path,
      `${path} is ${st.isFile() ? 'a file' : `a special file (${kindOf(st)})`}, not a folder for JSONL files.`,
      'Give a folder path (it is created if missing).',
    );
  }
  if (options.home) {
    const home = realish(resolve(options.home));
    if (real === home) {
      throw refused(
        path,
        `${path} is the snagsync home folder, which holds the metadata store and the master key: synced data does not go there.`,
        target.kind === 'jsonl'
          ? `Use a folder of its own, e.g. jsonl:${join(options.home, 'data')}.`
          : `Name a file, e.g. sqlite:${join(options.home, 'bugsnag.db')}.`,
      );
    }
    if (dirname(real) === home && isHomeFile(basename(real))) {
      throw refused(
        path,
        `${path} is snagsync's own ${ownFile(basename(real))}: stream tables must not be written into it.`,
        `Use another file, e.g. sqlite:${join(options.home, 'bugsnag.db')} (the default).`,
      );
    }
    checkNotHomeFileUnderAnotherName(target, path, options.home, home);
  }
  if (real === sep || path === sep)
    throw refused(path, `The root folder is not a place for a ${what}.`, 'Give a path in a folder of yours.');
  for (const dir of SYSTEM_DIRS) {
    if (within(real, dir) || within(path, dir)) {
      throw refused(
        path,
        `${path} is under ${dir}, a system folder: synced data has no business there.`,
        'Give a path in a folder of yours, e.g. under your home or /var/lib.',
      );
    }
  }
  const writtenInto = target.kind === 'jsonl' ? real : dirname(real);
  if (PARENT_DIRS.includes(writtenInto)) {
    throw refused(
      path,
      `${path} would put ${target.kind === 'jsonl' ? 'JSONL files' : 'a SQLite file'} straight into ${writtenInto === sep ? 'the root folder' : writtenInto}, which holds the system's folders or other people's: synced data goes into a folder of its own.`,
      `Give a path in a folder of yours, e.g. ${target.kind === 'jsonl' ? `jsonl:${join(writtenInto, 'bugsnag-data')}` : 'under your home or /var/lib'}.`,
    );
  }
  const userHome = ownHome(options.userHome);
  // /root is yours when HOME is /root, or when the snagsync home (where the default destination lives) is in it.
  const rootIsYours = [userHome, options.home ? realish(resolve(options.home)) : null].some(
    (h) => h !== null && within(h, SUPERUSER_HOME),
  );
  if ((within(real, SUPERUSER_HOME) || within(path, SUPERUSER_HOME)) && !rootIsYours) {
    throw refused(
      path,
      `${path} is under ${SUPERUSER_HOME}, the superuser's home folder${userHome ? `, and your home is ${userHome}` : ''}: synced data has no business there.`,
      `Give a path in a folder of yours${userHome ? `, e.g. under ${userHome}` : ''}.`,
    );
  }
  if (target.kind === 'jsonl' && (real === userHome || real === SUPERUSER_HOME || dirname(real) === '/home')) {
    throw refused(
      path,
      `${path} is a home folder: a JSONL destination fills its folder with one file per stream and a state file of its own.`,
      `Give it a folder of its own, e.g. jsonl:${join(path, 'bugsnag-data')}.`,
    );
  }
}

function ownFile(name: string): string {
  return name.startsWith('master.key') ? 'master key' : 'metadata store';
}

/** The user's home, resolved; null when there is none worth the name (unset, or `/`). */
function ownHome(given: string | undefined): string | null {
  let raw = given;
  if (raw === undefined) {
    try {
      raw = homedir();
    } catch {
      return null;
    }
  }
  if (!raw) return null;
  const real = realish(resolve(raw));
  return real === sep ? null : real;
}

/**
 * The same file under another name: a hard link to the store (or to its WAL, its key…) has another path but the same
 * device and inode, and so has a symbolic link to one. SQLite would open it under the destination's name, beside a
 * WAL of its own — two writers, each unaware of the other's log: the store is damaged. Compared for the SQLite file and
 * the siblings SQLite makes beside it, or for the JSONL folder and the files already in it.
 */
function checkNotHomeFileUnderAnotherName(target: DestinationTarget, path: string, home: string, realHome: string) {
  if (target.kind === 'postgres') return;
  const own = new Map<string, string>();
  const homeDir = identityOf(realHome);
  if (!homeDir) return;
  own.set(homeDir, 'the snagsync home folder');
  let names: string[] = [];
  try {
    names = readdirSync(realHome).filter(isHomeFile);
  } catch {
    return;
  }
  for (const name of names) {
    const id = identityOf(join(realHome, name));
    if (id) own.set(id, `snagsync's own ${ownFile(name)} (${join(home, name)})`);
  }
  const candidates =
    target.kind === 'sqlite'
      ? [target.path, ...SQLITE_SIBLINGS.map((s) => target.path + s)]
      : [target.dir, ...filesIn(target.dir)];
  for (const candidate of candidates) {
    const id = identityOf(candidate);
    const which = id && own.get(id);
    if (!which) continue;
    const as = candidate === path ? path : `${candidate}, beside ${path},`;
    throw refused(
      path,
      `${as} is ${which} under another name (a hard link or a link to it): ${target.kind === 'sqlite' ? 'SQLite would open it as a second database and damage the store' : 'synced data would be written into it'}.`,
      target.kind === 'sqlite'
        ? `Give the path of a file of its own, e.g. sqlite:${join(home, 'bugsnag.db')} (the default).`
        : 'Give a folder of its own.',
    );
  }
}

/** `dev:ino` of what a path leads to (symbolic links followed); null when nothing is there. */
function identityOf(path: string): string | null {
  try {
    const st = statSync(path, { bigint: true });
    return `${st.dev}:${st.ino}`;
  } catch {
    return null;
  }
}

function filesIn(dir: string): string[] {
  try {
    return readdirSync(dir).map((name) => join(dir, name));
  } catch {
    return [];
  }
}

/** File and folder modes for destination data: 0600/0700, or SNAGSYNC_DATA_MODE (files) with matching folders. */
export function dataModes(env: NodeJS.ProcessEnv = process.env): { file: number; dir: number } {
  const raw = env[DATA_MODE_ENV]?.trim();
  if (!raw) return { file: 0o600, dir: 0o700 };
  if (!/^0?[0-7]{3}$/.test(raw)) {
    throw new SnagError('config', `${DATA_MODE_ENV}=${raw} is not a file mode.`, {
      hint: `Give an octal mode such as 0600 (owner only, the default) or 0640 (owner and group can read).`,
      details: { field: 'destination' },
    });
  }
  const file = parseInt(raw, 8) & 0o666;
  // A folder gets the execute bit wherever its files are readable.
  const dir = file | ((file & 0o444) >> 2);
  return { file, dir };
}

/** Creates the folders of a destination path with the data folder mode (existing folders keep theirs). */
export function makeDataDir(dir: string, env: NodeJS.ProcessEnv = process.env): void {
  try {
    mkdirSync(dir, { recursive: true, mode: dataModes(env).dir });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      const file = firstFileOnPath(dir);
      throw unusable(
        dir,
        `Cannot create the folder ${dir}: ${file ?? 'part of that path'} is a file, not a folder.`,
        'Give a path whose folders are folders (or remove the file in the way).',
      );
    }
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw unusable(
        dir,
        `Cannot create the folder ${dir}: permission denied.`,
        'Give a path in a folder you can write.',
      );
    }
    throw err;
  }
}

function firstFileOnPath(dir: string): string | null {
  let p = resolve(dir);
  const chain: string[] = [];
  for (;;) {
    chain.unshift(p);
    const parent = dirname(p);
    if (parent === p) break;
    p = parent;
  }
  for (const one of chain) {
    const st = statOrNull(one);
    if (st && !st.isDirectory()) return one;
  }
  return null;
}

/** Creates an empty file with the data file mode if it does not exist (an existing file keeps its mode). */
export function createDataFile(path: string, env: NodeJS.ProcessEnv = process.env): void {
  closeSync(openSync(path, 'a', dataModes(env).file));
}

/** A place snagsync will not write to on principle: a configuration error (exit 3). */
function refused(path: string, message: string, hint: string): SnagError {
  return new SnagError('config', message, { hint, details: { field: 'destination', path } });
}

/** A path that cannot hold the destination as things are on disk (a folder where a file must be…): exit 7. */
function unusable(path: string, message: string, hint: string): SnagError {
  return new SnagError('destination', message, { hint, details: { field: 'destination', location: path } });
}

function within(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir + sep);
}

/** The real path of what exists of `path` (symlinks resolved), with the missing tail appended. */
function realish(path: string): string {
  let head = resolve(path);
  const tail: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(head), ...tail);
    } catch {
      const parent = dirname(head);
      if (parent === head) return resolve(path);
      tail.unshift(basename(head));
      head = parent;
    }
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

function kindOf(st: Stats): string {
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}
