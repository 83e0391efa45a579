import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import { loadKeyring } from '../../src/credentials/keyfile.js';
import { openEnvelope, parseEnvelope } from '../../src/credentials/vault-envelope.js';
import { rotateMasterKey } from '../../src/credentials/vault-rotate.js';
import { ensureWebhook } from '../../src/engine/webhooks/secret.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { buildServer } from '../../src/server/app.js';
import { requireService } from '../helpers/services.js';
import { tempDir } from '../store/helpers.js';
import { testSchema, type TestSchema } from '../store/pg.js';
import { TEST_KEY } from './helpers.js';
import { fixture, rows, until, webhookSource } from './webhooks-helpers.js';

/**
 * `credentials rotate-key` re-seals the webhook secrets with the tokens, in the same transaction: the URL Bugsnag
 * has keeps working and can still be shown, and the old master key no longer opens what is stored.
 */

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function scenario(env: NodeJS.ProcessEnv): Promise<void> {
  const home = tempDir('snagsync-webhook-rotate-');
  const runtime: Runtime = openRuntime({ home: home.dir, env });
  cleanups.push(async () => {
    await runtime.close();
    home.cleanup();
  });
  const src = await webhookSource(runtime, home.dir);
  const oldKey = loadKeyring(runtime.home, runtime.env).primary!;
  const before = (await runtime.store.webhooks.get(src.sourceId))!;
  expect(before.secret_key_id).toBe(oldKey.id);

  const result = await rotateMasterKey({ home: runtime.home, env: runtime.env, store: runtime.store.credentials });
  expect(result).toMatchObject({ resealed: 1, webhookSecretsResealed: 1, webhookSecretsUnreadable: [] });

  const after = (await runtime.store.webhooks.get(src.sourceId))!;
  expect(after.secret_key_id).toBe(result.newKeyId);
  expect(after.secret_sha256).toBe(before.secret_sha256);
  const envelope = parseEnvelope(after.secret_envelope, src.sourceId);
  expect(envelope.keyId).toBe(result.newKeyId);
  expect(() => openEnvelope(oldKey, envelope, src.sourceId)).toThrow();
  // The URL can still be shown: the same secret, opened with the new key.
  expect((await ensureWebhook(runtime, src.sourceId)).secret).toBe(src.secret);

  // And it still works.
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const app: FastifyInstance = await buildServer({ runtime, apiKey: TEST_KEY, logger: createLogger(sink, 'info') });
  cleanups.push(() => app.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const r = await fetch(`http://127.0.0.1:${port}${src.path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fixture('exception')),
  });
  expect(r.status).toBe(202);
  await until('the event row', async () => (await rows(src.destination, 'events')).length === 1);

  // A second rotation finds it under the newest key and moves it again.
  const again = await rotateMasterKey({ home: runtime.home, env: runtime.env, store: runtime.store.credentials });
  expect(again.webhookSecretsResealed).toBe(1);
  expect((await ensureWebhook(runtime, src.sourceId)).secret).toBe(src.secret);
}

describe('master key rotation and webhook secrets', () => {
  it('SQLite store: re-sealed, the URL still works and shows, the old key opens nothing', async () => {
    await scenario({});
  });

  describe.runIf(requireService('postgres'))('PostgreSQL store', () => {
    let schema: TestSchema | undefined;
    afterEach(async () => {
      await schema?.drop();
      schema = undefined;
    });
    it('re-sealed, the URL still works and shows, the old key opens nothing', async () => {
      schema = testSchema('snagrot');
      await scenario({ SNAGSYNC_DATABASE_URL: schema.url });
    });
  });
});
