import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BuildServerOptions } from '../../src/server/app.js';
import { tempDir } from '../store/helpers.js';
import { keyHeaders, testServer, type TestServer } from './helpers.js';
import { fixture, PROJECT_ID, rows, TOKEN, until, webhookSource } from './webhooks-helpers.js';

/**
 * Bugsnag webhooks received by a real `serve` app listening on 127.0.0.1: the message lands in the inbox before the
 * answer, then in the source's SQLite destination; every wrong URL gets the same 404; limits; duplicates and late
 * messages change nothing; a message stored by a process that died before applying it is applied at the next start.
 */

let s: TestServer;
let data: { dir: string; cleanup: () => void };
let base: string;

async function start(options: Partial<BuildServerOptions> = {}, before?: (s: TestServer) => Promise<void>) {
  s = await testServer(options);
  await before?.(s);
  await s.app.listen({ host: '127.0.0.1', port: 0 });
  const address = s.app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

beforeEach(() => {
  data = tempDir('snagsync-webhook-data-');
});
afterEach(async () => {
  await s?.cleanup();
  data.cleanup();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const inbox = async (sourceId: string) =>
  (await s.runtime.store.webhooks.pending({ maxAttempts: 1000, limit: 1000, sourceId })).length;

describe('POST /hooks/bugsnag/{source}/{secret}', () => {
  it("an exception message becomes the error's and the event's rows in the destination", async () => {
    await start();
    const src = await webhookSource(s.runtime, data.dir);
    const res = await post(src.path, fixture('exception'));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: true, duplicate: false });
    const event = await until('the event row', async () => (await rows(src.destination, 'events')).at(0));
    expect(event).toMatchObject({
      id: '66a0f1a2b3c4d5e6f7a8b9c0',
      project_id: PROJECT_ID,
      error_id: '5f8d0d55c9e77c0017e4c1a1',
      received_at: '2026-01-15T10:00:05.000Z',
      severity: 'error',
      unhandled: true,
    });
    const errors = await rows(src.destination, 'errors');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      id: '5f8d0d55c9e77c0017e4c1a1',
      project_id: PROJECT_ID,
      error_class: 'NoMethodError',
      status: 'open',
      first_seen_unfiltered: '2026-01-10T08:00:00.000Z',
      last_seen_unfiltered: '2026-01-15T10:00:05.000Z',
    });
    const counts = await s.runtime.store.webhooks.counts(src.sourceId, 5);
    expect(counts).toMatchObject({ received: 1, failed: 0, pending: 0 });
  });

  it('an unknown source, a wrong secret, a disabled webhook and a server without webhooks get the same 404', async () => {
    await start();
    const src = await webhookSource(s.runtime, data.dir);
    const wrongSecret = src.path.replace(/[^/]+$/, 'A'.repeat(43));
    const unknown = src.path.replace(src.sourceId, 'src_00000000000000000000');
    const notAnId = src.path.replace(src.sourceId, '..%2F..%2Fapi');
    const answers = [];
    for (const path of [wrongSecret, unknown, notAnId, `${src.path}x`]) {
      const r = await post(path, fixture('exception'));
      answers.push({ status: r.status, type: r.headers.get('content-type'), body: await r.text() });
    }
    await s.runtime.store.webhooks.setEnabled(src.sourceId, false);
    const r = await post(src.path, fixture('exception'));
    answers.push({ status: r.status, type: r.headers.get('content-type'), body: await r.text() });
    expect(answers[0]!.status).toBe(404);
    for (const a of answers) expect(a).toEqual(answers[0]);
    expect(await inbox(src.sourceId)).toBe(0);
    expect((await s.runtime.store.webhooks.counts(src.sourceId, 5)).received).toBe(0);

    await s.cleanup();
    await start({ webhooks: false });
    const off = await webhookSource(s.runtime, data.dir);
    const o = await post(off.path, fixture('exception'));
    expect({ status: o.status, type: o.headers.get('content-type'), body: await o.text() }).toEqual(answers[0]);
  });

  it('a body over the limit is answered 413 and not stored', async () => {
    await start();
    const src = await webhookSource(s.runtime, data.dir);
    const big = { ...fixture('exception'), padding: 'x'.repeat(600 * 1024) };
    const res = await post(src.path, big);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'payload_too_large' });
    expect((await s.runtime.store.webhooks.counts(src.sourceId, 5)).received).toBe(0);
  });

  it('past its rate limit a source is answered 429 with Retry-After', async () => {
    await start({ webhooks: { rate: { burst: 2, perSecond: 0.01 } } });
    const src = await webhookSource(s.runtime, data.dir);
    const statuses = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 3; i++) {
      const body = fixture('projectSpiking');
      body.trigger.rate = i;
      const r = await post(src.path, body);
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get('retry-after');
    }
    expect(statuses).toEqual([202, 202, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  });

  it('a duplicate is answered 2xx, stored once, and changes no row', async () => {
    await start();
    const src = await webhookSource(s.runtime, data.dir);
    const body = JSON.stringify(fixture('exception'));
    expect((await post(src.path, body)).status).toBe(202);
    await until('applied', async () => (await rows(src.destination, 'errors')).length === 1);
    const before = await rows(src.destination, 'errors');
    const again = await post(src.path, body);
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ accepted: true, duplicate: true });
    expect((await s.runtime.store.webhooks.counts(src.sourceId, 5)).received).toBe(1);
    expect(await rows(src.destination, 'errors')).toEqual(before);
    expect(await rows(src.destination, 'events')).toHaveLength(1);
  });

  it('an older message after a newer one does not move the error back', async () => {
    await start();
    const src = await webhookSource(s.runtime, data.dir);
    const newer = fixture('exception');
    newer.error.receivedAt = '2026-01-15T12:00:00.000Z';
    newer.error.message = 'the newer message';
    newer.error.id = '0000000000000000000000b2';
    const older = fixture('exception');
    older.error.receivedAt = '2026-01-15T11:00:00.000Z';
    older.error.message = 'the older message';
    older.error.id = '0000000000000000000000b1';
    expect((await post(src.path, newer)).status).toBe(202);
    await until('the newer event', async () => (await rows(src.destination, 'events')).length === 1);
    expect((await post(src.path, older)).status).toBe(202);
    await until('the older event', async () => (await rows(src.destination, 'events')).length === 2);
    const [error] = await rows(src.destination, 'errors');
    expect(error).toMatchObject({ message: 'the newer message', last_seen_unfiltered: '2026-01-15T12:00:00.000Z' });
  });

  it('a message stored before a crash (never applied) is applied when serve starts', async () => {
    let src!: Awaited<ReturnType<typeof webhookSource>>;
    await start({}, async (t) => {
      src = await webhookSource(t.runtime, data.dir);
      const body = JSON.stringify(fixture('firstException'));
      await t.runtime.store.webhooks.receive({
        source_id: src.sourceId,
        body,
        body_sha256: 'a'.repeat(64),
        trigger: 'firstException',
        received_at: '2026-01-15T10:00:06.000Z',
      });
      expect(await rows(src.destination, 'errors')).toEqual([]);
    });
    await until('the replayed error', async () => (await rows(src.destination, 'errors')).length === 1);
    expect(await inbox(src.sourceId)).toBe(0);
  });

  it("a manual state change sets the error's status and opens an interval in error_history", async () => {
    await start();
    const src = await webhookSource(s.runtime, data.dir);
    expect((await post(src.path, fixture('exception'))).status).toBe(202);
    await until('the error', async () => (await rows(src.destination, 'errors')).length === 1);
    expect((await post(src.path, fixture('errorStateManualChange'))).status).toBe(202);
    const [error] = await until('fixed', async () => {
      const r = await rows(src.destination, 'errors');
      return r[0]?.status === 'fixed' ? r : null;
    });
    expect(error).toMatchObject({ id: '5f8d0d55c9e77c0017e4c1a1', status: 'fixed' });
    const history = await rows(src.destination, 'error_history');
    expect(history.map((h) => [h.status, h.observed_by, h.valid_to === null])).toEqual([
      ['open', 'webhook', false],
      ['fixed', 'webhook', true],
    ]);
    // The message states no time for the change: it is observed when it arrived, not at the error's last event.
    expect(Date.parse(String(history[1]!.valid_from))).toBeGreaterThan(Date.now() - 60_000);

    const reopened = fixture('reopened');
    // After the manual change, which is observed when it arrived (now).
    reopened.error.receivedAt = new Date(Date.now() + 60_000).toISOString();
    reopened.error.id = '0000000000000000000000c1';
    expect((await post(src.path, reopened)).status).toBe(202);
    const after = await until('reopened', async () => {
      const h = await rows(src.destination, 'error_history');
      return h.length === 3 ? h : null;
    });
    expect(after.map((h) => [h.status, h.valid_to === null])).toEqual([
      ['open', false],
      ['fixed', false],
      ['open', true],
    ]);
    expect((await rows(src.destination, 'errors'))[0]).toMatchObject({ status: 'open' });
  });

  it('comments, releases and project triggers reach their tables', async () => {
    await start();
    const src = await webhookSource(s.runtime, data.dir);
    for (const t of ['comment', 'release', 'projectSpiking'])
      expect((await post(src.path, fixture(t))).status).toBe(202);
    const spike = await until('the webhook_events row', async () =>
      (await rows(src.destination, 'webhook_events')).at(0),
    );
    expect(spike).toMatchObject({ project_id: PROJECT_ID, trigger: 'projectSpiking' });
    expect(await rows(src.destination, 'comments')).toEqual([
      expect.objectContaining({
        id: '6001a2b3c4d5e6f7a8b9c0d1',
        error_id: '5f8d0d55c9e77c0017e4c1a1',
        message: 'Looking into it',
      }),
    ]);
    expect(await rows(src.destination, 'releases')).toEqual([
      expect.objectContaining({
        id: '6101a2b3c4d5e6f7a8b9c0d2',
        app_version: '2.4.0',
        release_time: '2026-01-15T09:00:00.000Z',
      }),
    ]);
  });

  it('a message about a project the source does not cover is kept in the inbox as ignored, with the reason', async () => {
    await start();
    const src = await webhookSource(s.runtime, data.dir);
    const other = fixture('exception');
    other.project.id = '5a2fc37fd1befa0039810000';
    expect((await post(src.path, other)).status).toBe(202);
    const ignored = await until('ignored', async () => {
      const all = (await s.runtime.store.webhooks.counts(src.sourceId, 5)).pending === 0;
      return all ? true : null;
    });
    expect(ignored).toBe(true);
    expect(await rows(src.destination, 'errors')).toEqual([]);
    const noComments = await webhookSource(s.runtime, data.dir, { projects: [PROJECT_ID], streams: ['events'] });
    expect((await post(noComments.path, fixture('comment'))).status).toBe(202);
    await until('applied', async () => (await s.runtime.store.webhooks.counts(noComments.sourceId, 5)).pending === 0);
    const db = new Database(join(s.home, 'snagsync.db'), { readonly: true });
    try {
      expect(
        db.prepare('SELECT source_id, trigger, ignored, error FROM webhook_inbox ORDER BY received_at').all(),
      ).toEqual([
        {
          source_id: src.sourceId,
          trigger: 'exception',
          ignored: "project 5a2fc37fd1befa0039810000 is not among the source's projects",
          error: null,
        },
        {
          source_id: noComments.sourceId,
          trigger: 'comment',
          ignored: 'the source does not sync comments',
          error: null,
        },
      ]);
    } finally {
      db.close();
    }
  });

  it('the webhook API: path, switch, rotation, counts; no token in any answer', async () => {
    await start();
    const src = await webhookSource(s.runtime, data.dir);
    const api = (method: 'GET' | 'POST' | 'PUT', url: string) => s.app.inject({ method, url, headers: keyHeaders() });
    const got = await api('GET', `/api/data_sources/${src.sourceId}/webhook`);
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({ path: src.path, enabled: true, receiving: true, received: 0, failed: 0 });
    expect((await post(src.path, fixture('exception'))).status).toBe(202);
    const rotated = await api('POST', `/api/data_sources/${src.sourceId}/webhook/rotate`);
    expect(rotated.json().path).not.toBe(src.path);
    expect(rotated.json().received).toBe(1);
    expect((await post(src.path, fixture('powerTen'))).status).toBe(404);
    expect((await post(rotated.json().path, fixture('powerTen'))).status).toBe(202);
    const off = await api('PUT', `/api/data_sources/${src.sourceId}/webhook/disable`);
    expect(off.json()).toMatchObject({ enabled: false });
    expect((await post(rotated.json().path, fixture('reopened'))).status).toBe(404);
    for (const r of [got, rotated, off]) {
      expect(r.body).not.toContain(TOKEN);
      expect(JSON.stringify(r.headers)).not.toContain(TOKEN);
    }
    expect(s.logs.join('')).not.toContain(TOKEN);
    expect(s.logs.join('')).not.toContain(src.secret);
    // Not even redacted: the route's request lines are not logged at all (the secret is registered for redaction
    // only once this process has opened it, which a server that only receives never does).
    expect(s.logs.join('')).not.toContain('/hooks/bugsnag/');
  });
});
