import Database from 'better-sqlite3';
import pg from 'pg';
import { postgresUrl } from '../helpers/services.js';

/**
 * A way to run SQL on a SQLite file or a PostgreSQL schema with the same text and the same answers: `?` parameters
 * (numbered for PostgreSQL), rows with timestamps as ISO strings, dates as YYYY-MM-DD, counts as numbers and booleans
 * as 0/1 — so the views' tests assert the same figures on both.
 */
export interface Sql {
  run(sql: string, params?: unknown[]): Promise<void>;
  all(sql: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

export function sqliteSql(path: string): Sql {
  const db = new Database(path);
  const bind = (params: unknown[]) => params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
  return {
    run: async (sql, params = []) => void db.prepare(sql).run(...bind(params)),
    all: async (sql, params = []) =>
      (db.prepare(sql).all(...bind(params)) as Array<Record<string, unknown>>).map((r) => normalize(r)),
    close: async () => void db.close(),
  };
}

const TYPES = {
  getTypeParser: (oid: number, format?: string) => {
    // int8 (COUNT), numeric: numbers; date: its text; the rest as the driver reads them.
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    if (oid === 1082) return (v: string) => v;
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

export async function postgresSql(schema: string): Promise<Sql> {
  const c = new pg.Client({ connectionString: postgresUrl(), types: TYPES as pg.CustomTypesConfig });
  await c.connect();
  await c.query(`SET search_path TO "${schema}"`);
  const numbered = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  return {
    run: async (sql, params = []) => void (await c.query(numbered(sql), params)),
    all: async (sql, params = []) => (await c.query(numbered(sql), params)).rows.map((r) => normalize(r)),
    close: () => c.end(),
  };
}

function normalize(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row))
    out[k] = v instanceof Date ? v.toISOString() : typeof v === 'boolean' ? (v ? 1 : 0) : v;
  return out;
}

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const H = 3_600_000;
const D = 24 * H;
export const at = (ms: number) => new Date(T0 + ms).toISOString();
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

/**
 * Hand-made rows with known times in project `px` (history, errors, events, releases) and `py` (events of the last
 * days, for top_errors_7d); see the expected figures in models.test.ts.
 */
export async function insertScenario(sql: Sql): Promise<void> {
  const error = (id: string, project: string, status: string, severity: string, firstSeen: string) =>
    sql.run(
      `INSERT INTO errors (project_id, id, error_class, message, status, severity, first_seen_unfiltered, _record, _synced_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, '{}', ?)`,
      [project, id, `Class${id}`, `message of ${id}`, status, severity, firstSeen, at(0)],
    );
  await error('x1', 'px', 'fixed', 'error', at(0));
  await error('x2', 'px', 'open', 'warning', at(D));
  await error('x3', 'px', 'fixed', 'error', at(-10 * D));
  await error('x4', 'px', 'open', 'error', at(0));
  await error('x5', 'px', 'fixed', 'error', at(0));
  await error('x6', 'px', 'fixed', 'error', at(0));
  await error('y1', 'py', 'open', 'error', ago(30 * D));
  await error('y2', 'py', 'open', 'info', ago(30 * D));

  const interval = (
    id: string,
    status: string,
    severity: string,
    team: string | null,
    from: number,
    to: number | null,
  ) =>
    sql.run(
      `INSERT INTO error_history (project_id, error_id, status, severity, assigned_collaborator_id, assigned_team_id,
         valid_from, valid_to, observed_by) VALUES ('px', ?, ?, ?, NULL, ?, ?, ?, 'full_pass')`,
      [id, status, severity, team, at(from), to === null ? null : at(to)],
    );
  // x1: open (team ta, then tb), fixed after 2 h, reopened at 5 h, fixed again at 6 h.
  await interval('x1', 'open', 'error', 'ta', 0, H);
  await interval('x1', 'open', 'error', 'tb', H, 2 * H);
  await interval('x1', 'fixed', 'error', 'tb', 2 * H, 5 * H);
  await interval('x1', 'open', 'error', 'tb', 5 * H, 6 * H);
  await interval('x1', 'fixed', 'error', 'tb', 6 * H, null);
  // x2: a warning fixed after 10 minutes, snoozed, open again two days after T0.
  await interval('x2', 'open', 'warning', null, D, D + H / 6);
  await interval('x2', 'fixed', 'warning', null, D + H / 6, D + H);
  await interval('x2', 'snoozed', 'warning', null, D + H, 2 * D);
  await interval('x2', 'open', 'warning', null, 2 * D, null);
  // x3: first observed already fixed (when it was fixed is unknown).
  await interval('x3', 'fixed', 'error', null, D, null);
  // x4: open since its first event, never fixed.
  await interval('x4', 'open', 'error', 'tb', 0, null);
  // x5: fixed after 3 h.
  await interval('x5', 'open', 'error', 'tb', 0, 3 * H);
  await interval('x5', 'fixed', 'error', 'tb', 3 * H, null);

  // x6: open, snoozed after 1 h, then fixed at 2 h: fixed, but not from open (no time to fix).
  await interval('x6', 'open', 'error', 'tb', 0, H);
  await interval('x6', 'snoozed', 'error', 'tb', H, 2 * H);
  await interval('x6', 'fixed', 'error', 'tb', 2 * H, null);

  const event = (
    project: string,
    id: string,
    errorId: string,
    receivedAt: string,
    version: string,
    user: string | null,
    unhandled: boolean,
  ) =>
    sql.run(
      `INSERT INTO events (project_id, id, error_id, received_at, release_stage, app_version, user_id, unhandled, _record, _synced_at)
       VALUES (?, ?, ?, ?, 'production', ?, ?, ?, '{}', ?)`,
      [project, id, errorId, receivedAt, version, user, unhandled, at(0)],
    );
  await event('px', 'e1', 'x1', at(0), '1.0', 'u1', true);
  await event('px', 'e2', 'x1', at(H / 2), '1.0', 'u1', false);
  await event('px', 'e3', 'x1', at(4 * H), '2.0', 'u2', true);
  await event('px', 'e4', 'x2', at(D), '2.0', 'u3', false);
  await event('px', 'e5', 'x2', at(D + 5 * H), '2.0', null, false);
  await event('px', 'e6', 'x4', at(2 * D), '1.0', 'u1', false);
  await event('py', 'f1', 'y1', ago(H), '9.0', 'u1', false);
  await event('py', 'f2', 'y1', ago(2 * D), '9.0', 'u2', false);
  await event('py', 'f3', 'y2', ago(3 * D), '9.0', null, false);
  await event('py', 'f4', 'y2', ago(8 * D), '9.0', 'u9', false);

  const release = (
    id: string,
    version: string,
    time: string,
    introduced: number,
    sessions: number,
    unhandled: number,
  ) =>
    sql.run(
      `INSERT INTO releases (project_id, id, release_time, app_version, release_stage, errors_introduced_count,
         total_sessions_count, unhandled_sessions_count, _record, _synced_at)
       VALUES ('px', ?, ?, ?, 'production', ?, ?, ?, '{}', ?)`,
      [id, time, version, introduced, sessions, unhandled, at(0)],
    );
  await release('r1', '1.0', at(-D), 2, 100, 5);
  await release('r1b', '1.0', at(-D / 2), 1, 50, 0);
  await release('r2', '2.0', at(D), 1, 0, 0);
}
