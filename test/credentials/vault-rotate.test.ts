import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSnagError, SnagError } from '../../src/core/errors.js';
import { createVault, encodeMasterKey, generateMasterKey, keyIdOf, type Vault } from '../../src/credentials/vault.js';
import { rotateMasterKey } from '../../src/credentials/vault-rotate.js';
import { newCredentialId, openStore, type Store } from '../../src/store/index.js';
import { forkTs } from '../store/fork-helper.js';
import { tempDir } from '../store/helpers.js';

const TOKENS = ['rot-token-aaaaaaaaaaaaaaaa01', 'rot-token-bbbbbbbbbbbbbbbb02', 'rot-token-cccccccccccccccc03'];

async function addCredentials(store: Store, vault: Vault, tokens = TOKENS): Promise<void> {
  for (const [i, token] of tokens.entries()) {
    const id = newCredentialId();
    await store.credentials.create({
      id,
      name: `cred-${i}-${Math.random()}`,
      host: 'https://api.bugsnag.com',
      verified_status: 'VERIFIED',
      ...(await vault.seal(id, token)),
    });
  }
}

async function decryptAll(store: Store, vault: Vault): Promise<string[]> {
  const out: string[] = [];
  for (const c of await store.credentials.list()) out.push(await vault.unseal(c));
  return out.sort();
}

const keyFileId = (home: string) =>
  keyIdOf(Buffer.from(readFileSync(join(home, 'master.key'), 'utf8').trim(), 'base64'));

describe('master key rotation (key file)', () => {
  let t: ReturnType<typeof tempDir>;
  let store: Store;
  let vault: Vault;
  beforeEach(async () => {
    t = tempDir();
    store = openStore({ home: t.dir });
    vault = createVault({ home: t.dir, env: {}, store: store.credentials });
    await addCredentials(store, vault);
  });
  afterEach(async () => {
    await store.close();
    t.cleanup();
  });

  it('re-seals every credential under a new key and leaves only the new key file', async () => {
    const before = keyFileId(t.dir);
    const result = await rotateMasterKey({ home: t.dir, env: {}, store: store.credentials });
    expect(result).toMatchObject({ source: 'file', previousKeyIds: [before], resealed: 3, nextStep: null });
    expect(result.newKeyId).not.toBe(before);
    expect(keyFileId(t.dir)).toBe(result.newKeyId);
    expect(statSync(join(t.dir, 'master.key')).mode & 0o777).toBe(0o600);
    expect(readdirSync(t.dir).filter((f) => f.startsWith('master.key'))).toEqual(['master.key']);
    expect(await store.credentials.keyIdsInUse()).toEqual([result.newKeyId]);
    expect(await decryptAll(store, vault)).toEqual([...TOKENS].sort());
    // New credentials go under the new key.
    await addCredentials(store, vault, ['after-rotation-token-zzzzzz']);
    expect(await store.credentials.keyIdsInUse()).toEqual([result.newKeyId]);
  });

  it('a failure inside the transaction (re-sealing) changes nothing', async () => {
    const before = keyFileId(t.dir);
    const envelopes = (await store.credentials.list()).map((c) => c.token_envelope);
    let calls = 0;
    const failing = {
      rekey: (plan: Parameters<Store['credentials']['rekey']>[0]) =>
        store.credentials.rekey({
          ...plan,
          reseal: (c) => {
            if (++calls === 2) throw new Error('simulated crash while re-sealing');
            return plan.reseal(c);
          },
        }),
    };
    const err = await rotateMasterKey({ home: t.dir, env: {}, store: failing }).catch((e: unknown) => e);
    expect(isSnagError(err, 'vault')).toBe(true);
    expect(keyFileId(t.dir)).toBe(before);
    expect(readdirSync(t.dir).filter((f) => f.startsWith('master.key'))).toEqual(['master.key']);
    expect((await store.credentials.list()).map((c) => c.token_envelope)).toEqual(envelopes);
    expect(await decryptAll(store, vault)).toEqual([...TOKENS].sort());
  });

  it('a failure after the new key file is installed, before the commit, restores the old key file', async () => {
    const before = keyFileId(t.dir);
    let installed: string | undefined;
    const err = await rotateMasterKey({
      home: t.dir,
      env: {},
      store: store.credentials,
      beforeCommit: () => {
        installed = keyFileId(t.dir);
        throw new SnagError('destination', 'simulated: disk full at commit');
      },
    }).catch((e: unknown) => e);
    expect(isSnagError(err)).toBe(true);
    expect(installed).toBeDefined();
    expect(installed).not.toBe(before);
    expect(keyFileId(t.dir)).toBe(before);
    expect(readdirSync(t.dir).filter((f) => f.startsWith('master.key'))).toEqual(['master.key']);
    expect(await decryptAll(store, vault)).toEqual([...TOKENS].sort());
  });

  it('a kill -9 after the key switch and before the commit leaves every credential readable; rotating again finishes', async () => {
    const before = keyFileId(t.dir);
    const child = forkTs(new URL('./vault-children/rotate-and-die.ts', import.meta.url), [t.dir]);
    const { keyId: installed } = await child.waitFor<{ keyId: string }>((m) => m.type === 'installed');
    expect((await child.exited).signal).toBe('SIGKILL');
    // The crash window: master.key is the new key, the rows still use the old one, kept as master.key.old-<id>.
    expect(keyFileId(t.dir)).toBe(installed);
    expect(existsSync(join(t.dir, `master.key.old-${before}`))).toBe(true);
    expect(await store.credentials.keyIdsInUse()).toEqual([before]);
    expect(await decryptAll(store, vault)).toEqual([...TOKENS].sort());
    // Adding a credential now still seals under the store's key, so the store never mixes keys.
    await addCredentials(store, vault, ['added-in-crash-window-token']);
    expect(await store.credentials.keyIdsInUse()).toEqual([before]);

    const result = await rotateMasterKey({ home: t.dir, env: {}, store: store.credentials });
    expect(result.resealed).toBe(4);
    expect(await store.credentials.keyIdsInUse()).toEqual([result.newKeyId]);
    expect(readdirSync(t.dir).filter((f) => f.startsWith('master.key'))).toEqual(['master.key']);
    expect(await decryptAll(store, vault)).toEqual([...TOKENS, 'added-in-crash-window-token'].sort());
  });

  it('a token sealed before a rotation but saved after it is refused, not stored unreadable', async () => {
    const id = newCredentialId();
    const sealedEarly = await vault.seal(id, 'raced-token-rrrrrrrrrrrr');
    await rotateMasterKey({ home: t.dir, env: {}, store: store.credentials });
    const err = await store.credentials
      .create({ id, name: 'raced', host: 'https://api.bugsnag.com', verified_status: 'VERIFIED', ...sealedEarly })
      .catch((e: unknown) => e);
    expect(isSnagError(err, 'vault')).toBe(true);
    expect((err as SnagError).hint).toContain('Run the command again');
  });

  it('refuses when a credential cannot be decrypted, and changes nothing', async () => {
    const [victim] = await store.credentials.list();
    // A damaged row: its envelope was sealed with a key this home does not have (the key-id column still matches).
    const foreign = await createVault({
      home: t.dir,
      env: { SNAGSYNC_MASTER_KEY: encodeMasterKey(generateMasterKey()) },
    }).seal(victim!.id, 'x-token-from-elsewhere');
    await store.credentials.update(victim!.id, { ...foreign, token_key_id: victim!.token_key_id });
    const before = keyFileId(t.dir);
    const envelopes = (await store.credentials.list()).map((c) => c.token_envelope);
    const err = await rotateMasterKey({ home: t.dir, env: {}, store: store.credentials }).catch((e: unknown) => e);
    expect(isSnagError(err, 'vault')).toBe(true);
    expect((err as SnagError).message).toContain(`Cannot rotate: the token of credential "${victim!.name}"`);
    expect(keyFileId(t.dir)).toBe(before);
    expect(readdirSync(t.dir).filter((f) => f.startsWith('master.key'))).toEqual(['master.key']);
    expect((await store.credentials.list()).map((c) => c.token_envelope)).toEqual(envelopes);
  });
});

describe('master key rotation (SNAGSYNC_MASTER_KEY)', () => {
  let t: ReturnType<typeof tempDir>;
  let store: Store;
  const oldKey = generateMasterKey();
  const env = { SNAGSYNC_MASTER_KEY: encodeMasterKey(oldKey) };
  beforeEach(async () => {
    t = tempDir();
    store = openStore({ home: t.dir });
    await addCredentials(store, createVault({ home: t.dir, env, store: store.credentials }));
  });
  afterEach(async () => {
    await store.close();
    t.cleanup();
  });

  it('refuses without a place for the new key, since it cannot change the variable', async () => {
    const err = await rotateMasterKey({ home: t.dir, env, store: store.credentials }).catch((e: unknown) => e);
    expect(isSnagError(err, 'vault')).toBe(true);
    expect((err as SnagError).hint).toContain('--new-key-file');
    expect(await store.credentials.keyIdsInUse()).toEqual([keyIdOf(oldKey)]);
  });

  it('writes the new key to the chosen file (0600) before committing, and says to update the variable', async () => {
    const out = join(t.dir, 'new-key.txt');
    const result = await rotateMasterKey({ home: t.dir, env, store: store.credentials, newKeyFile: out });
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const newKey = Buffer.from(readFileSync(out, 'utf8').trim(), 'base64');
    expect(result).toMatchObject({ source: 'env', newKeyId: keyIdOf(newKey), resealed: 3, keyFile: out });
    expect(result.nextStep).toContain('SNAGSYNC_MASTER_KEY');
    expect(existsSync(join(t.dir, 'master.key'))).toBe(false);

    const oldVault = createVault({ home: t.dir, env });
    const e = await oldVault.unseal((await store.credentials.list())[0]!).catch((x: unknown) => x);
    expect(isSnagError(e, 'vault')).toBe(true);
    expect((e as SnagError).message).toContain('Wrong master key');
    expect((e as SnagError).hint).toContain('rotate-key');
    const newVault = createVault({ home: t.dir, env: { SNAGSYNC_MASTER_KEY: encodeMasterKey(newKey) } });
    expect(await decryptAll(store, newVault)).toEqual([...TOKENS].sort());

    // The file is never overwritten by a second rotation.
    const again = await rotateMasterKey({
      home: t.dir,
      env: { SNAGSYNC_MASTER_KEY: encodeMasterKey(newKey) },
      store: store.credentials,
      newKeyFile: out,
    }).catch((x: unknown) => x);
    expect(isSnagError(again, 'vault')).toBe(true);
  });

  it('a failed commit removes the written key file and leaves the old key in force', async () => {
    const out = join(t.dir, 'new-key.txt');
    const err = await rotateMasterKey({
      home: t.dir,
      env,
      store: store.credentials,
      newKeyFile: out,
      beforeCommit: () => {
        expect(existsSync(out)).toBe(true);
        throw new Error('simulated crash before commit');
      },
    }).catch((e: unknown) => e);
    expect(isSnagError(err, 'vault')).toBe(true);
    expect(existsSync(out)).toBe(false);
    expect(await decryptAll(store, createVault({ home: t.dir, env }))).toEqual([...TOKENS].sort());
  });

  it('accepts a new key given by the caller', async () => {
    const next = generateMasterKey();
    const result = await rotateMasterKey({ home: t.dir, env, store: store.credentials, newKey: next });
    expect(result.newKeyId).toBe(keyIdOf(next));
    expect(
      await decryptAll(store, createVault({ home: t.dir, env: { SNAGSYNC_MASTER_KEY: encodeMasterKey(next) } })),
    ).toEqual([...TOKENS].sort());
  });
});
