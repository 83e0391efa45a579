import { existsSync, linkSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { SnagError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';
import type { Credential } from '../store/models.js';
import type { CredentialRepository, NotificationUrlEnvelope, WebhookSecretEnvelope } from '../store/repository.js';
import {
  encodeMasterKey,
  fsyncDir,
  generateMasterKey,
  keyFilePath,
  keyIdOf,
  listKeyFiles,
  loadKeyring,
  MASTER_KEY_ENV,
  newKeyFilePath,
  oldKeyFilePath,
  readKeyFile,
  safeUnlink,
  writeKeyFileExclusive,
  writePrivateFile,
  type MasterKey,
} from './keyfile.js';
import { openEnvelope, parseEnvelope, sealEnvelope } from './vault-envelope.js';

/**
 * Master key rotation: every envelope is re-sealed under a new key in ONE store transaction, and the new key is made
 * durable before that transaction commits.
 *
 * Key file (`<home>/master.key`). All file steps run inside the transaction, i.e. while this process holds the
 * store's write lock, so two rotations never interleave their file steps:
 *   1. re-seal every row (in the transaction, not yet visible)
 *   2. write master.key.new-<new> (0600, fsynced)
 *   3. hard-link master.key → master.key.old-<old>          (the old key now has a second name)
 *   4. rename master.key.new-<new> → master.key, fsync dir   (atomic switch)
 *   5. COMMIT
 *   6. delete master.key.old-* (no envelope uses them any more)
 * Crash points: before 5 the transaction is lost and the rows stay under the old key, which is still on disk (as
 * master.key before step 4, as master.key.old-<old> after it); the vault opens envelopes with either file, seals
 * under the store's key, and `rotate-key` run again finishes the job. Between 5 and 6 a harmless
 * master.key.old-* is left; the next rotation removes it. If the commit itself fails, step 4 is undone.
 *
 * Environment key (`SNAGSYNC_MASTER_KEY`): snagsync cannot change the variable, so it needs to be told where the new
 * key goes: `newKey` (the caller got it from somewhere safe), or `newKeyFile`, a path where it is written (0600,
 * must not exist) before the commit. After the rotation the user sets the variable to the new key; until then every
 * command reports a wrong key and names what to do.
 */
export interface RotateMasterKeyOptions {
  home: string;
  env?: NodeJS.ProcessEnv;
  store: Pick<CredentialRepository, 'rekey'>;
  /** The new key (32 bytes); default: a fresh random key. */
  newKey?: Buffer;
  /** Where to write the new key when the current one comes from SNAGSYNC_MASTER_KEY. */
  newKeyFile?: string;
  /** Called inside the transaction once the new key is in place, just before the commit (tests use it to crash). */
  beforeCommit?: () => void;
}

export interface RotateMasterKeyResult {
  source: 'env' | 'file';
  previousKeyIds: string[];
  newKeyId: string;
  /** Envelopes re-sealed. */
  resealed: number;
  /** Webhook secrets re-sealed (the URLs stay the same and can still be shown). */
  webhookSecretsResealed: number;
  /**
   * Webhook secrets left as they were because they are sealed with a key this process does not have (they could not
   * be shown before either): their sources' ids. Rotating such a source's webhook secret makes a new URL.
   */
  webhookSecretsUnreadable: string[];
  /** The key file now in use (file mode), or the file the new key was written to (env mode). */
  keyFile: string | null;
  /** What the user must do next, if anything (env mode). */
  nextStep: string | null;
}

export async function rotateMasterKey(options: RotateMasterKeyOptions): Promise<RotateMasterKeyResult> {
  const env = options.env ?? process.env;
  const home = options.home;
  let ring = loadKeyring(home, env);
  const newKey = options.newKey ?? generateMasterKey();
  if (newKey.length !== 32) throw new SnagError('vault', `The new master key must be 32 bytes, not ${newKey.length}.`);
  const next: MasterKey = { id: keyIdOf(newKey), key: newKey, source: ring.source, origin: 'new key' };
  if (ring.primary?.id === next.id) {
    throw new SnagError('vault', 'The new master key is the same as the current one.', {
      hint: 'Give a different key, or let snagsync generate one.',
    });
  }
  if (ring.source === 'env' && !options.newKey && !options.newKeyFile) {
    throw new SnagError('vault', `The master key comes from ${MASTER_KEY_ENV}, which snagsync cannot change.`, {
      hint: `Run again with --new-key-file PATH: the new key is written there (mode 0600) before anything changes; then set ${MASTER_KEY_ENV} to it and delete the file.`,
    });
  }
  if (options.newKeyFile && existsSync(options.newKeyFile)) {
    throw new SnagError(
      'vault',
      `${options.newKeyFile} already exists; snagsync will not overwrite a file with a key in it.`,
      {
        hint: 'Choose a path that does not exist yet (or remove that file if it holds nothing you need).',
      },
    );
  }

  const seen = new Set<string>();
  /** Finds the key of an envelope; re-reads the files once, in case another rotation committed meanwhile. */
  const keyFor = (keyId: string): MasterKey | undefined => {
    let k = ring.all.find((x) => x.id === keyId);
    if (!k) {
      ring = loadKeyring(home, env);
      k = ring.all.find((x) => x.id === keyId);
    }
    return k;
  };
  const reseal = (credential: Credential) => {
    const envelope = parseEnvelope(credential.token_envelope, credential.name);
    seen.add(envelope.keyId);
    if (envelope.keyId === next.id) return null;
    if (envelope.credentialId !== credential.id) {
      throw new SnagError(
        'vault',
        `Cannot rotate: the stored token of credential "${credential.name}" belongs to another credential.`,
        {
          hint: `Enter its token again first: snagsync credentials update "${credential.name}" --token-stdin`,
        },
      );
    }
    const key = keyFor(envelope.keyId);
    if (!key) {
      throw new SnagError(
        'vault',
        `Cannot rotate: the token of credential "${credential.name}" is sealed with key ${envelope.keyId}, which is not available.`,
        {
          hint: ring.primary
            ? `The current key is ${ring.primary.id}. Restore the right master key, or enter that token again, then rotate.`
            : `Restore master.key or set ${MASTER_KEY_ENV}, then rotate.`,
        },
      );
    }
    const token = openEnvelope(key, envelope, credential.name);
    return {
      token_envelope: sealEnvelope(next, credential.id, token),
      token_key_id: next.id,
      token_last4: credential.token_last4,
    };
  };

  /**
   * A secret sealed like a token but bound to another id (a webhook secret to its source, src/engine/webhooks/secret.ts;
   * a notification URL to its `ntf_` id, src/engine/notify/settings.ts), sealed again under the new key. Null when it
   * is already under the new key, or cannot be opened (bound elsewhere, its key gone, damaged): left as it is.
   */
  const resealSecret = (text: string, label: string, boundTo: (id: string) => boolean): string | null => {
    try {
      const envelope = parseEnvelope(text, label);
      if (envelope.keyId === next.id) return null;
      const key = boundTo(envelope.credentialId) ? keyFor(envelope.keyId) : undefined;
      if (!key) return null;
      const secret = openEnvelope(key, envelope, label);
      registerSecret(secret);
      return sealEnvelope(next, envelope.credentialId, secret);
    } catch {
      return null;
    }
  };

  let webhookSecretsResealed = 0;
  const webhookSecretsUnreadable: string[] = [];
  const resealWebhookSecret = (s: WebhookSecretEnvelope) => {
    const sealed = resealSecret(s.secret_envelope, s.source_id, (id) => id === s.source_id);
    if (sealed === null) {
      if (s.secret_key_id !== next.id) webhookSecretsUnreadable.push(s.source_id);
      return null;
    }
    webhookSecretsResealed++;
    return { secret_envelope: sealed, secret_key_id: next.id };
  };
  // An unreadable URL was unreadable before the rotation too: its deliveries say so; entering the URL again fixes it.
  const resealNotificationUrl = (n: NotificationUrlEnvelope) => {
    const sealed = resealSecret(n.url_envelope, n.scope, (id) => id.startsWith('ntf_'));
    return sealed === null ? null : { url_envelope: sealed, url_key_id: next.id };
  };

  const files = ring.source === 'file' ? new KeyFileSwitch(home, next) : null;
  let wroteNewKeyFile = false;
  let resealed: number;
  try {
    resealed = await options.store.rekey({
      reseal,
      resealWebhookSecret,
      resealNotificationUrl,
      beforeCommit: () => {
        if (files) files.install();
        else if (options.newKeyFile) {
          writePrivateFile(options.newKeyFile, `${encodeMasterKey(newKey)}\n`);
          wroteNewKeyFile = true;
          fsyncDir(options.newKeyFile);
        }
        options.beforeCommit?.();
      },
    });
  } catch (err) {
    files?.undo();
    if (wroteNewKeyFile && options.newKeyFile) safeUnlink(options.newKeyFile);
    throw err instanceof SnagError
      ? err
      : new SnagError('vault', 'The key rotation failed; nothing was changed.', {
          cause: err,
          hint: 'Fix the cause above and run it again.',
        });
  }
  files?.cleanup();

  return {
    source: ring.source,
    previousKeyIds: [...seen].filter((id) => id !== next.id).sort(),
    newKeyId: next.id,
    resealed,
    webhookSecretsResealed,
    webhookSecretsUnreadable,
    keyFile: files ? keyFilePath(home) : (options.newKeyFile ?? null),
    nextStep:
      ring.source === 'env'
        ? `Set ${MASTER_KEY_ENV} to the new key${options.newKeyFile ? ` (in ${options.newKeyFile}; delete that file afterwards)` : ''} everywhere snagsync runs: the stored tokens now need it.`
        : null,
  };
}

/** Steps 2–4 and 6 of the file-mode rotation, with an undo for a failed commit. */
class KeyFileSwitch {
  private oldPath: string | null = null;
  private installed = false;

  constructor(
    private readonly home: string,
    private readonly next: MasterKey,
  ) {}

  install(): void {
    const keyPath = keyFilePath(this.home);
    // Leftovers of an interrupted rotation: nobody else can be rotating now (we hold the store's write lock).
    for (const name of listKeyFiles(this.home, 'new')) safeUnlink(join(this.home, name));
    const current = readKeyFile(keyPath);
    if (!current) {
      // No key yet (empty store): simply create it.
      if (!writeKeyFileExclusive(keyPath, this.next.key))
        throw new SnagError('vault', `${keyPath} appeared during the rotation; run it again.`);
      this.installed = true;
      return;
    }
    const newPath = newKeyFilePath(this.home, this.next.id);
    writePrivateFile(newPath, `${encodeMasterKey(this.next.key)}\n`);
    const oldPath = oldKeyFilePath(this.home, current.id);
    try {
      linkSync(keyPath, oldPath);
    } catch (err) {
      if (
        (err as NodeJS.ErrnoException).code !== 'EEXIST' ||
        readFileSync(oldPath, 'utf8').trim() !== encodeMasterKey(current.key)
      ) {
        safeUnlink(newPath);
        throw err;
      }
    }
    this.oldPath = oldPath;
    renameSync(newPath, keyPath);
    fsyncDir(keyPath);
    this.installed = true;
  }

  /**
   * The transaction did not commit: put the old key back as master.key. Best effort — if this fails too, the old key
   * is still on disk as master.key.old-<id>, which the vault reads, so nothing becomes unreadable.
   */
  undo(): void {
    try {
      if (!this.installed) {
        for (const name of listKeyFiles(this.home, 'new')) safeUnlink(join(this.home, name));
        return;
      }
      if (this.oldPath) {
        renameSync(this.oldPath, keyFilePath(this.home));
        fsyncDir(this.oldPath);
      } else {
        safeUnlink(keyFilePath(this.home));
      }
    } catch {
      // see above
    }
  }

  /** After the commit no envelope uses an old key: remove every master.key.old-* file. */
  cleanup(): void {
    for (const name of listKeyFiles(this.home, 'old')) safeUnlink(join(this.home, name));
    fsyncDir(keyFilePath(this.home));
  }
}
