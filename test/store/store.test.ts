import { statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSnagError, SnagError } from '../../src/core/errors.js';
import {
  ensureHome,
  LATEST_SCHEMA_VERSION,
  metadataDbPath,
  openPostgresStore,
  openStore,
  resolveHome,
  validateDescription,
  validateName,
  type Store,
} from '../../src/store/index.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { requireService } from '../helpers/services.js';
import { credentialInput, tempDir } from './helpers.js';
import { testSchema } from './pg.js';

async function expectSnag(p: Promise<unknown> | (() => unknown), code: string): Promise<SnagError> {
  try {
    if (typeof p === 'function') p();
    else await p;
  } catch (err) {
    expect(isSnagError(err), String(err)).toBe(true);
    expect((err as SnagError).code).toBe(code);
    return err as SnagError;
  }
  throw new Error(`expected a SnagError(${code}), nothing was thrown`);
}

describe('home folder', () => {
  it('resolves SNAGSYNC_HOME (absolute, relative, ~) and defaults to ~/.snagsync', () => {
    expect(resolveHome({})).toBe(join(homedir(), '.snagsync'));
    expect(resolveHome({ SNAGSYNC_HOME: '  ' })).toBe(join(homedir(), '.snagsync'));
    expect(resolveHome({ SNAGSYNC_HOME: '/var/snag' })).toBe('/var/snag');
    expect(resolveHome({ SNAGSYNC_HOME: 'rel/dir' }, '/work')).toBe('/work/rel/dir');
    expect(resolveHome({ SNAGSYNC_HOME: '~/x' })).toBe(join(homedir(), 'x'));
  });

  it('is created owner-only on first use; the metadata file too', async () => {
    const t = tempDir();
    try {
      const home = join(t.dir, 'a', 'home');
      ensureHome(home);
      expect(statSync(home).mode & 0o777).toBe(0o700);
      const store = openStore({ home });
      await store.close();
      expect(statSync(metadataDbPath(home)).mode & 0o777).toBe(0o600);
    } finally {
      t.cleanup();
    }
  });

  it('refuses a home that is a file', async () => {
    const t = tempDir();
    try {
      const file = join(t.dir, 'f');
      writeFileSync(file, 'x');
      await expectSnag(() => ensureHome(file), 'config');
    } finally {
      t.cleanup();
    }
  });
});

describe('name rules', () => {
  it('trims, bounds length in characters, rejects control characters', async () => {
    expect(validateName('  prod token  ')).toBe('prod token');
    expect(validateName('é'.repeat(100))).toHaveLength(100);
    await expectSnag(() => validateName('x'.repeat(101)), 'config');
    await expectSnag(() => validateName('   '), 'config');
    await expectSnag(() => validateName(undefined), 'config');
    await expectSnag(() => validateName('a\nb'), 'config');
    await expectSnag(() => validateName('a\u0007b'), 'config');
    await expectSnag(() => validateName('a\u2028b'), 'config');
    const e = await expectSnag(() => validateName('', 'source'), 'config');
    expect(e.message).toContain('source name');
    expect(e.details).toMatchObject({ field: 'name' });
  });

  it('descriptions: optional, ≤ 1000 characters, line breaks allowed', async () => {
    expect(validateDescription(undefined)).toBeNull();
    expect(validateDescription('  ')).toBeNull();
    expect(validateDescription('line 1\nline 2')).toBe('line 1\nline 2');
    expect(validateDescription('x'.repeat(1000))).toHaveLength(1000);
    await expectSnag(() => validateDescription('x'.repeat(1001)), 'config');
    await expectSnag(() => validateDescription('a\u001b[31mred'), 'config');
  });
});

describe('SQLite metadata store', () => {
  let t: ReturnType<typeof tempDir>;
  let store: Store;
  beforeEach(() => {
    t = tempDir();
    store = openStore({ home: t.dir });
  });
  afterEach(async () => {
    await store.close();
    t.cleanup();
  });

  it('uses WAL, foreign keys and a busy timeout', () => {
    const db = new Database(metadataDbPath(t.dir));
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('applies migrations once; reopening is a no-op; a newer schema is refused', async () => {
    expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    await store.credentials.create(credentialInput('one'));
    await store.close();
    store = openStore({ home: t.dir });
    store = openStore({ home: t.dir });
    expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    expect(await store.credentials.list()).toHaveLength(1);
    await store.close();

    const db = new Database(metadataDbPath(t.dir));
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    db.close();
    const e = await expectSnag(() => openStore({ home: t.dir }), 'config');
    expect(e.message).toContain('newer snagsync');
    const db2 = new Database(metadataDbPath(t.dir));
    db2.pragma(`user_version = ${LATEST_SCHEMA_VERSION}`);
    db2.close();
    store = openStore({ home: t.dir });
  });

  it('migrates a version 1 store: its run rows keep everything and get a null partition_label', async () => {
    await store.close();
    const u = tempDir();
    const db = new Database(metadataDbPath(ensureHome(u.dir)));
    db.exec(MIGRATIONS.find((m) => m.version === 1)!.sql);
    db.pragma('user_version = 1');
    const at = '2026-01-15T00:00:00.000Z';
    db.prepare(`INSERT INTO credentials (id, name, name_key, host, token_envelope, token_key_id, token_last4, verified_status, created_at, updated_at)
      VALUES ('cred_1', 'c', 'c', 'https://api.bugsnag.com', 'env', 'k', 'abcd', 'UNVERIFIED', ?, ?)`).run(at, at);
    db.prepare(`INSERT INTO sources (id, name, name_key, credential_id, status, destination, created_at, updated_at)
      VALUES ('src_1', 's', 's', 'cred_1', 'active', 'sqlite:/tmp/x.db', ?, ?)`).run(at, at);
    db.prepare(
      `INSERT INTO runs (id, source_id, status, trigger, started_at, finished_at) VALUES ('run_1', 'src_1', 'succeeded', 'cli', ?, ?)`,
    ).run(at, at);
    db.prepare(
      `INSERT INTO run_streams (run_id, stream, partition, records_read, outcome, started_at) VALUES ('run_1', 'events', 'project:1', 7, 'ok', ?)`,
    ).run(at);
    db.close();
    const old = openStore({ home: u.dir });
    try {
      expect(await old.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      expect(await old.runs.listStreams('run_1')).toEqual([
        expect.objectContaining({ stream: 'events', partition: 'project:1', partition_label: null, records_read: 7 }),
      ]);
    } finally {
      await old.close();
      u.cleanup();
    }
    store = openStore({ home: t.dir });
  });

  it('reports a damaged metadata file clearly', async () => {
    await store.close();
    writeFileSync(metadataDbPath(t.dir), 'this is not sqlite '.repeat(500));
    const e = await expectSnag(() => openStore({ home: t.dir }), 'config');
    expect(e.message).toMatch(/damaged|not a SQLite/);
    store = openStore({ home: join(t.dir, 'other') });
  });
});

/**
 * The repository contract, run against both stores: SQLite in a temp home, PostgreSQL in a schema of its own on the
 * shared server (dropped after each test).
 */
const BACKENDS: Array<{ name: string; open: () => Promise<{ store: Store; cleanup: () => Promise<void> }> }> = [
  {
    name: 'SQLite',
    open: async () => {
      const t = tempDir();
      return { store: openStore({ home: t.dir }), cleanup: async () => t.cleanup() };
    },
  },
  ...(requireService('postgres')
    ? [
        {
          name: 'PostgreSQL',
          open: async () => {
            const s = testSchema();
            const store = openPostgresStore(s.url);
            await store.schemaVersion();
            return { store, cleanup: s.drop };
          },
        },
      ]
    : []),
];

describe.each(BACKENDS)('metadata store on $name', (backend) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, cleanup } = await backend.open());
  });
  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  describe('credentials', () => {
    it('creates, reads back typed rows, lists by name', async () => {
      const created = await store.credentials.create(
        credentialInput('  Prod  ', { description: ' for nightly sync ' }),
      );
      expect(created).toMatchObject({
        name: 'Prod',
        description: 'for nightly sync',
        connector: 'bugsnag',
        verified_status: 'VERIFIED',
        verified_at: '2024-05-01T10:00:00.000Z',
        organizations: [{ id: 'org1', name: 'Acme', slug: 'acme' }],
        rate_limit: null,
      });
      expect(created.id).toMatch(/^cred_/);
      await store.credentials.create(credentialInput('alpha'));
      expect((await store.credentials.list()).map((c) => c.name)).toEqual(['alpha', 'Prod']);
    });

    it('names are unique case-insensitively, Unicode included', async () => {
      await store.credentials.create(credentialInput('Prod'));
      const e = await expectSnag(store.credentials.create(credentialInput('PROD')), 'conflict');
      expect(e.message).toContain('"Prod" already exists');
      await store.credentials.create(credentialInput('Équipe'));
      await expectSnag(store.credentials.create(credentialInput('équipe')), 'conflict');
      const other = await store.credentials.create(credentialInput('other'));
      await expectSnag(store.credentials.update(other.id, { name: 'prod' }), 'conflict');
      // Renaming to a different case of its own name is fine.
      expect((await store.credentials.update(other.id, { name: 'OTHER' })).name).toBe('OTHER');
    });

    it('finds by id or by name (any case); unknown gives `missing` with a hint', async () => {
      const c = await store.credentials.create(credentialInput('Staging EU'));
      expect((await store.credentials.findByNameOrId(c.id)).id).toBe(c.id);
      expect((await store.credentials.findByNameOrId('staging eu')).id).toBe(c.id);
      expect((await store.credentials.findByNameOrId(' STAGING EU ')).id).toBe(c.id);
      const e = await expectSnag(store.credentials.findByNameOrId('nope'), 'missing');
      expect(e.hint).toContain('snagsync credentials list');
      expect(await store.credentials.get('cred_unknown')).toBeNull();
    });

    it('validates input: bad name, bad id, invalid status, half a token', async () => {
      await expectSnag(store.credentials.create(credentialInput('a\tb')), 'config');
      await expectSnag(store.credentials.create(credentialInput('x', { id: 'src_123' })), 'config');
      await expectSnag(store.credentials.create(credentialInput('x', { verified_status: 'OK' as never })), 'config');
      const c = await store.credentials.create(credentialInput('x'));
      await expectSnag(store.credentials.update(c.id, { token_envelope: 'snagsync:v1:other' }), 'config');
    });

    it('updates fields and the sealed token; refuses a token sealed with another master key', async () => {
      const a = await store.credentials.create(credentialInput('a'));
      const b = await store.credentials.create(credentialInput('b'));
      const updated = await store.credentials.update(a.id, {
        description: 'new',
        verified_status: 'FAILED',
        verify_error: 'token revoked',
        rate_limit: { limit: 10, remaining: 3, seen_at: '2024-05-02T00:00:00Z' },
        token_envelope: 'snagsync:v1:new',
        token_key_id: 'k1',
        token_last4: 'wxyz',
      });
      expect(updated).toMatchObject({
        description: 'new',
        verified_status: 'FAILED',
        token_last4: 'wxyz',
        rate_limit: { limit: 10, remaining: 3 },
      });
      expect(updated.updated_at >= a.updated_at).toBe(true);
      const e = await expectSnag(
        store.credentials.update(b.id, { token_envelope: 'e', token_key_id: 'k2', token_last4: 'zzzz' }),
        'vault',
      );
      expect(e.hint).toContain('rotated');
      await expectSnag(store.credentials.create(credentialInput('c', { token_key_id: 'k2' })), 'vault');
      expect(await store.credentials.keyIdsInUse()).toEqual(['k1']);
      await expectSnag(store.credentials.update('cred_nope', { description: 'x' }), 'missing');
    });

    it('removal is refused while sources use it; --force disables and detaches them', async () => {
      const c = await store.credentials.create(credentialInput('used'));
      const s1 = await store.sources.create({
        name: 'events-prod',
        credential_id: c.id,
        destination: 'sqlite:/tmp/a.db',
      });
      await store.sources.create({ name: 'errors-prod', credential_id: c.id, destination: 'sqlite:/tmp/a.db' });
      expect(await store.sources.countByCredential(c.id)).toBe(2);
      expect((await store.sources.countsByCredential()).get(c.id)).toBe(2);
      const e = await expectSnag(store.credentials.remove(c.id), 'conflict');
      expect(e.message).toContain('"errors-prod"');
      expect(e.hint).toContain('--force');
      const { removed, disabledSources } = await store.credentials.remove(c.id, { force: true });
      expect(removed.id).toBe(c.id);
      expect(disabledSources.map((s) => s.name).sort()).toEqual(['errors-prod', 'events-prod']);
      const after = await store.sources.findByNameOrId(s1.id);
      expect(after).toMatchObject({ status: 'disabled', credential_id: null });
      expect(after.status_reason).toContain('"used" was removed');
      await expectSnag(store.sources.update(s1.id, { status: 'active' }), 'config');
      await expectSnag(store.credentials.findByNameOrId('used'), 'missing');
      const unused = await store.credentials.create(credentialInput('unused'));
      expect((await store.credentials.remove(unused.id)).disabledSources).toEqual([]);
    });
  });

  describe('sources', () => {
    it('creates with config, enforces names and credential, finds by name or id, lists due ones', async () => {
      const c = await store.credentials.create(credentialInput('c'));
      await expectSnag(
        store.sources.create({ name: 's', credential_id: 'cred_missing', destination: 'jsonl:/tmp/x' }),
        'missing',
      );
      const s = await store.sources.create({
        name: 'Prod events',
        credential_id: c.id,
        destination: 'jsonl:/tmp/x',
        config: { projects: ['p1'], streams: ['events'], full_reports: true, future_option: 42 },
        schedule: 'every 1h',
        next_run_at: '2024-01-01 10:00:00 +0000',
      });
      expect(s).toMatchObject({
        status: 'active',
        schedule: 'every 1h',
        next_run_at: '2024-01-01T10:00:00.000Z',
        last_run_id: null,
      });
      expect(s.config).toMatchObject({ projects: ['p1'], future_option: 42 });
      await expectSnag(
        store.sources.create({ name: 'PROD EVENTS', credential_id: c.id, destination: 'x' }),
        'conflict',
      );
      await expectSnag(
        store.sources.create({
          name: 's2',
          credential_id: c.id,
          destination: 'x',
          config: { streams: 'events' } as never,
        }),
        'config',
      );
      expect((await store.sources.findByNameOrId('prod events')).id).toBe(s.id);
      const e = await expectSnag(store.sources.findByNameOrId('nope'), 'missing');
      expect(e.hint).toContain('snagsync sources list');

      expect((await store.sources.listDue(new Date('2024-01-01T09:59:59Z'))).map((x) => x.id)).toEqual([]);
      expect((await store.sources.listDue(new Date('2024-01-01T10:00:00Z'))).map((x) => x.id)).toEqual([s.id]);
      await store.sources.update(s.id, { status: 'paused' });
      expect(await store.sources.listDue(new Date('2025-01-01T00:00:00Z'))).toEqual([]);
      expect((await store.sources.list({ status: 'paused' })).map((x) => x.id)).toEqual([s.id]);
      expect(await store.sources.list({ credentialId: 'cred_other' })).toEqual([]);

      const [disabled] = await store.sources.disableByCredential(c.id, 'token revoked');
      expect(disabled).toMatchObject({
        id: s.id,
        status: 'disabled',
        status_reason: 'token revoked',
        credential_id: null,
      });
      expect(await store.sources.countByCredential(c.id)).toBe(0);
      // Re-activating needs a credential again; with one, the reason snagsync wrote is cleared.
      const back = await store.sources.update(s.id, { credential_id: c.id, status: 'active' });
      expect(back).toMatchObject({ status: 'active', status_reason: null, credential_id: c.id });
    });
  });

  describe('runs', () => {
    async function source(): Promise<string> {
      const c = await store.credentials.create(credentialInput(`c-${Math.random()}`));
      return (
        await store.sources.create({ name: `s-${Math.random()}`, credential_id: c.id, destination: 'sqlite:/tmp/x.db' })
      ).id;
    }

    it('records a run, its streams (upserted as it progresses) and totals', async () => {
      const sourceId = await source();
      const run = await store.runs.create({ source_id: sourceId, trigger: 'cli', options: { full_refresh: true } });
      expect(run).toMatchObject({
        status: 'running',
        trigger: 'cli',
        pid: process.pid,
        options: { full_refresh: true },
      });
      expect((await store.sources.findByNameOrId(sourceId)).last_run_id).toBe(run.id);

      await store.runs.upsertStream({
        run_id: run.id,
        stream: 'events',
        partition: 'project:1',
        records_read: 30,
        pages: 1,
        requests: 1,
      });
      const s = await store.runs.upsertStream({
        run_id: run.id,
        stream: 'events',
        partition: 'project:1',
        records_read: 60,
        records_written: 60,
        pages: 2,
      });
      expect(s).toMatchObject({ records_read: 60, records_written: 60, pages: 2, requests: 1, outcome: null });
      await store.runs.upsertStream({
        run_id: run.id,
        stream: 'collaborators',
        partition: 'organization:o1',
        outcome: 'skipped',
        message: '403: organization admins only',
        requests: 1,
        wait_ms: 1500,
      });
      await store.runs.upsertStream({ run_id: run.id, stream: 'errors', partition: 'project:1', records_read: 5 });
      await store.runs.upsertStream({
        run_id: run.id,
        stream: 'events',
        partition: 'project:1',
        outcome: 'ok',
        finished_at: new Date(),
      });

      const done = await store.runs.finish(run.id, { status: 'partial' });
      expect(done.status).toBe('partial');
      expect(done.finished_at).not.toBeNull();
      expect(done.totals).toEqual({ records_read: 65, records_written: 60, requests: 2, rate_limit_wait_ms: 1500 });
      const streams = await store.runs.listStreams(run.id);
      expect(streams.map((x) => [x.stream, x.outcome])).toEqual(
        expect.arrayContaining([
          ['events', 'ok'],
          ['collaborators', 'skipped'],
          ['errors', 'failed'],
        ]),
      );
      await expectSnag(store.runs.upsertStream({ run_id: 'run_nope', stream: 'x', partition: '' }), 'missing');
      // A label given once stays through later upserts that leave it out; rows without one have null.
      await store.runs.upsertStream({
        run_id: run.id,
        stream: 'releases',
        partition: 'project:1',
        partition_label: 'Checkout (Acme)',
      });
      await store.runs.upsertStream({ run_id: run.id, stream: 'releases', partition: 'project:1', records_read: 3 });
      const labelled = (await store.runs.listStreams(run.id)).find((x) => x.stream === 'releases')!;
      expect(labelled).toMatchObject({ partition_label: 'Checkout (Acme)', records_read: 3 });
      expect(streams.find((x) => x.stream === 'events')!.partition_label).toBeNull();
      const e = await expectSnag(store.runs.findById('run_nope'), 'missing');
      expect(e.hint).toContain('snagsync runs list');
      expect((await store.runs.list({ sourceId })).map((r) => r.id)).toEqual([run.id]);
    });

    it('keeps errors redacted and refuses a second live run of the same source', async () => {
      const sourceId = await source();
      const run = await store.runs.create({ source_id: sourceId, trigger: 'api' });
      const e = await expectSnag(store.runs.create({ source_id: sourceId, trigger: 'cli' }), 'conflict');
      expect(e.message).toContain('already being synced');
      await expectSnag(store.sources.remove(sourceId), 'conflict');
      const err = new SnagError('auth_invalid', 'The token was rejected.', { hint: 'Update the credential.' });
      const failed = await store.runs.finish(run.id, {
        status: 'failed',
        error: err.toJSON() as never,
        totals: { records_read: 1, records_written: 1, requests: 3, rate_limit_wait_ms: 0 },
      });
      expect(failed.error).toMatchObject({ error: 'auth_invalid', message: 'The token was rejected.' });
      expect(failed.totals.requests).toBe(3);
      const again = await store.runs.create({ source_id: sourceId, trigger: 'cli' });
      expect(again.id).not.toBe(run.id);
      await store.runs.finish(again.id, { status: 'cancelled' });
      await store.sources.remove(sourceId);
      expect(await store.runs.get(run.id)).toBeNull();
    });

    it('a run whose heartbeat is too old is stale; a fresh one is not', async () => {
      const sourceId = await source();
      const run = await store.runs.create({ source_id: sourceId, trigger: 'cli' });
      expect(await store.runs.findStale()).toEqual([]);
      const later = new Date(Date.now() + 10 * 60_000);
      expect((await store.runs.findStale({ now: later })).map((r) => r.id)).toEqual([run.id]);
      expect(await store.runs.findStale({ now: later, staleAfterMs: 60 * 60_000 })).toEqual([]);
      expect(
        await store.runs.heartbeat(run.id, { records_read: 3, records_written: 3, requests: 1, rate_limit_wait_ms: 0 }),
      ).toBe(true);
      expect((await store.runs.findById(run.id)).totals.records_read).toBe(3);
      const [failed] = await store.runs.failStale({ now: later });
      expect(failed).toMatchObject({ id: run.id, status: 'failed', error: { error: 'aborted' } });
      expect(await store.runs.failStale({ now: later })).toEqual([]);
      // The process that was judged stale learns it at its next heartbeat.
      expect(await store.runs.heartbeat(run.id)).toBe(false);
    });
  });
});
