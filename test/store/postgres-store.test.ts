import { describe, expect, it } from 'vitest';
import { isSnagError, type SnagError } from '../../src/core/errors.js';
import { openPostgresStore, openStore, PG_LATEST_SCHEMA_VERSION } from '../../src/store/index.js';
import { PG_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { postgresUrl, requireService } from '../helpers/services.js';
import { forkTs } from './fork-helper.js';
import { credentialInput, tempDir } from './helpers.js';
import { adminQuery, testSchema } from './pg.js';

async function failure(p: Promise<unknown>): Promise<SnagError> {
  try {
    await p;
  } catch (err) {
    expect(isSnagError(err), String(err)).toBe(true);
    return err as SnagError;
  }
  throw new Error('expected a SnagError, nothing was thrown');
}

describe.runIf(requireService('postgres'))('PostgreSQL metadata store', () => {
  it('migrates at first use, once; a reopened store finds nothing to do; a newer schema is refused', async () => {
    const s = testSchema();
    try {
      const store = openPostgresStore(s.url);
      expect(store.kind).toBe('postgres');
      expect(await store.schemaVersion()).toBe(PG_LATEST_SCHEMA_VERSION);
      await store.credentials.create(credentialInput('one'));
      await store.close();
      const again = openPostgresStore(s.url);
      expect(await again.schemaVersion()).toBe(PG_LATEST_SCHEMA_VERSION);
      expect((await again.credentials.list()).map((c) => c.name)).toEqual(['one']);
      await again.close();
      const rows = await adminQuery<{ version: number }>(
        `SELECT version FROM "${s.schema}".schema_migrations ORDER BY version`,
      );
      expect(rows.map((r) => r.version)).toEqual(PG_MIGRATIONS.map((m) => m.version));

      await adminQuery(
        `INSERT INTO "${s.schema}".schema_migrations (version, description) VALUES ($1, 'from the future')`,
        [PG_LATEST_SCHEMA_VERSION + 1],
      );
      const newer = openPostgresStore(s.url);
      const e = await failure(newer.credentials.list());
      expect(e.code).toBe('config');
      expect(e.message).toContain('newer snagsync');
      await newer.close();
    } finally {
      await s.drop();
    }
  });

  it('SNAGSYNC_DATABASE_URL makes openStore use PostgreSQL; the home still exists for the master key', async () => {
    const s = testSchema();
    const t = tempDir();
    try {
      const store = openStore({ home: t.dir, env: { SNAGSYNC_DATABASE_URL: s.url } });
      expect(store.kind).toBe('postgres');
      expect(store.location).toContain(`schema=${s.schema}`);
      const c = await store.credentials.create(credentialInput('shared'));
      await store.close();
      const [row] = await adminQuery<{ name: string; token_envelope: string }>(
        `SELECT name, token_envelope FROM "${s.schema}".credentials WHERE id = $1`,
        [c.id],
      );
      expect(row).toEqual({ name: 'shared', token_envelope: 'snagsync:v1:placeholder' });
    } finally {
      t.cleanup();
      await s.drop();
    }
  });

  it('an unreachable server is a clear config error that never shows the password', async () => {
    const store = openPostgresStore('postgres://snag:pa55-w0rd-secret@127.0.0.1:1/nowhere');
    try {
      const e = await failure(store.sources.list());
      expect(e.code).toBe('config');
      expect(e.message).toContain('Cannot reach');
      expect(e.message).toContain('postgres://snag:[REDACTED]@127.0.0.1:1/nowhere');
      expect(JSON.stringify(e.toJSON()) + e.describe() + String(e.stack)).not.toContain('pa55-w0rd-secret');
    } finally {
      await store.close();
    }
  });

  it('a database that does not exist, and a URL that is not PostgreSQL, are config errors', async () => {
    const url = new URL(postgresUrl());
    url.pathname = `/no_such_db_${process.pid}`;
    const store = openPostgresStore(url.toString());
    try {
      const e = await failure(store.schemaVersion());
      expect(e.code).toBe('config');
      expect(e.message).toContain('does not exist');
    } finally {
      await store.close();
    }
    const t = tempDir();
    try {
      const e = await failure(
        Promise.resolve().then(() =>
          openStore({ home: t.dir, env: { SNAGSYNC_DATABASE_URL: 'mysql://u:hunter2secret@h/db' } }),
        ),
      );
      expect(e.code).toBe('config');
      expect(e.message).toContain('SNAGSYNC_DATABASE_URL');
      expect(e.describe()).not.toContain('hunter2secret');
      await expect(
        Promise.resolve().then(() => openPostgresStore('postgres://h/db?schema=Bad-Name')),
      ).rejects.toMatchObject({ code: 'config' });
    } finally {
      t.cleanup();
    }
  });

  it('importContents upserts by id (a changed row is updated, not duplicated) and refuses one name under two ids', async () => {
    const s = testSchema();
    const t = tempDir();
    const from = openStore({ home: t.dir });
    const to = openPostgresStore(s.url);
    try {
      const c = await from.credentials.create(credentialInput('team'));
      await from.sources.create({ name: 'nightly', credential_id: c.id, destination: 'sqlite:/tmp/n.db' });
      expect((await to.importContents(await from.contents())).sources).toEqual({
        inserted: 1,
        updated: 0,
        unchanged: 0,
      });
      await from.sources.update((await from.sources.findByNameOrId('nightly')).id, { schedule: 'every 1h' });
      const second = await to.importContents(await from.contents());
      expect(second.sources).toEqual({ inserted: 0, updated: 1, unchanged: 0 });
      expect(second.credentials).toEqual({ inserted: 0, updated: 0, unchanged: 1 });
      expect((await to.sources.list()).map((x) => [x.name, x.schedule])).toEqual([['nightly', 'every 1h']]);

      // Same name, another id: copying would make two "team" credentials; nothing is written.
      const u = tempDir();
      const other = openStore({ home: u.dir });
      try {
        await other.credentials.create(credentialInput('TEAM'));
        const e = await failure(to.importContents(await other.contents()));
        expect(e.code).toBe('conflict');
        expect(e.message).toContain('named "team" with another id');
        expect((await to.credentials.list()).map((x) => x.id)).toEqual([c.id]);
      } finally {
        await other.close();
        u.cleanup();
      }
    } finally {
      await from.close();
      await to.close();
      t.cleanup();
      await s.drop();
    }
  });

  it('importContents copies destinations, their runs and write-back journals row by row; again, nothing changes; a later state in PostgreSQL is kept', async () => {
    const s = testSchema();
    const t = tempDir();
    const from = openStore({ home: t.dir });
    const to = openPostgresStore(s.url);
    try {
      const c = await from.credentials.create(credentialInput('team'));
      const sink = await from.sinks.create({
        name: 'Triage',
        description: 'fix what is old',
        credential_id: c.id,
        config: { input: 'decisions.csv', operation: { op: 'fix' } },
      });
      const run = await from.sinks.startRun(sink.id, { rows: 3, change: [1, 2] });
      await from.sinks.finishRun(run.id, { status: 'partial', report: { totals: { applied: 2, failed: 1 } } });
      const done = await from.writebacks.open({ input_hash: 'h1', credential_id: c.id, rows: 3 });
      await from.writebacks.record(done.id, [1, 2], 'applied');
      await from.writebacks.record(done.id, [3], 'failed', 'refused: 403');
      await from.writebacks.finish(done.id, 'partial');
      // An apply killed midway: its journal stays `running` under a pid that is gone, row 2 sent but unanswered.
      const child = forkTs(new URL('./children/apply-then-die.ts', import.meta.url), [t.dir, c.id, 'h2']);
      const { journalId: killedId, pid } = await child.waitFor<{ journalId: string; pid: number }>(
        (m) => m.type === 'started',
      );
      child.proc.kill('SIGKILL');
      expect((await child.exited).signal).toBe('SIGKILL');

      const first = await to.importContents(await from.contents());
      expect(first.data_sinks).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
      expect(first.sink_runs).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
      expect(first.writeback_journals).toEqual({ inserted: 2, updated: 0, unchanged: 0, kept: 0 });
      expect(first.writeback_rows).toEqual({ inserted: 5, updated: 0, unchanged: 0, kept: 0 });

      // Read back through the PostgreSQL repositories: the same records, ids and references.
      expect(await to.sinks.list()).toEqual(await from.sinks.list());
      expect((await to.sinks.get(sink.id))?.last_run_id).toBe(run.id);
      expect(await to.sinks.listRuns(sink.id)).toEqual(await from.sinks.listRuns(sink.id));
      for (const input_hash of ['h1', 'h2']) {
        const theirs = await from.writebacks.find({ input_hash, credential_id: c.id });
        const ours = await to.writebacks.find({ input_hash, credential_id: c.id });
        expect(ours).toEqual(theirs);
        expect(await to.writebacks.entries(ours!.id)).toEqual(await from.writebacks.entries(theirs!.id));
      }
      expect(await to.contents()).toEqual(await from.contents());
      expect(await to.writebacks.find({ input_hash: 'h2', credential_id: c.id })).toMatchObject({
        id: killedId,
        status: 'running',
        pid,
      });

      const second = await to.importContents(await from.contents());
      expect(second.data_sinks).toEqual({ inserted: 0, updated: 0, unchanged: 1 });
      expect(second.sink_runs).toEqual({ inserted: 0, updated: 0, unchanged: 1 });
      expect(second.writeback_journals).toEqual({ inserted: 0, updated: 0, unchanged: 2, kept: 0 });
      expect(second.writeback_rows).toEqual({ inserted: 0, updated: 0, unchanged: 5, kept: 0 });
      expect((await adminQuery(`SELECT count(*)::int AS n FROM "${s.schema}".writeback_rows`))[0]).toEqual({ n: 5 });

      // The killed apply's process is gone: in PostgreSQL the rerun takes the journal over and goes further.
      const retaken = await to.writebacks.open({ input_hash: 'h2', credential_id: c.id, rows: 2 });
      expect(retaken).toMatchObject({ id: killedId, attempts: 2, status: 'running', pid: process.pid });
      expect((await to.writebacks.entries(killedId)).get(2)?.state).toBe('sending');
      await to.writebacks.record(killedId, [2], 'applied');
      await to.writebacks.finish(killedId, 'done');
      // Meanwhile the SQLite store moved on elsewhere: row 3 of the first journal was applied there.
      await from.writebacks.record(done.id, [3], 'applied');

      // Copying again keeps what PostgreSQL holds in a later state, and takes what SQLite holds in a later one.
      const third = await to.importContents(await from.contents());
      expect(third.writeback_journals).toEqual({ inserted: 0, updated: 0, unchanged: 1, kept: 1 });
      expect(third.writeback_rows).toEqual({ inserted: 0, updated: 1, unchanged: 3, kept: 1 });
      expect(await to.writebacks.find({ input_hash: 'h2', credential_id: c.id })).toMatchObject({
        attempts: 2,
        status: 'done',
      });
      expect((await to.writebacks.entries(killedId)).get(2)?.state).toBe('applied');
      expect((await to.writebacks.entries(done.id)).get(3)).toEqual({ row: 3, state: 'applied', message: null });

      // Another store that applied the same input with the same credential, and one with a destination of the same
      // name under another id: the histories cannot be merged, nothing is written.
      const u = tempDir();
      const other = openStore({ home: u.dir });
      try {
        await other.credentials.create(credentialInput('team', { id: c.id }));
        const twin = await other.writebacks.open({ input_hash: 'h1', credential_id: c.id, rows: 3 });
        await other.writebacks.finish(twin.id, 'done');
        const e = await failure(to.importContents(await other.contents()));
        expect(e.code).toBe('conflict');
        expect(e.message).toContain(`write-back journal (${done.id})`);
        expect(e.message).toContain(twin.id);

        await adminQuery(`DELETE FROM "${s.schema}".writeback_journals WHERE id = $1`, [done.id]);
        await other.sinks.create({ name: 'TRIAGE', credential_id: c.id });
        const named = await failure(to.importContents(await other.contents()));
        expect(named.code).toBe('conflict');
        expect(named.message).toContain('destination named "Triage" with another id');
        expect(await to.writebacks.find({ input_hash: 'h1', credential_id: c.id })).toBeNull();
        expect((await to.sinks.list()).map((x) => x.id)).toEqual([sink.id]);
      } finally {
        await other.close();
        u.cleanup();
      }
    } finally {
      await from.close();
      await to.close();
      t.cleanup();
      await s.drop();
    }
  });
});
