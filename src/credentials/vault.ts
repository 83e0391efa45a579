import { SnagError } from '../core/errors.js';
import { last4, registerSecret } from '../core/redact.js';
import { ensureHome } from '../store/home.js';
import type { SealedTokenFields } from '../store/models.js';
import type { CredentialRepository } from '../store/repository.js';
import {
  generateMasterKey,
  keyFilePath,
  listKeyFiles,
  loadKeyring,
  MASTER_KEY_ENV,
  writeKeyFileExclusive,
  type Keyring,
  type MasterKey,
} from './keyfile.js';
import { openEnvelope, parseEnvelope, sealEnvelope, serverReenter } from './vault-envelope.js';

export { ENVELOPE_PREFIX, ENVELOPE_VERSION } from './vault-envelope.js';
export { MASTER_KEY_ENV, KEY_FILE, generateMasterKey, encodeMasterKey, keyIdOf, parseMasterKey } from './keyfile.js';
export { rotateMasterKey, type RotateMasterKeyOptions, type RotateMasterKeyResult } from './vault-rotate.js';

/**
 * The vault seals credential tokens for the metadata store and opens them again (see vault-envelope.ts for the
 * format, keyfile.ts for where the master key comes from, vault-rotate.ts for key rotation).
 *
 * Keys are read afresh on every call: sealing and opening are rare (once per command or run), and a process that
 * lives across a key rotation (`serve`) then never works with a stale key.
 */
export interface VaultOptions {
  home: string;
  env?: NodeJS.ProcessEnv;
  /**
   * The store whose envelopes this vault serves. With it, the vault refuses to invent a new master key while sealed
   * tokens exist (the key is missing, not new), and seals under the key the store already uses.
   */
  store?: Pick<CredentialRepository, 'keyIdsInUse'>;
}

export interface VaultStatus {
  source: 'env' | 'file';
  /** The current key's id; null when no key exists yet. */
  keyId: string | null;
  keyFile: string | null;
  /** Keys of the store's envelopes (when a store was given). */
  keyIdsInUse: string[];
  /** Leftovers of an interrupted rotation (`master.key.old-*`, `master.key.new-*`). */
  leftoverKeyFiles: string[];
}

export interface SealableCredential {
  id: string;
  name?: string;
  token_envelope: string;
}

export class Vault {
  private readonly home: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly store: VaultOptions['store'];

  constructor(options: VaultOptions) {
    this.home = options.home;
    this.env = options.env ?? process.env;
    this.store = options.store;
  }

  /**
   * Seals `token` for the credential `credentialId` (the envelope only opens for that id). Creates the key file on
   * first use. Returns the fields to store, including `token_last4` for display.
   */
  async seal(credentialId: string, token: string): Promise<SealedTokenFields> {
    if (typeof token !== 'string' || token === '')
      throw new SnagError('config', 'The token is empty.', { hint: 'Paste the whole Personal Auth Token.' });
    registerSecret(token);
    const inUse = this.store ? await this.store.keyIdsInUse() : [];
    let ring = loadKeyring(this.home, this.env);
    if (!ring.primary) {
      if (inUse.length > 0) throw this.missingKey(inUse);
      ensureHome(this.home);
      writeKeyFileExclusive(keyFilePath(this.home), generateMasterKey());
      ring = loadKeyring(this.home, this.env);
    }
    const key = this.sealingKey(ring, inUse);
    return { token_envelope: sealEnvelope(key, credentialId, token), token_key_id: key.id, token_last4: last4(token) };
  }

  /** Opens a credential's envelope; the token is registered as a secret before it is returned. */
  async unseal(credential: SealableCredential): Promise<string> {
    const name = credential.name ?? credential.id;
    const envelope = parseEnvelope(credential.token_envelope, name);
    if (envelope.credentialId !== credential.id) {
      throw new SnagError(
        'vault',
        `The stored token of credential "${name}" belongs to another credential (${envelope.credentialId}).`,
        {
          hint: `It was copied from another row, which snagsync refuses. Enter the token again: snagsync credentials update "${name}" --token-stdin`,
          serverHint: `It was copied from another row, which snagsync refuses. ${serverReenter(name)}`,
        },
      );
    }
    const ring = loadKeyring(this.home, this.env);
    const key = ring.all.find((k) => k.id === envelope.keyId);
    if (!key) throw ring.primary ? this.wrongKey(ring, [envelope.keyId]) : this.missingKey([envelope.keyId]);
    const token = openEnvelope(key, envelope, name);
    registerSecret(token);
    return token;
  }

  /** Where the key comes from and whether a rotation left files behind — for `credentials rotate-key` and diagnostics. */
  async status(): Promise<VaultStatus> {
    const ring = loadKeyring(this.home, this.env);
    return {
      source: ring.source,
      keyId: ring.primary?.id ?? null,
      keyFile: ring.source === 'file' ? keyFilePath(this.home) : null,
      keyIdsInUse: this.store ? await this.store.keyIdsInUse() : [],
      leftoverKeyFiles: [...listKeyFiles(this.home, 'old'), ...listKeyFiles(this.home, 'new')],
    };
  }

  /**
   * The store's key when the keyring has it (normally the primary; the previous key after an interrupted rotation,
   * so that the store never mixes keys), else the primary for an empty store.
   */
  private sealingKey(ring: Keyring, inUse: string[]): MasterKey {
    if (inUse.length === 0 || !ring.primary) return ring.primary ?? this.fail();
    if (inUse.includes(ring.primary.id)) return ring.primary;
    const known = ring.all.find((k) => inUse.includes(k.id));
    if (known) return known;
    throw this.wrongKey(ring, inUse);
  }

  private fail(): never {
    throw new SnagError('internal', 'No master key after creating one.');
  }

  private missingKey(keyIds: string[]): SnagError {
    return new SnagError(
      'vault',
      `No master key: ${MASTER_KEY_ENV} is not set and ${keyFilePath(this.home)} does not exist, but stored tokens are sealed with key ${keyIds.join(', ')}.`,
      {
        hint: `Restore master.key into ${this.home} from your backup, or set ${MASTER_KEY_ENV} to the key. If the key is lost, enter each token again (snagsync credentials update NAME --token-stdin).`,
        serverHint: `Restore master.key into ${this.home} from your backup, or start the server with ${MASTER_KEY_ENV} set to the key. If the key is lost, enter each token again ("Replace token" on each credential's tile).`,
        details: { key_ids_in_use: keyIds },
      },
    );
  }

  private wrongKey(ring: Keyring, keyIds: string[]): SnagError {
    const current = ring.primary!;
    const from = current.source === 'env' ? MASTER_KEY_ENV : current.origin;
    // Named as the cause, not as a symptom: with a shared (PostgreSQL) store this is the one machine of the cluster
    // that was given another key than the others.
    return new SnagError(
      'vault',
      `Wrong master key: this store's tokens were sealed with another master key (key id ${keyIds.join(', ')}), but the key from ${from} is ${current.id}.`,
      {
        hint:
          (current.source === 'env'
            ? `Set ${MASTER_KEY_ENV} to the key these tokens were sealed with. If you just ran \`snagsync credentials rotate-key\`, use the new key it wrote out.`
            : `Restore the master.key that belongs to this store from your backup, or set ${MASTER_KEY_ENV} to it. If that key is lost, enter each token again (snagsync credentials update NAME --token-stdin).`) +
          ' Every process that shares a store needs the same master key.',
        serverHint: `Start the server with ${MASTER_KEY_ENV} set to the key these tokens were sealed with (or restore the master.key that belongs to this store). If that key is lost, enter each token again ("Replace token" on each credential's tile). Every process that shares a store needs the same master key.`,
        details: { key_id: current.id, key_ids_in_use: keyIds },
      },
    );
  }
}

export function createVault(options: VaultOptions): Vault {
  return new Vault(options);
}
