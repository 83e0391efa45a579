import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDestination } from '../../src/destinations/index.js';
import { applyModels, VIEWS } from '../../src/destinations/models/index.js';
import { startRun } from '../../src/engine/index.js';
import type { Simulator } from '../../src/sim/index.js';
import { descriptorOf, getStream } from '../../src/streams/catalog.js';
import { makeHome, startSim, type Home } from '../engine/helpers.js';
import { requireService } from '../helpers/services.js';
import { at, insertScenario, postgresSql, type Sql, sqliteSql } from './models-fixture.js';
import { dropSchema, pgDestinationUrl, uniqueSchema } from './pg-schema.js';

/**
 * The analytics views on a destination synced from the simulator, plus hand-made rows with known times (project
 * `px`, `py`: models-fixture.ts): each view returns exactly the expected figures, with the same assertions on SQLite
 * and PostgreSQL; applying twice changes nothing; a missing table skips a view with its reason.
 */
const HAS_PG = requireService('postgres');
type Kind = 'sqlite' | 'postgres';
const KINDS: Kind[] = HAS_PG ? ['sqlite', 'postgres'] : ['sqlite'];
const H = 3600;
const STREAMS = ['projects', 'errors', 'events', 'releases'];

let sim: Simulator;
let h: Home;
const schemas: string[] = [];

beforeAll(async () => {
  sim = await startSim({ orgs: 1, projects: 1, errors: 15, events: 200, releases: 4 });
  h = await makeHome(sim);
});

afterAll(async () => {
  await h?.cleanup();
  await sim?.close();
  for (const s of schemas) await dropSchema(s);
});

function place(kind: Kind, name: string): { url: string; open: () => Promise<Sql> } {
  if (kind === 'sqlite') {
    const path = join(h.home, `${name}.db`);
    return { url: `sqlite:${path}`, open: async () => sqliteSql(path) };
  }
  const schema = uniqueSchema('snag_models');
  schemas.push(schema);
  return { url: pgDestinationUrl(schema), open: () => postgresSql(schema) };
}

describe.each(KINDS)('analytics views in a %s destination', (kind) => {
  let url: string;
  let sql: Sql;

  beforeAll(async () => {
    const p = place(kind, 'views');
    url = p.url;
    const source = await h.source({ destination: url, streams: STREAMS });
    const s = await (await startRun(h.runtime, source.name)).done;
    expect(s.status, JSON.stringify(s.error)).toBe('succeeded');
    sql = await p.open();
    await insertScenario(sql);
  });

  afterAll(async () => {
    await sql?.close();
  });

  it('creates every view', async () => {
    const r = await applyModels(url);
    expect(r.kind).toBe(kind);
    expect(r.views).toEqual(VIEWS.map((v) => ({ name: v.name, status: 'created' })));
  });

  it('error_lifecycle: first seen, first fixed, last reopened, reopens, time to first fix, open now', async () => {
    const rows = await sql.all(
      `SELECT error_id, status, first_seen, first_fixed_at, last_reopened_at, reopen_count, time_to_first_fix, open_now
       FROM error_lifecycle WHERE project_id = 'px' ORDER BY error_id`,
    );
    const row = (
      error_id: string,
      status: string,
      first_seen: string,
      first_fixed_at: string | null,
      last_reopened_at: string | null,
      reopen_count: number,
      time_to_first_fix: number | null,
      open_now: number,
    ) => ({
      error_id,
      status,
      first_seen,
      first_fixed_at,
      last_reopened_at,
      reopen_count,
      time_to_first_fix,
      open_now,
    });
    const D = 24 * H * 1000;
    expect(rows).toEqual([
      row('x1', 'fixed', at(0), at(2 * H * 1000), at(5 * H * 1000), 1, 2 * H, 0),
      row('x2', 'open', at(D), at(D + (H / 6) * 1000), at(2 * D), 1, 600, 1),
      row('x3', 'fixed', at(-10 * D), at(D), null, 0, null, 0),
      row('x4', 'open', at(0), null, null, 0, null, 1),
      row('x5', 'fixed', at(0), at(3 * H * 1000), null, 0, 3 * H, 0),
      row('x6', 'fixed', at(0), at(2 * H * 1000), null, 0, 2 * H, 0),
    ]);
  });

  it('mttr: median and p90 time to fix by project, severity and team', async () => {
    const rows = await sql.all(
      `SELECT severity, assigned_team_id, fixes, median_seconds_to_fix, p90_seconds_to_fix
       FROM mttr WHERE project_id = 'px' ORDER BY severity`,
    );
    // error/tb: 3,600 (x1's second fix), 7,200 (x1's first: from its first event, through a change of team),
    // 10,800 (x5) — not x6, fixed from snoozed; p90 at rank 1 + 0.9 × 2 = 2.8: 7,200 + 0.8 × 3,600.
    expect(rows).toEqual([
      {
        severity: 'error',
        assigned_team_id: 'tb',
        fixes: 3,
        median_seconds_to_fix: 7200,
        p90_seconds_to_fix: 10080,
      },
      { severity: 'warning', assigned_team_id: null, fixes: 1, median_seconds_to_fix: 600, p90_seconds_to_fix: 600 },
    ]);
  });

  it('errors_daily: new errors, events, users, fixed and reopened per UTC day', async () => {
    const rows = await sql.all(
      `SELECT CAST(day AS text) AS day, new_errors, events, users, fixed, reopened
       FROM errors_daily WHERE project_id = 'px' ORDER BY day`,
    );
    const day = (d: string, new_errors: number, events: number, users: number, fixed: number, reopened: number) => ({
      day: d,
      new_errors,
      events,
      users,
      fixed,
      reopened,
    });
    expect(rows).toEqual([
      day('2026-02-19', 1, 0, 0, 0, 0),
      day('2026-03-01', 4, 3, 2, 4, 1),
      day('2026-03-02', 1, 2, 1, 1, 0),
      day('2026-03-03', 0, 1, 1, 0, 1),
    ]);
  });

  it('release_health: errors introduced and reopened, events, users, unhandled rates per release', async () => {
    const rows = await sql.all(
      `SELECT app_version, released_at, builds, errors_introduced, errors_introduced_reported, events, users,
         unhandled_event_rate, sessions, unhandled_session_rate, errors_reopened
       FROM release_health WHERE project_id = 'px' ORDER BY app_version`,
    );
    expect(rows).toEqual([
      {
        app_version: '1.0',
        released_at: at(-24 * H * 1000),
        builds: 2,
        errors_introduced: 1,
        errors_introduced_reported: 3,
        events: 3,
        users: 1,
        unhandled_event_rate: 1 / 3,
        sessions: 150,
        unhandled_session_rate: 5 / 150,
        errors_reopened: 0,
      },
      {
        app_version: '2.0',
        released_at: at(24 * H * 1000),
        builds: 1,
        errors_introduced: 1,
        errors_introduced_reported: 1,
        events: 3,
        users: 2,
        unhandled_event_rate: 1 / 3,
        sessions: 0,
        unhandled_session_rate: null,
        errors_reopened: 2,
      },
    ]);
  });

  it('top_errors_7d: events and users of the last 7 days per error, ranked in its project', async () => {
    const rows = await sql.all(
      `SELECT error_id, error_class, message, events_7d, users_7d, rank_in_project
       FROM top_errors_7d WHERE project_id = 'py' ORDER BY rank_in_project`,
    );
    expect(rows).toEqual([
      {
        error_id: 'y1',
        error_class: 'Classy1',
        message: 'message of y1',
        events_7d: 2,
        users_7d: 2,
        rank_in_project: 1,
      },
      {
        error_id: 'y2',
        error_class: 'Classy2',
        message: 'message of y2',
        events_7d: 1,
        users_7d: 0,
        rank_in_project: 2,
      },
    ]);
  });

  it('over the synced errors: a lifecycle row per error, and as many fixes as error_history shows open → fixed', async () => {
    const synced = await sql.all(`SELECT project_id, id FROM errors WHERE project_id NOT IN ('px', 'py')`);
    expect(synced.length).toBe(15);
    const lifecycle = await sql.all(`SELECT error_id FROM error_lifecycle WHERE project_id NOT IN ('px', 'py')`);
    expect(lifecycle.map((r) => r.error_id).sort()).toEqual(synced.map((r) => r.id).sort());
    // The same count computed in JS from the intervals, status spell by status spell.
    const history = await sql.all(
      `SELECT error_id, status FROM error_history WHERE project_id NOT IN ('px', 'py') ORDER BY error_id, valid_from`,
    );
    let fixes = 0;
    let prev: { error_id: unknown; status: unknown } | null = null;
    let spellStatus: unknown = null;
    for (const r of history) {
      if (!prev || prev.error_id !== r.error_id) spellStatus = null;
      if (r.status !== spellStatus) {
        if (r.status === 'fixed' && spellStatus === 'open') fixes++;
        spellStatus = r.status;
      }
      prev = { error_id: r.error_id, status: r.status };
    }
    const mttr = await sql.all(`SELECT SUM(fixes) AS n FROM mttr WHERE project_id NOT IN ('px', 'py')`);
    expect(Number(mttr[0]!.n ?? 0)).toBe(fixes);
  });

  it('applying again replaces the views and changes no data', async () => {
    const count = async () =>
      sql.all(
        `SELECT (SELECT COUNT(*) FROM errors) AS errors, (SELECT COUNT(*) FROM events) AS events,
           (SELECT COUNT(*) FROM error_history) AS history, (SELECT COUNT(*) FROM releases) AS releases`,
      );
    const before = await count();
    const lifecycle = await sql.all('SELECT * FROM error_lifecycle ORDER BY project_id, error_id');
    const again = await applyModels(url);
    expect(again.views.every((v) => v.status === 'created')).toBe(true);
    expect(await count()).toEqual(before);
    expect(await sql.all('SELECT * FROM error_lifecycle ORDER BY project_id, error_id')).toEqual(lifecycle);
  });
});

describe.each(KINDS)('views a %s destination cannot hold yet', (kind) => {
  it('are skipped with the reason; a table with a view’s name is left alone', async () => {
    const p = place(kind, 'partial');
    const dest = await openDestination(p.url);
    await dest.prepare([descriptorOf(getStream('errors'))]);
    await dest.close();
    const sql = await p.open();
    try {
      await sql.run('CREATE TABLE top_errors_7d (kept integer)');
      await sql.run('INSERT INTO top_errors_7d VALUES (7)');
      const r = await applyModels(p.url);
      const by = Object.fromEntries(r.views.map((v) => [v.name, v]));
      expect(by.error_lifecycle!.status).toBe('created');
      expect(by.mttr!.status).toBe('created');
      expect(by.errors_daily).toEqual({
        name: 'errors_daily',
        status: 'skipped',
        reason: 'the destination has no events table yet (sync the events stream first)',
      });
      expect(by.release_health!.reason).toBe(
        'the destination has no releases, events tables yet (sync the releases, events streams first)',
      );
      expect(by.top_errors_7d!.reason).toMatch(/a table named top_errors_7d exists/);
      expect(await sql.all('SELECT kept FROM top_errors_7d')).toEqual([{ kept: 7 }]);
      expect(await sql.all('SELECT COUNT(*) AS n FROM mttr')).toEqual([{ n: 0 }]);
    } finally {
      await sql.close();
    }
  });
});

describe('a JSONL destination', () => {
  it('has no views: said so', async () => {
    await expect(applyModels(`jsonl:${join(h.home, 'files')}`)).rejects.toMatchObject({
      code: 'config',
      message: expect.stringMatching(/SQLite and PostgreSQL destinations.*JSONL folder/),
    });
  });
});
