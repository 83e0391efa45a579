import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SnagError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';

/**
 * The server's API key: what scripts send in a header and what a person types on the login page. It comes from
 * SNAGSYNC_SERVER_KEY, or from `<home>/server.key` (mode 0600), generated on the first start and printed once.
 */
export const SERVER_KEY_ENV = 'SNAGSYNC_SERVER_KEY';
export const SERVER_KEY_FILE = 'server.key';
/** A key shorter than this is refused: it is the only thing between the network and every stored token. */
export const MIN_KEY_LENGTH = 16;

export interface ServerKey {
  key: string;
  /** env: SNAGSYNC_SERVER_KEY; file: read from the key file; generated: created now (print it once). */
  source: 'env' | 'file' | 'generated';
  /** The key file (also when the key comes from the environment: where it would be). */
  file: string;
}

export function serverKeyPath(home: string): string {
  return join(home, SERVER_KEY_FILE);
}

/** Reads (or, when allowed, creates) the key. Throws SnagError('config') with what to do when it cannot. */
export function resolveServerKey(options: { env: NodeJS.ProcessEnv; home: string; generate: boolean }): ServerKey {
  const file = serverKeyPath(options.home);
  const fromEnv = options.env[SERVER_KEY_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    const key = checkKey(fromEnv.trim(), SERVER_KEY_ENV);
    return { key, source: 'env', file };
  }
  const existing = readKeyFile(file);
  if (existing !== null) return { key: checkKey(existing, file), source: 'file', file };
  if (!options.generate) {
    throw new SnagError('config', `No server key: ${SERVER_KEY_ENV} is not set and ${file} does not exist.`, {
      hint: `Set ${SERVER_KEY_ENV} to a long random value (e.g. openssl rand -base64 32), or start snagsync serve once on 127.0.0.1 to generate ${file}.`,
    });
  }
  const key = `ssk_${randomBytes(32).toString('base64url')}`;
  registerSecret(key);
  if (writeKeyFile(file, key)) return { key, source: 'generated', file };
  // Another process created it a moment ago: use theirs.
  return { key: checkKey(readKeyFile(file) ?? '', file), source: 'file', file };
}

function checkKey(key: string, origin: string): string {
  registerSecret(key);
  if (key.length < MIN_KEY_LENGTH || /\s/.test(key)) {
    throw new SnagError(
      'config',
      `The server key in ${origin} is too weak: it needs at least ${MIN_KEY_LENGTH} characters and no spaces.`,
      {
        hint: 'Use a long random value, e.g. openssl rand -base64 32.',
      },
    );
  }
  return key;
}

function readKeyFile(file: string): string | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SnagError('config', `Cannot read the server key file ${file}.`, {
      cause: err,
      hint: 'Check its permissions.',
    });
  }
  if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) {
    throw new SnagError('config', `The server key file ${file} can be read by other users.`, {
      hint: `Make it private: chmod 600 ${file}`,
    });
  }
  return text.trim();
}

/** False when the file appeared meanwhile. */
function writeKeyFile(file: string, key: string): boolean {
  // 'wx': never overwrite a key another process wrote a moment ago.
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new SnagError('config', `Cannot write the server key file ${file}.`, {
      cause: err,
      hint: 'Check the permissions of the snagsync home.',
    });
  }
  try {
    writeSync(fd, `${key}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Constant-time comparison (of digests, so lengths leak nothing either). */
export function keysMatch(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
