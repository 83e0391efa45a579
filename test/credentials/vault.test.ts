import { chmodSync, existsSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSnagError, type SnagError } from '../../src/core/errors.js';
import { redact } from '../../src/core/redact.js';
import { createVault, encodeMasterKey, generateMasterKey, keyIdOf, type Vault } from '../../src/credentials/vault.js';
import { newCredentialId, openStore, type Store } from '../../src/store/index.js';
import { tempDir } from '../store/helpers.js';

async function vaultError(p: Promise<unknown>): Promise<SnagError> {
  try {
    await p;
  } catch (err) {
    expect(isSnagError(err, 'vault'), String(err)).toBe(true);
    return err as SnagError;
  }
  throw new Error('expected a vault error');
}

const TOKEN = 'd2f1c0ffee-0123-4567-89ab-personal-token-x1y2';

describe('vault', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => {
    t = tempDir();
  });
  afterEach(() => t.cleanup());

  it('round-trips a token; the envelope is versioned, names its key and credential, never holds the token', async () => {
    const vault = createVault({ home: t.dir, env: {} });
    const id = newCredentialId();
    const sealed = await vault.seal(id, TOKEN);
    expect(sealed.token_last4).toBe('x1y2');
    expect(sealed.token_envelope).toMatch(
      new RegExp(`^snagsync:v1:${sealed.token_key_id}:${id}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+:[A-Za-z0-9_-]{22}$`),
    );
    expect(sealed.token_envelope).not.toContain(TOKEN);
    expect(sealed.token_envelope).not.toContain(Buffer.from(TOKEN).toString('base64'));
    expect(await vault.unseal({ id, token_envelope: sealed.token_envelope })).toBe(TOKEN);
    // Two seals of the same token differ (random IV).
    expect((await vault.seal(id, TOKEN)).token_envelope).not.toBe(sealed.token_envelope);
    // Decrypted tokens are registered secrets at once.
    expect(redact(`oops ${TOKEN}`)).toBe('oops [REDACTED]');
  });

  it('creates master.key on first use, mode 0600, and reuses it', async () => {
    const vault = createVault({ home: t.dir, env: {} });
    const path = join(t.dir, 'master.key');
    expect(existsSync(path)).toBe(false);
    const a = await vault.seal(newCredentialId(), TOKEN);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, 'utf8');
    expect(Buffer.from(text.trim(), 'base64')).toHaveLength(32);
    const b = await createVault({ home: t.dir, env: {} }).seal(newCredentialId(), TOKEN);
    expect(b.token_key_id).toBe(a.token_key_id);
    expect(readFileSync(path, 'utf8')).toBe(text);
    expect((await vault.status()).keyId).toBe(a.token_key_id);
  });

  it('uses SNAGSYNC_MASTER_KEY when set (no key file), in standard or URL-safe base64', async () => {
    const key = generateMasterKey();
    const env = { SNAGSYNC_MASTER_KEY: ` ${encodeMasterKey(key)}\n` };
    const id = newCredentialId();
    const sealed = await createVault({ home: t.dir, env }).seal(id, TOKEN);
    expect(sealed.token_key_id).toBe(keyIdOf(key));
    expect(existsSync(join(t.dir, 'master.key'))).toBe(false);
    const urlSafe = { SNAGSYNC_MASTER_KEY: key.toString('base64url') };
    expect(await createVault({ home: t.dir, env: urlSafe }).unseal({ id, token_envelope: sealed.token_envelope })).toBe(
      TOKEN,
    );
  });

  it('a malformed SNAGSYNC_MASTER_KEY says what is expected and how to generate one, without echoing it', async () => {
    for (const bad of [
      'short',
      Buffer.alloc(31, 7).toString('base64'),
      Buffer.alloc(33, 7).toString('base64'),
      'not base64 at all!!',
      `${'a'.repeat(44)}$`,
    ]) {
      const e = await vaultError(
        createVault({ home: t.dir, env: { SNAGSYNC_MASTER_KEY: bad } }).seal(newCredentialId(), TOKEN),
      );
      expect(e.message).toContain('SNAGSYNC_MASTER_KEY is not a valid master key');
      expect(e.hint).toContain('openssl rand -base64 32');
      expect(e.hint).toContain('32');
      expect(`${e.message} ${e.hint}`).not.toContain(bad);
    }
    const e31 = await vaultError(
      createVault({ home: t.dir, env: { SNAGSYNC_MASTER_KEY: Buffer.alloc(31).toString('base64') } }).seal(
        newCredentialId(),
        TOKEN,
      ),
    );
    expect(e31.message).toContain('decodes to 31 bytes');
  });

  it('a wrong key is detected by key id and reported, naming both keys', async () => {
    const id = newCredentialId();
    const sealed = await createVault({
      home: t.dir,
      env: { SNAGSYNC_MASTER_KEY: encodeMasterKey(generateMasterKey()) },
    }).seal(id, TOKEN);
    const other = generateMasterKey();
    const e = await vaultError(
      createVault({ home: t.dir, env: { SNAGSYNC_MASTER_KEY: encodeMasterKey(other) } }).unseal({
        id,
        token_envelope: sealed.token_envelope,
      }),
    );
    expect(e.message).toContain('Wrong master key');
    expect(e.message).toContain(
      `this store's tokens were sealed with another master key (key id ${sealed.token_key_id})`,
    );
    expect(e.message).toContain(keyIdOf(other));
    expect(e.hint).toContain('SNAGSYNC_MASTER_KEY');
  });

  it('a missing key is reported as missing (and no new key is invented while sealed tokens exist)', async () => {
    const store = openStore({ home: t.dir });
    try {
      const vault = createVault({ home: t.dir, env: {}, store: store.credentials });
      const id = newCredentialId();
      await store.credentials.create({
        id,
        name: 'c',
        host: 'https://api.bugsnag.com',
        verified_status: 'VERIFIED',
        ...(await vault.seal(id, TOKEN)),
      });
      unlinkSync(join(t.dir, 'master.key'));
      const cred = await store.credentials.findByNameOrId('c');
      const e = await vaultError(vault.unseal(cred));
      expect(e.message).toContain('No master key');
      expect(e.hint).toContain('Restore master.key');
      const e2 = await vaultError(vault.seal(newCredentialId(), TOKEN));
      expect(e2.message).toContain('No master key');
      expect(existsSync(join(t.dir, 'master.key'))).toBe(false);
    } finally {
      await store.close();
    }
  });

  it('a key file readable by others, or holding garbage, is refused', async () => {
    const vault = createVault({ home: t.dir, env: {} });
    await vault.seal(newCredentialId(), TOKEN);
    const path = join(t.dir, 'master.key');
    chmodSync(path, 0o644);
    expect((await vaultError(vault.seal(newCredentialId(), TOKEN))).hint).toContain('chmod 600');
    chmodSync(path, 0o600);
    writeFileSync(path, 'garbage\n');
    expect((await vaultError(vault.seal(newCredentialId(), TOKEN))).message).toContain(
      'does not hold a valid master key',
    );
  });

  describe('tampering', () => {
    let vault: Vault;
    let id: string;
    let envelope: string;
    beforeEach(async () => {
      vault = createVault({ home: t.dir, env: {} });
      id = newCredentialId();
      envelope = (await vault.seal(id, TOKEN)).token_envelope;
    });
    const field = (i: number, f: (s: string) => string) => {
      const parts = envelope.split(':');
      parts[i] = f(parts[i]!);
      return parts.join(':');
    };
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);

    it('a modified ciphertext, tag or IV fails the integrity check', async () => {
      for (const i of [4, 5, 6]) {
        const e = await vaultError(vault.unseal({ id, token_envelope: field(i, flip) }));
        expect(e.message).toContain('failed its integrity check');
        expect(e.hint).toContain('--token-stdin');
      }
    });

    it('an envelope copied to another credential is refused (AAD binds the id)', async () => {
      const otherId = newCredentialId();
      const e = await vaultError(vault.unseal({ id: otherId, name: 'other', token_envelope: envelope }));
      expect(e.message).toContain('belongs to another credential');
      // Editing the id in the header to match does not help: the id is authenticated data.
      const e2 = await vaultError(
        vault.unseal({ id: otherId, name: 'other', token_envelope: field(3, () => otherId) }),
      );
      expect(e2.message).toContain('failed its integrity check');
    });

    it('garbage, truncated and future-version envelopes each get a clear message', async () => {
      expect((await vaultError(vault.unseal({ id, token_envelope: 'plain-token-value' }))).message).toContain(
        'not a snagsync envelope',
      );
      expect(
        (await vaultError(vault.unseal({ id, token_envelope: envelope.split(':').slice(0, 5).join(':') }))).message,
      ).toContain('fields');
      expect((await vaultError(vault.unseal({ id, token_envelope: field(1, () => 'v9') }))).hint).toContain(
        'newer snagsync',
      );
      expect((await vaultError(vault.unseal({ id, token_envelope: field(2, () => 'zz') }))).message).toContain(
        'wrong size',
      );
    });
  });

  it('the raw metadata database (and its WAL) never contains the token', async () => {
    const store: Store = openStore({ home: t.dir });
    try {
      const vault = createVault({ home: t.dir, env: {}, store: store.credentials });
      const tokens = [TOKEN, 'second-token-abcdefghijklmnop', 'third-token-0000000000000000zz'];
      for (const [i, token] of tokens.entries()) {
        const id = newCredentialId();
        await store.credentials.create({
          id,
          name: `c${i}`,
          host: 'https://api.bugsnag.com',
          verified_status: 'VERIFIED',
          ...(await vault.seal(id, token)),
        });
      }
      const c0 = await store.credentials.findByNameOrId('c0');
      await store.credentials.update(c0.id, await vault.seal(c0.id, 'replacement-token-qqqqqqqqqqqq'));
      tokens.push('replacement-token-qqqqqqqqqqqq');
      const files = readdirSync(t.dir).filter((f) => f.startsWith('snagsync.db'));
      expect(files).toEqual(expect.arrayContaining(['snagsync.db', 'snagsync.db-wal']));
      const bytes = Buffer.concat(files.map((f) => readFileSync(join(t.dir, f))));
      expect(bytes.includes('x1y2')).toBe(true); // last four are stored, so the scan does look at the right bytes
      for (const token of tokens) {
        expect(bytes.includes(token)).toBe(false);
        expect(bytes.includes(Buffer.from(token, 'utf16le'))).toBe(false);
        expect(bytes.includes(Buffer.from(token).toString('base64'))).toBe(false);
        expect(bytes.includes(token.slice(0, 12))).toBe(false);
      }
      for (const c of await store.credentials.list()) expect(tokens).toContain(await vault.unseal(c));
    } finally {
      await store.close();
    }
  });
});

describe('vault home', () => {
  it('creates the home folder (0700) when it seals the first token there', async () => {
    const t = tempDir();
    try {
      const home = join(t.dir, 'new-home');
      await createVault({ home, env: {} }).seal(newCredentialId(), TOKEN);
      expect(statSync(home).mode & 0o777).toBe(0o700);
      expect(statSync(join(home, 'master.key')).mode & 0o777).toBe(0o600);
    } finally {
      t.cleanup();
    }
  });
});
