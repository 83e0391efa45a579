import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { openPostgresStore, openSqliteStore, type Store } from '../../src/store/index.js';
import { postgresUrl, requireService } from '../helpers/services.js';

/** The journal behaves the same in both stores: reopened by (credential, input hash), rows upserted by number. */
async function exercise(store: Store): Promise<void> {
  expect(await store.writebacks.find({ input_hash: 'h1', credential_id: 'cred_a' })).toBeNull();
  const j = await store.writebacks.open({ input_hash: 'h1', credential_id: 'cred_a', rows: 3 });
  expect((await store.writebacks.find({ input_hash: 'h1', credential_id: 'cred_a' }))?.id).toBe(j.id);
  expect(j.attempts).toBe(1);
  await store.writebacks.record(j.id, [1, 2], 'sending');
  await store.writebacks.record(j.id, [2], 'applied', null);
  await store.writebacks.record(j.id, [3], 'failed', 'Insufficient role');
  // Held while it runs (see test/store/sinks.test.ts): a rerun comes after the first apply let go of it.
  await store.writebacks.finish(j.id, 'partial');
  const again = await store.writebacks.open({ input_hash: 'h1', credential_id: 'cred_a', rows: 3 });
  expect(again.id).toBe(j.id);
  expect(again.attempts).toBe(2);
  const other = await store.writebacks.open({ input_hash: 'h1', credential_id: 'cred_b', rows: 3 });
  expect(other.id).not.toBe(j.id);
  const entries = await store.writebacks.entries(j.id);
  expect([...entries.values()].sort((a, b) => a.row - b.row)).toEqual([
    { row: 1, state: 'sending', message: null },
    { row: 2, state: 'applied', message: null },
    { row: 3, state: 'failed', message: 'Insufficient role' },
  ]);
  expect((await store.writebacks.entries(other.id)).size).toBe(0);
  // An applied row is never turned skipped (a later attempt that finds it done says so without forgetting it was
  // applied: that is what keeps the attempt after from posting a comment again); sending or failed still may follow.
  await store.writebacks.record(j.id, [2], 'skipped', 'already so');
  expect((await store.writebacks.entries(j.id)).get(2)).toEqual({ row: 2, state: 'applied', message: null });
  await store.writebacks.record(j.id, [1], 'skipped', 'already so');
  expect((await store.writebacks.entries(j.id)).get(1)).toEqual({ row: 1, state: 'skipped', message: 'already so' });
  await store.writebacks.record(j.id, [1], 'sending');
  const done = await store.writebacks.finish(j.id, 'partial');
  expect(done.status).toBe('partial');
  expect(done.finished_at).not.toBeNull();
}

describe('write-back journal', () => {
  it('SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'snagsync-wbj-'));
    const store = openSqliteStore(join(dir, 'snagsync.db'));
    try {
      await exercise(store);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe.runIf(requireService('postgres'))('PostgreSQL', () => {
    const schema = `wbj_${randomBytes(6).toString('hex')}`;
    afterAll(async () => {
      const c = new pg.Client({ connectionString: postgresUrl() });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    });
    it('PostgreSQL', async () => {
      const url = new URL(postgresUrl());
      url.searchParams.set('schema', schema);
      const store = openPostgresStore(url.toString());
      try {
        await exercise(store);
      } finally {
        await store.close();
      }
    });
  });
});
