import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { openPostgresStore, openSqliteStore } from '../../src/store/index.js';
import { buildServer } from '../../src/server/app.js';
import type { FastifyInstance } from 'fastify';
import { requireService } from '../helpers/services.js';
import { adminQuery, testSchema, type TestSchema } from '../store/pg.js';
import { tempDir } from '../store/helpers.js';
import { TEST_KEY } from './helpers.js';
import { fixture, rows, until, webhookSource } from './webhooks-helpers.js';

/**
 * The webhook inbox on the PostgreSQL store (its repository is its own code): received, deduplicated, applied,
 * replayed at start — with the store in a schema of its own on the test server and a SQLite destination.
 */
describe.runIf(requireService('postgres'))('webhooks with a PostgreSQL store', () => {
  let schema: TestSchema;
  let home: { dir: string; cleanup: () => void };
  let runtime: Runtime;
  let app: FastifyInstance | undefined;
  let base: string;

  beforeEach(() => {
    schema = testSchema('snaghook');
    home = tempDir('snagsync-webhook-pg-');
    runtime = openRuntime({ home: home.dir, env: { SNAGSYNC_DATABASE_URL: schema.url } });
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await runtime.close();
    await schema.drop();
    home.cleanup();
  });

  async function listen(): Promise<void> {
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    app = await buildServer({ runtime, apiKey: TEST_KEY, logger: createLogger(sink, 'info') });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  const post = (path: string, body: string) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('stores a message once, applies it, and replays what a dead process left unapplied', async () => {
    const src = await webhookSource(runtime, home.dir);
    const left = JSON.stringify(fixture('firstException'));
    await runtime.store.webhooks.receive({
      source_id: src.sourceId,
      body: left,
      body_sha256: 'b'.repeat(64),
      trigger: 'firstException',
      received_at: '2026-01-15T10:00:06.000Z',
    });
    await listen();
    await until('the replayed error', async () => (await rows(src.destination, 'errors')).length === 1);

    const body = JSON.stringify(fixture('exception'));
    const first = await post(src.path, body);
    expect(await first.json()).toEqual({ accepted: true, duplicate: false });
    const again = await post(src.path, body);
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ accepted: true, duplicate: true });
    await until('applied', async () => (await runtime.store.webhooks.counts(src.sourceId, 5)).pending === 0);
    expect(await runtime.store.webhooks.counts(src.sourceId, 5)).toMatchObject({ received: 2, failed: 0 });
    expect(await rows(src.destination, 'events')).toHaveLength(1);
    const stored = await adminQuery(
      `SELECT count(*)::int AS n, count(applied_at)::int AS applied FROM "${schema.schema}".webhook_inbox`,
    );
    expect(stored[0]).toEqual({ n: 2, applied: 2 });
  });

  it('store migrate copies the webhook secrets: the same URL works against the PostgreSQL store', async () => {
    const local = tempDir('snagsync-webhook-sqlite-');
    try {
      const sqlite = openRuntime({ home: local.dir, env: {} });
      const src = await webhookSource(sqlite, home.dir);
      await sqlite.close();
      const from = openSqliteStore(`${local.dir}/snagsync.db`);
      const to = openPostgresStore(schema.url);
      try {
        const summary = await to.importContents(await from.contents());
        expect(summary.webhook_settings).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
        expect(await to.webhooks.get(src.sourceId)).toEqual(await from.webhooks.get(src.sourceId));
        expect((await to.importContents(await from.contents())).webhook_settings).toMatchObject({ unchanged: 1 });
      } finally {
        await from.close();
        await to.close();
      }
      await listen();
      expect((await post(src.path, JSON.stringify(fixture('exception')))).status).toBe(202);
      await until('applied', async () => (await rows(src.destination, 'errors')).length === 1);
    } finally {
      local.cleanup();
    }
  });

  it('writes the rows into a PostgreSQL destination, never back in time', async () => {
    const dest = testSchema('snaghookdest');
    try {
      const src = await webhookSource(runtime, home.dir, undefined, dest.url);
      await listen();
      const newer = fixture('exception');
      newer.error.receivedAt = '2026-01-15T12:00:00.000Z';
      newer.error.message = 'the newer message';
      const older = fixture('exception');
      older.error.receivedAt = '2026-01-15T11:00:00.000Z';
      older.error.message = 'the older message';
      older.error.id = '0000000000000000000000b1';
      expect((await post(src.path, JSON.stringify(newer))).status).toBe(202);
      expect((await post(src.path, JSON.stringify(older))).status).toBe(202);
      await until('both events', async () => (await rows(src.destination, 'events')).length === 2);
      const errors = await adminQuery(`SELECT message, last_seen_unfiltered, _source_id FROM "${dest.schema}".errors`);
      expect(errors).toEqual([
        {
          message: 'the newer message',
          last_seen_unfiltered: new Date('2026-01-15T12:00:00.000Z'),
          _source_id: src.sourceId,
        },
      ]);
    } finally {
      await dest.drop();
    }
  });
});
