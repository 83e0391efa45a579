import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { SnagError } from '../core/errors.js';
import { fsyncDirectory } from '../core/fs.js';

/**
 * Master keys: where they come from (SNAGSYNC_MASTER_KEY, or `<home>/master.key`), their ids, and the key files.
 *
 * Files in the home folder (all mode 0600):
 *   master.key              the current key: base64 of 32 random bytes and a newline
 *   master.key.old-<keyid>  the previous key, present only while a rotation is in progress (or was interrupted)
 *   master.key.new-<keyid>  the next key, written during a rotation just before it replaces master.key
 */
export const MASTER_KEY_ENV = 'SNAGSYNC_MASTER_KEY';
export const KEY_FILE = 'master.key';
export const KEY_BYTES = 32;
export const GENERATE_HINT = 'Generate one with: openssl rand -base64 32';

export interface MasterKey {
  /** Short hash of the key: names the key in envelopes and messages without revealing it. */
  id: string;
  key: Buffer;
  source: 'env' | 'file';
  /** `SNAGSYNC_MASTER_KEY` or the file's path — for messages. */
  origin: string;
}

export interface Keyring {
  source: 'env' | 'file';
  /** The key new envelopes are sealed with; null when there is none yet (file mode, before first use). */
  primary: MasterKey | null;
  /** Every key that may open an envelope: the primary, plus leftover `master.key.old-*` files in file mode. */
  all: MasterKey[];
}

export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('snagsync master key id\0').update(key).digest('hex').slice(0, 16);
}

export function generateMasterKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

export function encodeMasterKey(key: Buffer): string {
  return key.toString('base64');
}

export function keyFilePath(home: string): string {
  return join(home, KEY_FILE);
}

export function oldKeyFilePath(home: string, keyId: string): string {
  return join(home, `${KEY_FILE}.old-${keyId}`);
}

export function newKeyFilePath(home: string, keyId: string): string {
  return join(home, `${KEY_FILE}.new-${keyId}`);
}

/**
 * Decodes a master key given as base64 (standard or URL-safe, padding optional). Anything that is not exactly 32
 * bytes is refused — a short key would silently weaken the encryption. The value itself never appears in the error.
 */
export function parseMasterKey(text: string, origin: string): Buffer {
  const s = text.trim();
  const fromEnv = origin === MASTER_KEY_ENV;
  const what = fromEnv
    ? `${MASTER_KEY_ENV} is not a valid master key`
    : `The key file ${origin} does not hold a valid master key`;
  const hint = fromEnv
    ? `Set it to the base64 encoding of exactly ${KEY_BYTES} random bytes. ${GENERATE_HINT}. Keep it safe: the stored tokens cannot be read without it.`
    : `Restore ${origin} from your backup, or set ${MASTER_KEY_ENV}. If the key is lost, the stored tokens must be entered again.`;
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) {
    throw new SnagError('vault', `${what}: it is not base64 text.`, { hint });
  }
  const key = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length !== KEY_BYTES) {
    throw new SnagError('vault', `${what}: it decodes to ${key.length} bytes; exactly ${KEY_BYTES} are needed.`, {
      hint,
    });
  }
  return key;
}

/** The key from the environment, or undefined when the variable is unset or empty. */
export function envMasterKey(env: NodeJS.ProcessEnv): MasterKey | undefined {
  const raw = env[MASTER_KEY_ENV];
  if (raw === undefined || raw.trim() === '') return undefined;
  const key = parseMasterKey(raw, MASTER_KEY_ENV);
  return { id: keyIdOf(key), key, source: 'env', origin: MASTER_KEY_ENV };
}

/** Reads a key file; null when it does not exist. Refuses a file other users can read (like ssh does). */
export function readKeyFile(path: string): MasterKey | null {
  let text: string;
  try {
    const st = statSync(path);
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      throw new SnagError(
        'vault',
        `The key file ${path} can be read by other users (mode ${(st.mode & 0o777).toString(8)}).`,
        {
          hint: `Anyone who can read it can decrypt your tokens. Run: chmod 600 ${path}`,
        },
      );
    }
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof SnagError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SnagError('vault', `Cannot read the key file ${path}.`, {
      cause: err,
      hint: 'Check that it belongs to you and is readable.',
    });
  }
  const key = parseMasterKey(text, path);
  return { id: keyIdOf(key), key, source: 'file', origin: path };
}

/** The keys available in `home` (and the environment): see Keyring. Never creates anything. */
export function loadKeyring(home: string, env: NodeJS.ProcessEnv): Keyring {
  const fromEnv = envMasterKey(env);
  // An explicit key in the environment is the only key: silently falling back to a file would hide a mistake.
  if (fromEnv) return { source: 'env', primary: fromEnv, all: [fromEnv] };
  const primary = readKeyFile(keyFilePath(home));
  const all = primary ? [primary] : [];
  for (const name of listKeyFiles(home, 'old')) {
    const old = readKeyFile(join(home, name));
    if (old && !all.some((k) => k.id === old.id)) all.push(old);
  }
  return { source: 'file', primary, all };
}

/** Names of `master.key.old-*` or `master.key.new-*` files in `home`. */
export function listKeyFiles(home: string, kind: 'old' | 'new'): string[] {
  try {
    return readdirSync(home).filter((n) => n.startsWith(`${KEY_FILE}.${kind}-`));
  } catch {
    return [];
  }
}

/**
 * Writes `key` to `path` only if no file exists there, atomically and race-free: the content goes to a private temp
 * file first (0600, fsynced), which is then hard-linked to `path` — link(2) fails if `path` exists, so of two
 * processes starting at once exactly one wins and the other reads the winner's complete file, never a half-written
 * one. Returns false when `path` already existed.
 */
export function writeKeyFileExclusive(path: string, key: Buffer): boolean {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    writePrivateFile(tmp, `${encodeMasterKey(key)}\n`);
  } catch (err) {
    safeUnlink(tmp);
    throw keyWriteError(path, err);
  }
  try {
    linkSync(tmp, path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // File systems without hard links: fall back to O_EXCL on the final name (exclusive, but not all-or-nothing).
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
      try {
        writePrivateFile(path, `${encodeMasterKey(key)}\n`);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw keyWriteError(path, e);
      }
      fsyncDir(path);
      return true;
    }
    throw keyWriteError(path, err);
  } finally {
    safeUnlink(tmp);
  }
  fsyncDir(path);
  return true;
}

/** Creates `path` (must not exist) with mode 0600 and `content`, fsynced. */
export function writePrivateFile(path: string, content: string): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    const buf = Buffer.from(content, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes a rename or link durable: fsyncs the folder that holds `pathInDir`. */
export function fsyncDir(pathInDir: string): void {
  fsyncDirectory(dirname(pathInDir));
}

export function safeUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function keyWriteError(path: string, cause: unknown): SnagError {
  return new SnagError('vault', `Cannot write the master key file ${path}.`, {
    cause,
    hint: `Check that the snagsync home folder is writable, or set ${MASTER_KEY_ENV}. ${GENERATE_HINT}.`,
  });
}
