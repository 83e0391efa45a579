import { afterEach, describe, expect, it } from 'vitest';
import { loadKeyring } from '../../src/credentials/keyfile.js';
import { openEnvelope, parseEnvelope } from '../../src/credentials/vault-envelope.js';
import { rotateMasterKey } from '../../src/credentials/vault-rotate.js';
import { openNotificationUrl, setNotification } from '../../src/engine/notify/settings.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { newCredentialId, SERVER_SCOPE } from '../../src/store/index.js';
import { requireService } from '../helpers/services.js';
import { credentialInput, tempDir } from '../store/helpers.js';
import { testSchema, type TestSchema } from '../store/pg.js';

/**
 * `credentials rotate-key` re-seals the notification URLs with the tokens, in the same transaction: they still open
 * (the same URL), under the new key, and the old key opens nothing that is stored.
 */

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function scenario(env: NodeJS.ProcessEnv): Promise<void> {
  const home = tempDir('snagsync-notify-rotate-');
  const runtime: Runtime = openRuntime({ home: home.dir, env });
  cleanups.push(async () => {
    await runtime.close();
    home.cleanup();
  });
  const id = newCredentialId();
  const sealed = await runtime.vault.seal(id, 'not-a-real-token-1234');
  const cred = await runtime.store.credentials.create(credentialInput('c', { id, ...sealed }));
  const source = await runtime.store.sources.create({
    name: 's',
    credential_id: cred.id,
    destination: 'sqlite:/tmp/r.db',
  });
  const urls = {
    [source.id]: 'https://hooks.slack.com/services/T1/B1/rotateMe1',
    [SERVER_SCOPE]: 'https://prod.logic.azure.com/workflows/abc/invoke?sig=rotateMe2',
  };
  for (const [scope, url] of Object.entries(urls)) await setNotification(runtime, scope, { url });
  const oldKey = loadKeyring(runtime.home, runtime.env).primary!;

  const result = await rotateMasterKey({ home: runtime.home, env: runtime.env, store: runtime.store.credentials });
  expect(result.resealed).toBe(1);
  for (const [scope, url] of Object.entries(urls)) {
    const n = (await runtime.store.notifications.get(scope))!;
    expect(n.url_key_id).toBe(result.newKeyId);
    const envelope = parseEnvelope(n.url_envelope, scope);
    expect(envelope.keyId).toBe(result.newKeyId);
    expect(() => openEnvelope(oldKey, envelope, scope)).toThrow();
    expect(openNotificationUrl(runtime, n)).toBe(url);
  }
}

describe('master key rotation and notification URLs', () => {
  it('SQLite store: re-sealed under the new key, the same URLs open', async () => {
    await scenario({});
  });

  describe.runIf(requireService('postgres'))('PostgreSQL store', () => {
    let schema: TestSchema | undefined;
    afterEach(async () => {
      await schema?.drop();
      schema = undefined;
    });
    it('re-sealed under the new key, the same URLs open', async () => {
      schema = testSchema('snagntf');
      await scenario({ SNAGSYNC_DATABASE_URL: schema.url });
    });
  });
});
