import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Destination, type DestinationRecord, openDestination } from '../../src/destinations/index.js';
import { applyModels, postgresPlainDialect, VIEWS } from '../../src/destinations/models/index.js';
import { descriptorOf, STREAMS } from '../../src/streams/catalog.js';
import { postgresUrl, requireService } from '../helpers/services.js';
import { tempDir } from '../store/helpers.js';
import { at, insertScenario, postgresSql, type Sql, sqliteSql } from './models-fixture.js';
import { adminQuery, dropSchema, pgDestinationUrl, uniqueSchema } from './pg-schema.js';

/**
 * The views PostgreSQL reads from the events' rollups (errors_daily, release_health: models/rollups.ts) give exactly
 * the rows of their plain form (every event aggregated, `postgresPlainDialect`) and of SQLite's views, step by step
 * over the real write path: pages of new events, a page replayed, events changed (user, version, day, release stage
 * to NULL), deletion marks, a purge, a page whose connection is killed before COMMIT, a TRUNCATE, and a rollup left
 * without its triggers (rebuilt by the next apply). A rollup that double counts or misses a change fails a step.
 */
const HAS_PG = requireService('postgres');
const ROLLED = ['errors_daily', 'release_health'];
const H = 3_600_000;
const D = 24 * H;
const dir = tempDir('snagsync-models-rollup-');
const schema = uniqueSchema('snag_rollup');

/** An event as the events stream reads it (summary or full report): what the destination extracts columns from. */
function event(
  project: string,
  id: string,
  error: string,
  ms: number,
  v: { version?: string | null; stage?: string | null; user?: string | null; unhandled?: boolean } = {},
): DestinationRecord {
  const app: Record<string, string> = {};
  if (v.version !== null) app.version = v.version ?? '1.0';
  if (v.stage !== null) app.releaseStage = v.stage ?? 'production';
  return {
    project_id: project,
    id,
    error_id: error,
    receivedAt: at(ms),
    severity: 'error',
    unhandled: v.unhandled ?? false,
    app,
    ...(v.user === null ? {} : { user: { id: v.user ?? 'u1' } }),
  };
}

/** 60 events over three days, two projects, three versions (one without), NULL stages, users and no users. */
function pageA(): DestinationRecord[] {
  return Array.from({ length: 60 }, (_, i) =>
    event(i % 3 === 0 ? 'pz' : 'px', `a${i}`, `x${1 + (i % 4)}`, (i % 3) * D + i * 60_000, {
      version: i % 7 === 0 ? null : ['1.0', '2.0', '3.0'][i % 3]!,
      stage: i % 11 === 0 ? null : 'production',
      user: i % 5 === 0 ? null : `u${i % 9}`,
      unhandled: i % 2 === 0,
    }),
  );
}

interface Target {
  kind: 'sqlite' | 'postgres';
  url: string;
  dest: Destination;
  sql: Sql;
}

const targets: Target[] = [];
let page = 0;

async function open(kind: Target['kind']): Promise<Target> {
  const url = kind === 'sqlite' ? `sqlite:${join(dir.dir, 'rollup.db')}` : pgDestinationUrl(schema);
  const dest = await openDestination(url);
  await dest.prepare(STREAMS.map(descriptorOf));
  const sql = kind === 'sqlite' ? sqliteSql(join(dir.dir, 'rollup.db')) : await postgresSql(schema);
  await insertScenario(sql);
  await sql.run(
    `INSERT INTO releases (project_id, id, release_time, app_version, release_stage, errors_introduced_count,
       total_sessions_count, unhandled_sessions_count, _record, _synced_at)
     VALUES ('pz', 'z1', ?, '1.0', 'production', 1, 10, 1, '{}', ?), ('pz', 'z2', ?, '3.0', NULL, 0, 5, 0, '{}', ?),
       ('px', 'r3', ?, '3.0', 'production', 0, 0, 0, '{}', ?)`,
    [at(-D), at(0), at(0), at(0), at(D), at(0)],
  );
  return { kind, url, dest, sql };
}

async function write(records: DestinationRecord[]): Promise<void> {
  page++;
  for (const t of targets)
    await t.dest.writePage('events', records, { sourceId: 's1', partition: 'project:px', state: { page } });
}

const sorted = (rows: Array<Record<string, unknown>>) =>
  rows.map((r) => JSON.stringify(r)).sort((a, b) => a.localeCompare(b));

/** Each rolled-up view's rows in PostgreSQL equal its plain form's and SQLite's; returns PostgreSQL's. */
async function expectSame(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const name of ROLLED) {
    const view = VIEWS.find((v) => v.name === name)!;
    const [lite, pgt] = targets;
    const fromRollup = sorted(await pgt!.sql.all(`SELECT * FROM ${name}`));
    expect(fromRollup, `${name}: the rollup's rows against every event aggregated`).toEqual(
      sorted(await pgt!.sql.all(view.sql(postgresPlainDialect))),
    );
    expect(fromRollup, `${name}: PostgreSQL's rows against SQLite's`).toEqual(
      sorted(await lite!.sql.all(`SELECT * FROM ${name}`)),
    );
    out[name] = fromRollup;
  }
  return out;
}

/** events counted per UTC day in the rollup, for a direct look at double counting. */
const rolledEvents = async () =>
  Number(
    (
      await adminQuery<{ n: string }>(`SELECT COALESCE(SUM(events), 0) AS n FROM "${schema}"._snagsync_rollup_daily`)
    )[0]!.n,
  );
const eventRows = async () =>
  Number(
    (await adminQuery<{ n: string }>(`SELECT COUNT(*) AS n FROM "${schema}".events WHERE received_at IS NOT NULL`))[0]!
      .n,
  );

describe.runIf(HAS_PG)('the rollups behind errors_daily and release_health', () => {
  beforeAll(async () => {
    targets.push(await open('sqlite'), await open('postgres'));
    await write(pageA().slice(0, 20)); // rows the first apply fills the rollups from
    for (const t of targets) expect((await applyModels(t.url)).views.every((v) => v.status === 'created')).toBe(true);
  });
  afterAll(async () => {
    for (const t of targets) {
      await t.sql.close();
      await t.dest.close();
    }
    await dropSchema(schema);
    dir.cleanup();
  });

  it('are filled by the first apply from the events already there', async () => {
    expect(await rolledEvents()).toBe(await eventRows());
    await expectSame();
  });

  it('count a page of new events once', async () => {
    await write(pageA());
    expect(await rolledEvents()).toBe(await eventRows());
    await expectSame();
  });

  it('count a replayed page not at all', async () => {
    const before = await expectSame();
    await write(pageA());
    await write(pageA().slice(10, 30));
    expect(await expectSame()).toEqual(before);
  });

  it('move an event that changed: user, version, day, release stage (a summary row, then its full report)', async () => {
    await write(
      pageA()
        .slice(0, 15)
        .map((r, i) =>
          event(String(r.project_id), String(r.id), String(r.error_id), (i % 4) * D + 5 * H + i, {
            version: i % 2 ? '2.0' : '3.0',
            stage: i % 3 ? null : 'production',
            user: i % 4 ? `w${i}` : null,
            unhandled: i % 3 === 0,
          }),
        ),
    );
    expect(await rolledEvents()).toBe(await eventRows());
    await expectSame();
  });

  it('follow deletion marks (kept rows) and a purge (removed rows)', async () => {
    // A full pass that saw only a few of px's events: the others are marked, then purged.
    const since = new Date(Date.now() + 5).toISOString();
    while (Date.now() <= Date.parse(since)) {
      // past `since`, so the next page counts as seen by the pass (no timer is that precise)
    }
    await write(pageA().slice(1, 5));
    for (const t of targets) {
      const mark = { sourceId: 's1', scope: { project_id: 'px' }, seenSince: since, at: at(9 * D) };
      expect((await t.dest.markDeleted!('events', mark)).marked).toBeGreaterThan(0);
    }
    await expectSame();
    for (const t of targets) {
      const mark = { sourceId: 's1', scope: { project_id: 'px' }, seenSince: since, at: at(9 * D), purge: true };
      expect((await t.dest.markDeleted!('events', mark)).purged).toBeGreaterThan(0);
    }
    expect(await rolledEvents()).toBe(await eventRows());
    await expectSame();
  });

  it('are untouched by a page whose connection is killed before COMMIT', async () => {
    const before = await expectSame();
    const c = new pg.Client({ connectionString: postgresUrl() });
    await c.connect();
    c.on('error', () => undefined); // the termination below
    await c.query('BEGIN');
    await c.query(
      `INSERT INTO "${schema}".events (project_id, id, error_id, received_at, app_version, user_id, _record, _synced_at)
       SELECT 'px', 'k' || n, 'x1', now(), '1.0', 'k' || n, '{}', now() FROM generate_series(1, 50) n`,
    );
    const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    await adminQuery('SELECT pg_terminate_backend($1)', [pid]);
    await c.end().catch(() => undefined);
    expect(await expectSame()).toEqual(before);
  });

  it('are emptied by a TRUNCATE of the events, and count again from there', async () => {
    await targets[0]!.sql.run('DELETE FROM events'); // SQLite has no TRUNCATE
    await adminQuery(`TRUNCATE "${schema}".events`);
    expect(await rolledEvents()).toBe(0);
    await write(pageA().slice(30));
    expect(await rolledEvents()).toBe(await eventRows());
    await expectSame();
  });

  it('are rebuilt by the next apply when a trigger went missing, then kept again', async () => {
    await adminQuery(`DROP TRIGGER _snagsync_daily_ins ON "${schema}".events`);
    await write(
      pageA()
        .slice(0, 30)
        .map((r) => ({ ...r, id: `b${String(r.id)}` })),
    ); // not counted: no trigger
    expect(await rolledEvents()).toBeLessThan(await eventRows());
    await applyModels(targets[1]!.url);
    expect(await rolledEvents()).toBe(await eventRows());
    await write(pageA().map((r) => ({ ...r, id: `c${String(r.id)}` })));
    expect(await rolledEvents()).toBe(await eventRows());
    await expectSame();
  });

  it('let events be written when a rollup table was dropped by hand, and are rebuilt by the next apply', async () => {
    await adminQuery(`DROP TABLE "${schema}"._snagsync_rollup_release_users`);
    await write(pageA().map((r) => ({ ...r, id: `d${String(r.id)}` })));
    await applyModels(targets[1]!.url);
    await write(pageA().map((r) => ({ ...r, id: `e${String(r.id)}` })));
    await expectSame();
  });
});
