import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { openPostgresStore, openSqliteStore } from '../../src/store/index.js';
import { runCli } from '../helpers/cli.js';
import { requireService } from '../helpers/services.js';
import { startSim } from '../engine/helpers.js';
import { adminQuery, testSchema, type TestSchema } from '../store/pg.js';

/** The CLI with its metadata store in PostgreSQL, as a user of a small cluster runs it; and moving a SQLite store there. */
// Many spawned CLI commands each: the time allowed is for a loaded machine, not a measure of anything.
describe.runIf(requireService('postgres'))(
  'snagsync with the metadata store in PostgreSQL',
  { timeout: 180_000 },
  () => {
    let sim: Simulator;
    const homes: string[] = [];
    const schemas: TestSchema[] = [];

    beforeAll(async () => {
      sim = await startSim({ orgs: 1, projects: 1, errors: 10, events: 120, releases: 2 });
    });
    afterAll(async () => {
      await sim.close();
      for (const h of homes) rmSync(h, { recursive: true, force: true });
      for (const s of schemas) await s.drop();
    });

    const newHome = () => {
      const h = mkdtempSync(join(tmpdir(), 'snagsync-pgstore-'));
      homes.push(h);
      return h;
    };
    const newSchema = () => {
      const s = testSchema('snagcli');
      schemas.push(s);
      return s;
    };
    const newKey = () => randomBytes(32).toString('base64');
    const admin = () => sim.tokens.find((t) => t.role === 'admin')!;
    const machine = (home: string, key: string, url?: string) => {
      const env: NodeJS.ProcessEnv = {
        SNAGSYNC_HOME: home,
        SNAGSYNC_MASTER_KEY: key,
        SNAGSYNC_RETRY_BASE_MS: '20',
        SNAGSYNC_DATABASE_URL: url ?? '',
      };
      return (args: string[], stdin?: string) =>
        runCli(args, { env, cwd: home, ...(stdin !== undefined ? { stdin } : {}) });
    };
    const json = <T>(text: string): T => JSON.parse(text) as T;

    it('credentials add, sources create, sync and runs list keep everything in PostgreSQL; another machine with the same key shares it', async () => {
      const s = newSchema();
      const key = newKey();
      const home = newHome();
      const cli = machine(home, key, s.url);

      const add = await cli(
        ['credentials', 'add', '--name', 'shared', '--host', sim.url, '--token-stdin', '--json'],
        `${admin().token}\n`,
      );
      expect(add.code, add.stderr).toBe(0);
      const created = await cli([
        'sources',
        'create',
        '--name',
        'app',
        '--credential',
        'shared',
        '--destination',
        `sqlite:${join(home, 'app.db')}`,
      ]);
      expect(created.code, created.stderr).toBe(0);
      // --local: no workers here (with a PostgreSQL store, sync otherwise enqueues: test/queue/cluster.test.ts).
      const sync = await cli(['sync', 'app', '--json', '--local']);
      expect(sync.code, sync.stderr).toBe(0);
      const summary = json<{ run_id: string; status: string }>(sync.stdout);
      expect(summary.status).toBe('succeeded');
      const runs = json<Array<{ id: string; status: string }>>((await cli(['runs', 'list', '--json'])).stdout);
      expect(runs.map((r) => [r.id, r.status])).toEqual([[summary.run_id, 'succeeded']]);

      // In PostgreSQL, and nowhere else: no SQLite store was made in the home; the token is sealed, never stored plain.
      expect(existsSync(join(home, 'snagsync.db'))).toBe(false);
      const [cred] = await adminQuery<{ name: string; token_envelope: string }>(
        `SELECT name, token_envelope FROM "${s.schema}".credentials`,
      );
      expect(cred!.name).toBe('shared');
      expect(cred!.token_envelope).toMatch(/^snagsync:v1:/);
      expect(cred!.token_envelope).not.toContain(admin().token);
      const [run] = await adminQuery<{ id: string; status: string }>(`SELECT id, status FROM "${s.schema}".runs`);
      expect(run).toEqual({ id: summary.run_id, status: 'succeeded' });
      const streams = await adminQuery<{ stream: string; records_read: string }>(
        `SELECT stream, records_read FROM "${s.schema}".run_streams WHERE run_id = $1`,
        [summary.run_id],
      );
      expect(streams.find((r) => r.stream === 'events')?.records_read).toBe('120');

      // A second machine: its own (empty) home, the same database and key, chosen with --database-url this time.
      const other = machine(newHome(), key);
      const seen = await other(['runs', 'list', '--json', '--database-url', s.url]);
      expect(seen.code, seen.stderr).toBe(0);
      expect(json<Array<{ id: string }>>(seen.stdout).map((r) => r.id)).toEqual([summary.run_id]);
      const again = await other(['--database-url', s.url, 'sync', 'app', '--json', '--local']);
      expect(again.code, again.stderr).toBe(0);

      // A machine given another master key says so, and names the key the store's tokens use.
      const wrong = machine(newHome(), newKey(), s.url);
      const refused = await wrong(['sync', 'app']);
      expect(refused.code).toBe(6);
      const [{ token_key_id: keyId }] = (await adminQuery<{ token_key_id: string }>(
        `SELECT token_key_id FROM "${s.schema}".credentials`,
      )) as [{ token_key_id: string }];
      expect(refused.stderr).toContain(`this store's tokens were sealed with another master key (key id ${keyId})`);
      expect(refused.stderr + refused.stdout).not.toContain(admin().token);
    });

    it('the database password never shows in what the CLI prints', async () => {
      const cli = machine(newHome(), newKey(), 'postgres://snag:n0t-for-your-eyes@127.0.0.1:1/snag');
      const r = await cli(['sources', 'list', '--json']);
      expect(r.code).toBe(3);
      expect(json<{ error: string; message: string }>(r.stdout)).toMatchObject({
        error: 'config',
        message: expect.stringContaining('snag:[REDACTED]@127.0.0.1:1'),
      });
      expect(r.stdout + r.stderr).not.toContain('n0t-for-your-eyes');
    });

    it('store migrate copies a SQLite store (tokens still sealed, runs and their history, destinations, write-back journals); twice gives the same result; then syncs go on from PostgreSQL', async () => {
      const home = newHome();
      const key = newKey();
      const local = machine(home, key);
      expect(
        (await local(['credentials', 'add', '--name', 'local', '--host', sim.url, '--token-stdin'], admin().token))
          .code,
      ).toBe(0);
      expect(
        (
          await local([
            'sources',
            'create',
            '--name',
            'nightly',
            '--credential',
            'local',
            '--destination',
            `sqlite:${join(home, 'n.db')}`,
            '--schedule',
            'every 1h',
          ])
        ).code,
      ).toBe(0);
      const first = await local(['sync', 'nightly', '--json']);
      expect(first.code, first.stderr).toBe(0);
      const s = newSchema();

      // A destination with one apply, and a write-back journal, made through the SQLite store's repositories.
      const seeded = openSqliteStore(join(home, 'snagsync.db'));
      const cred = await seeded.credentials.findByNameOrId('local');
      const sink = await seeded.sinks.create({
        name: 'triage',
        credential_id: cred.id,
        config: { operation: { op: 'fix' } },
      });
      const sinkRun = await seeded.sinks.startRun(sink.id, { rows: 2 });
      await seeded.sinks.finishRun(sinkRun.id, { status: 'succeeded', report: { totals: { applied: 2 } } });
      const journal = await seeded.writebacks.open({ input_hash: 'decisions-1', credential_id: cred.id, rows: 3 });
      await seeded.writebacks.record(journal.id, [1, 2], 'applied');
      await seeded.writebacks.record(journal.id, [3], 'failed', 'refused: 403');
      // Still being applied (by this live process, on this machine): the copy is refused before PostgreSQL is touched.
      const busy = await local(['store', 'migrate', '--from', home, '--to', s.url]);
      expect(busy.code, busy.stderr).toBe(5);
      expect(busy.stderr).toContain(`journal ${journal.id}`);
      expect(
        await adminQuery('SELECT schema_name FROM information_schema.schemata WHERE schema_name = $1', [s.schema]),
      ).toEqual([]);
      await seeded.writebacks.finish(journal.id, 'partial');
      await seeded.close();

      const copy = await local(['store', 'migrate', '--from', home, '--to', s.url, '--json']);
      expect(copy.code, copy.stderr).toBe(0);
      const one = json<Record<string, { inserted: number; updated: number; unchanged: number }>>(copy.stdout);
      expect(one.credentials).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
      expect(one.sources).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
      expect(one.runs).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
      expect(one.run_streams!.inserted).toBeGreaterThan(3);
      expect(one.data_sinks).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
      expect(one.sink_runs).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
      expect(one.writeback_journals).toEqual({ inserted: 1, updated: 0, unchanged: 0, kept: 0 });
      expect(one.writeback_rows).toEqual({ inserted: 3, updated: 0, unchanged: 0, kept: 0 });
      expect(copy.stderr).toContain('master key');

      const twice = await local(['store', 'migrate', '--from', home, '--to', s.url, '--json']);
      expect(twice.code, twice.stderr).toBe(0);
      const two = json<Record<string, { inserted: number; updated: number; unchanged: number }>>(twice.stdout);
      for (const table of ['credentials', 'sources', 'runs', 'run_streams', 'data_sinks', 'sink_runs']) {
        expect(two[table]).toEqual({ inserted: 0, updated: 0, unchanged: one[table]!.inserted });
      }
      for (const table of ['writeback_journals', 'writeback_rows']) {
        expect(two[table]).toEqual({ inserted: 0, updated: 0, unchanged: one[table]!.inserted, kept: 0 });
      }
      const text = await local(['store', 'migrate', '--from', home, '--to', s.url]);
      expect(text.stdout).toMatch(/credentials\s+0\s+0\s+1/);
      expect(text.stdout).toMatch(/destination runs\s+0\s+0\s+1/);
      expect(text.stdout).toMatch(/write-back rows\s+0\s+0\s+3\s+0/);

      // Row for row what the SQLite store holds.
      const sqlite = openSqliteStore(join(home, 'snagsync.db'));
      const pg = openPostgresStore(s.url);
      try {
        expect(await pg.contents()).toEqual(await sqlite.contents());
        expect(await pg.sinks.findByNameOrId('triage')).toEqual(await sqlite.sinks.findByNameOrId('triage'));
        expect((await pg.sinks.getRun(sinkRun.id))?.report).toEqual({ totals: { applied: 2 } });
        const copied = await pg.writebacks.find({ input_hash: 'decisions-1', credential_id: cred.id });
        expect(copied).toMatchObject({ id: journal.id, status: 'partial', rows: 3 });
        expect(await pg.writebacks.entries(journal.id)).toEqual(await sqlite.writebacks.entries(journal.id));
      } finally {
        await sqlite.close();
        await pg.close();
      }

      // The copied token opens with the same key on a machine that only knows the database.
      const cluster = machine(newHome(), key, s.url);
      const resumed = await cluster(['sync', 'nightly', '--json', '--local']);
      expect(resumed.code, resumed.stderr).toBe(0);
      const runs = json<Array<{ id: string }>>((await cluster(['runs', 'list', '--json'])).stdout);
      expect(runs).toHaveLength(2);
      expect(runs.map((r) => r.id)).toContain(json<{ run_id: string }>(first.stdout).run_id);

      // A store sealed with another key cannot be poured into the same database: nothing is written.
      const strangerHome = newHome();
      const stranger = machine(strangerHome, newKey());
      expect(
        (
          await stranger(
            ['credentials', 'add', '--name', 'stranger', '--host', sim.url, '--token-stdin'],
            admin().token,
          )
        ).code,
      ).toBe(0);
      const mixed = await stranger(['store', 'migrate', '--from', strangerHome, '--to', s.url]);
      expect(mixed.code).toBe(6);
      expect(mixed.stderr).toContain('one store must use one key');
      expect((await adminQuery(`SELECT id FROM "${s.schema}".credentials`)).length).toBe(1);

      const nowhere = await local(['store', 'migrate', '--from', join(home, 'nope'), '--to', s.url]);
      expect(nowhere.code).toBe(3);
      expect(nowhere.stderr).toContain('no snagsync metadata store');
    });
  },
);
