import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresStore, openSqliteStore, SERVER_SCOPE, type Store } from '../../src/store/index.js';
import { requireService } from '../helpers/services.js';
import { credentialInput, tempDir } from './helpers.js';
import { testSchema } from './pg.js';

/** The notifications table, the same in SQLite and PostgreSQL: upsert by scope, delivery, removal with the source. */
const dir = tempDir();
afterAll(() => dir.cleanup());

const settings = (scope: string, hint: string) => ({
  scope,
  format: 'slack' as const,
  url_envelope: 'snagsync:v1:k:ntf_x:a:b:c',
  url_key_id: 'k',
  url_hint: hint,
  on_recovery: true,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
});

async function exercise(store: Store): Promise<void> {
  const cred = await store.credentials.create(credentialInput('c'));
  const source = await store.sources.create({ name: 's', credential_id: cred.id, destination: 'sqlite:/tmp/n.db' });
  await store.notifications.save(settings(source.id, 'https://hooks.slack.com/…aaaa'));
  await store.notifications.save({ ...settings(SERVER_SCOPE, 'https://x.logic.azure.com/…bbbb'), format: 'teams' });
  await store.notifications.recordDelivery(source.id, '2026-01-02T00:00:00.000Z', 'sent (HTTP 200)');
  expect(await store.notifications.get(source.id)).toMatchObject({
    format: 'slack',
    on_recovery: true,
    last_sent_at: '2026-01-02T00:00:00.000Z',
    last_outcome: 'sent (HTTP 200)',
  });
  // The same URL again keeps the last delivery; a new URL clears it.
  await store.notifications.save({ ...settings(source.id, 'https://hooks.slack.com/…aaaa'), on_recovery: false });
  expect((await store.notifications.get(source.id))!).toMatchObject({
    on_recovery: false,
    last_outcome: 'sent (HTTP 200)',
  });
  await store.notifications.save(settings(source.id, 'https://hooks.slack.com/…cccc'));
  expect((await store.notifications.get(source.id))!).toMatchObject({
    url_hint: 'https://hooks.slack.com/…cccc',
    last_outcome: null,
  });
  expect((await store.notifications.list()).map((n) => n.scope).sort()).toEqual([SERVER_SCOPE, source.id].sort());
  // Removing the source removes its notification, not the server's.
  await store.sources.remove(source.id);
  expect((await store.notifications.list()).map((n) => n.scope)).toEqual([SERVER_SCOPE]);
  expect(await store.notifications.remove(SERVER_SCOPE)).toBe(true);
  expect(await store.notifications.remove(SERVER_SCOPE)).toBe(false);
}

describe('notifications store', () => {
  it('SQLite', async () => {
    const store = openSqliteStore(join(dir.dir, 'n.db'));
    try {
      await exercise(store);
    } finally {
      await store.close();
    }
  });

  it.runIf(requireService('postgres'))('PostgreSQL', async () => {
    const s = testSchema();
    const store = openPostgresStore(s.url);
    try {
      await exercise(store);
    } finally {
      await store.close();
      await s.drop();
    }
  });
});
