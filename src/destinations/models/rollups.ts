import type pg from 'pg';
import { quoteId } from '../sqlite/schema.js';

/**
 * PostgreSQL rollups of `events` for the views that would otherwise aggregate every event (`errors_daily`,
 * `release_health`): counts of events, of distinct users and of unhandled events per project and UTC day, and per
 * project, release stage and app version. They are kept exact by statement-level triggers on `events` (one per
 * INSERT, UPDATE, DELETE and TRUNCATE), so they move in the same transaction as the rows — an upsert's inserts and
 * updates, a page replayed (its old and new rows cancel out), a deletion mark, a purge, a rollback or a kill -9
 * between pages all leave them equal to a full aggregation. `applyModels` creates them, fills them once from the
 * events and installs the triggers; a later apply finds them in place and does nothing.
 *
 * Distinct users cannot be summed across pages, so each rollup has a second table of events per user within its
 * group: a group's `users` moves by one when a user's count there leaves or reaches zero.
 */
export interface Rollup {
  /** The table the view reads: one row per group. */
  table: string;
  /** Events per user within each group (users not NULL): what the distinct count is kept from. */
  usersTable: string;
  /** The events columns it reads (its triggers fire on any change, but only these count). */
  reads: readonly string[];
  /** The grouping: each column's name, its expression over an events row, and whether it may be NULL. */
  dims: ReadonlyArray<{ name: string; expr: string; type: string; nullable: boolean }>;
  /** The events counted at all (the rest are not in the rollup). */
  where: string;
  /** Sums kept beside events and users, each of an integer expression over an events row. */
  sums: ReadonlyArray<{ name: string; expr: string }>;
}

/** Bump to rebuild every destination's rollups on the next apply (when what they count changes). */
export const ROLLUP_VERSION = 'snagsync rollup 1';

export const DAILY_ROLLUP: Rollup = {
  table: '_snagsync_rollup_daily',
  usersTable: '_snagsync_rollup_daily_users',
  reads: ['project_id', 'received_at', 'user_id'],
  dims: [
    { name: 'project_id', expr: 'project_id', type: 'text', nullable: false },
    { name: 'day', expr: `CAST((received_at AT TIME ZONE 'UTC') AS date)`, type: 'date', nullable: false },
  ],
  where: 'received_at IS NOT NULL',
  sums: [],
};

export const RELEASE_ROLLUP: Rollup = {
  table: '_snagsync_rollup_release',
  usersTable: '_snagsync_rollup_release_users',
  reads: ['project_id', 'release_stage', 'app_version', 'user_id', 'unhandled'],
  dims: [
    { name: 'project_id', expr: 'project_id', type: 'text', nullable: false },
    { name: 'release_stage', expr: 'release_stage', type: 'text', nullable: true },
    { name: 'app_version', expr: 'app_version', type: 'text', nullable: false },
  ],
  // An event without an app version belongs to no release (release_health joins on app_version).
  where: 'app_version IS NOT NULL',
  sums: [{ name: 'unhandled_events', expr: 'CASE WHEN unhandled THEN 1 ELSE 0 END' }],
};

export const ROLLUPS: readonly Rollup[] = [DAILY_ROLLUP, RELEASE_ROLLUP];

const q = quoteId;
const lit = (text: string) => `'${text.replace(/'/g, "''")}'`;
const prefix = (r: Rollup) => r.table.replace(/^_snagsync_rollup_/, '_snagsync_');
const triggerNames = (r: Rollup) => ['ins', 'upd', 'del', 'trunc'].map((op) => `${prefix(r)}_${op}`);

/** The unique key of a group, with a NULL kept apart from '' (no NULLS NOT DISTINCT: it needs PostgreSQL 15). */
function keyExprs(r: Rollup, withUser: boolean): string[] {
  const dims = r.dims.flatMap((d) =>
    d.nullable ? [`(COALESCE(${q(d.name)}, ''))`, `(${q(d.name)} IS NULL)`] : [q(d.name)],
  );
  return withUser ? [...dims, q('user_id')] : dims;
}

/** Tables and indexes (the partial indexes find the groups a change emptied, which are deleted). */
export function rollupDdl(schema: string, r: Rollup): string[] {
  const t = `${q(schema)}.${q(r.table)}`;
  const u = `${q(schema)}.${q(r.usersTable)}`;
  const dims = r.dims.map((d) => `${q(d.name)} ${d.type}${d.nullable ? '' : ' NOT NULL'}`);
  const sums = r.sums.map((s) => `${q(s.name)} bigint NOT NULL`);
  return [
    `CREATE TABLE IF NOT EXISTS ${t} (${[...dims, 'events bigint NOT NULL', 'users bigint NOT NULL', ...sums].join(', ')})`,
    `CREATE TABLE IF NOT EXISTS ${u} (${[...dims, 'user_id text NOT NULL', 'events bigint NOT NULL'].join(', ')})`,
    `CREATE UNIQUE INDEX IF NOT EXISTS ${q(`${r.table}_key`)} ON ${t} (${keyExprs(r, false).join(', ')})`,
    `CREATE UNIQUE INDEX IF NOT EXISTS ${q(`${r.usersTable}_key`)} ON ${u} (${keyExprs(r, true).join(', ')})`,
    `CREATE INDEX IF NOT EXISTS ${q(`${r.table}_empty`)} ON ${t} (${q(r.dims[0]!.name)}) WHERE events = 0`,
    `CREATE INDEX IF NOT EXISTS ${q(`${r.usersTable}_empty`)} ON ${u} (${q(r.dims[0]!.name)}) WHERE events = 0`,
  ];
}

/** Emptied and filled again from every event: once, when the rollup is new, was left without triggers, or changed. */
export function rollupFill(schema: string, r: Rollup): string[] {
  const t = `${q(schema)}.${q(r.table)}`;
  const u = `${q(schema)}.${q(r.usersTable)}`;
  const ev = `${q(schema)}.${q('events')}`;
  const dimNames = r.dims.map((d) => q(d.name));
  const dimExprs = r.dims.map((d) => `${d.expr} AS ${q(d.name)}`);
  const by = r.dims.map((_, i) => String(i + 1)).join(', ');
  return [
    `TRUNCATE ${t}, ${u}`,
    `INSERT INTO ${u} (${[...dimNames, 'user_id', 'events'].join(', ')})
     SELECT ${[...dimExprs, 'user_id', 'COUNT(*)'].join(', ')} FROM ${ev}
     WHERE ${r.where} AND user_id IS NOT NULL GROUP BY ${by}, ${r.dims.length + 1}`,
    `INSERT INTO ${t} (${[...dimNames, 'events', 'users', ...r.sums.map((s) => q(s.name))].join(', ')})
     SELECT ${[...dimExprs, 'COUNT(*)', 'COUNT(DISTINCT user_id)', ...r.sums.map((s) => `SUM(${s.expr})`)].join(', ')}
     FROM ${ev} WHERE ${r.where} GROUP BY ${by}`,
  ];
}

/**
 * The change a statement made, as signed rows: +1 for each row it inserted, −1 for each it deleted, both for an
 * update (the old row out, the new one in; an update that changed none of the columns read cancels out).
 */
const CHANGES: Record<'INSERT' | 'UPDATE' | 'DELETE', (cols: string) => string> = {
  INSERT: (cols) => `SELECT ${cols}, 1 AS sign FROM new_rows`,
  DELETE: (cols) => `SELECT ${cols}, -1 AS sign FROM old_rows`,
  UPDATE: (cols) => `SELECT ${cols}, -1 AS sign FROM old_rows UNION ALL SELECT ${cols}, 1 FROM new_rows`,
};

/** One statement applying a statement's change to the rollup: users per group first, then the group's counts. */
function applyChange(schema: string, r: Rollup, op: keyof typeof CHANGES): string {
  const t = `${q(schema)}.${q(r.table)}`;
  const u = `${q(schema)}.${q(r.usersTable)}`;
  const dims = r.dims.map((d) => q(d.name));
  const list = (a: string) => dims.map((d) => `${a}.${d}`).join(', ');
  const same = (a: string, b: string) =>
    r.dims
      .map((d) =>
        // Equalities only, so the join hashes (IS NOT DISTINCT FROM would loop over every pair of the page's rows).
        d.nullable
          ? `COALESCE(${a}.${q(d.name)}, '') = COALESCE(${b}.${q(d.name)}, '') AND (${a}.${q(d.name)} IS NULL) = (${b}.${q(d.name)} IS NULL)`
          : `${a}.${q(d.name)} = ${b}.${q(d.name)}`,
      )
      .join(' AND ');
  const cols = [
    ...r.dims.map((d) => `${d.expr} AS ${q(d.name)}`),
    'user_id',
    ...r.sums.map((s) => `${s.expr} AS ${q(s.name)}`),
  ];
  const conflict = (withUser: boolean) => keyExprs(r, withUser).join(', ');
  const sumNames = r.sums.map((s) => q(s.name));
  return `WITH src AS (
  SELECT * FROM (${CHANGES[op](`${cols.join(', ')}, ${r.where} AS counted`)}) c WHERE counted
),
d AS (
  SELECT ${dims.join(', ')}, user_id, SUM(sign) AS n${sumNames.map((s) => `, SUM(sign * ${s}) AS ${s}`).join('')}
  FROM src GROUP BY ${dims.join(', ')}, user_id
),
du AS (
  INSERT INTO ${u} AS t (${dims.join(', ')}, user_id, events)
  SELECT ${dims.join(', ')}, user_id, n FROM d WHERE user_id IS NOT NULL AND n <> 0
  ORDER BY ${dims.join(', ')}, user_id
  ON CONFLICT (${conflict(true)}) DO UPDATE SET events = t.events + EXCLUDED.events
  RETURNING ${dims.join(', ')}, user_id, events
),
flips AS (
  SELECT ${list('du')}, SUM(CASE WHEN du.events > 0 AND du.events - d.n <= 0 THEN 1
    WHEN du.events <= 0 AND du.events - d.n > 0 THEN -1 ELSE 0 END) AS users
  FROM du JOIN d ON ${same('du', 'd')} AND du.user_id = d.user_id
  GROUP BY ${list('du')}
),
merged AS (
  SELECT ${dims.join(', ')}, SUM(events) AS events, SUM(users) AS users${sumNames.map((s) => `, SUM(${s}) AS ${s}`).join('')}
  FROM (
    SELECT ${dims.join(', ')}, n AS events, 0 AS users${sumNames.map((s) => `, ${s}`).join('')} FROM d
    UNION ALL
    SELECT ${dims.join(', ')}, 0, users${sumNames.map(() => ', 0').join('')} FROM flips
  ) m
  GROUP BY ${dims.join(', ')}
)
INSERT INTO ${t} AS t (${[...dims, 'events', 'users', ...sumNames].join(', ')})
SELECT ${[...dims, 'events', 'users', ...sumNames].join(', ')} FROM merged
WHERE events <> 0 OR users <> 0${sumNames.map((s) => ` OR ${s} <> 0`).join('')}
ORDER BY ${dims.join(', ')}
ON CONFLICT (${conflict(false)}) DO UPDATE SET events = t.events + EXCLUDED.events, users = t.users + EXCLUDED.users${sumNames.map((s) => `, ${s} = t.${s} + EXCLUDED.${s}`).join('')}`;
}

/** The trigger function and its four triggers on `events`. */
export function rollupTriggers(schema: string, r: Rollup): string[] {
  const t = `${q(schema)}.${q(r.table)}`;
  const u = `${q(schema)}.${q(r.usersTable)}`;
  const ev = `${q(schema)}.${q('events')}`;
  const fn = `${q(schema)}.${q(`${prefix(r)}_rollup`)}()`;
  const [ins, upd, del, trunc] = triggerNames(r).map(q);
  const emptied = `DELETE FROM ${u} WHERE events = 0;\n    DELETE FROM ${t} WHERE events = 0;`;
  return [
    `CREATE OR REPLACE FUNCTION ${fn} RETURNS trigger LANGUAGE plpgsql AS $rollup$
BEGIN
  -- A rollup table dropped by hand: the events are written all the same; the next apply rebuilds it.
  IF to_regclass(${lit(t)}) IS NULL OR to_regclass(${lit(u)}) IS NULL THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'TRUNCATE' THEN
    TRUNCATE ${t}, ${u};
  ELSIF TG_OP = 'INSERT' THEN
    ${applyChange(schema, r, 'INSERT')};
  ELSIF TG_OP = 'UPDATE' THEN
    ${applyChange(schema, r, 'UPDATE')};
    ${emptied}
  ELSE
    ${applyChange(schema, r, 'DELETE')};
    ${emptied}
  END IF;
  RETURN NULL;
END
$rollup$`,
    `DROP TRIGGER IF EXISTS ${ins} ON ${ev}`,
    `DROP TRIGGER IF EXISTS ${upd} ON ${ev}`,
    `DROP TRIGGER IF EXISTS ${del} ON ${ev}`,
    `DROP TRIGGER IF EXISTS ${trunc} ON ${ev}`,
    `CREATE TRIGGER ${ins} AFTER INSERT ON ${ev} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}`,
    `CREATE TRIGGER ${upd} AFTER UPDATE ON ${ev} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}`,
    `CREATE TRIGGER ${del} AFTER DELETE ON ${ev} REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}`,
    `CREATE TRIGGER ${trunc} AFTER TRUNCATE ON ${ev} FOR EACH STATEMENT EXECUTE FUNCTION ${fn}`,
  ];
}

/**
 * Makes sure a rollup is in place and maintained, inside the caller's transaction: when its tables, any of its
 * triggers or its version mark are missing, it is created, filled from every event (the events table locked against
 * writes meanwhile, so no page lands between the fill and the triggers) and its triggers installed. Returns whether
 * it was (re)built.
 */
export async function ensureRollup(c: pg.PoolClient, schema: string, r: Rollup): Promise<boolean> {
  const names = triggerNames(r);
  const inPlace = async () => {
    const state = await c.query<{ triggers: string; mark: string | null; users: boolean }>(
      `SELECT (SELECT COUNT(*) FROM pg_trigger g JOIN pg_class k ON k.oid = g.tgrelid
             WHERE k.relnamespace = to_regnamespace($1) AND k.relname = 'events' AND g.tgname = ANY($2)) AS triggers,
            obj_description(to_regclass($3), 'pg_class') AS mark, to_regclass($4) IS NOT NULL AS users`,
      [q(schema), names, `${q(schema)}.${q(r.table)}`, `${q(schema)}.${q(r.usersTable)}`],
    );
    const s = state.rows[0]!;
    return Number(s.triggers) === names.length && s.mark === ROLLUP_VERSION && s.users;
  };
  if (await inPlace()) return false;
  // Locked before any rollup table is touched (a page writing meanwhile finishes first, its triggers included),
  // then looked at again: an apply running at the same time may have built it while this one waited.
  await c.query(`LOCK TABLE ${q(schema)}.${q('events')} IN SHARE ROW EXCLUSIVE MODE`);
  if (await inPlace()) return false;
  const [tables, indexes] = [rollupDdl(schema, r).slice(0, 2), rollupDdl(schema, r).slice(2)];
  // Filled without their indexes, which are built after: faster than keeping them up to date row by row.
  const dropIndexes = [`${r.table}_key`, `${r.usersTable}_key`, `${r.table}_empty`, `${r.usersTable}_empty`].map(
    (i) => `DROP INDEX IF EXISTS ${q(schema)}.${q(i)}`,
  );
  for (const sql of [...tables, ...dropIndexes, ...rollupFill(schema, r), ...indexes, ...rollupTriggers(schema, r)])
    await c.query(sql);
  await c.query(`COMMENT ON TABLE ${q(schema)}.${q(r.table)} IS '${ROLLUP_VERSION}'`);
  return true;
}

/**
 * The index release_health's PostgreSQL form probes (an error's events at a time; the release columns included, so
 * a probe need not read the table): without it, finding each error's first event and each reopen's is a pass over
 * every event. With the user included too, top_errors_7d reads the week's events from it in error order — an
 * index-only scan grouped as it goes — instead of fetching them from the table and sorting them. Created once by applyModels (writes to events wait
 * while it is built, seconds at a million events).
 */
export const EVENTS_LOOKUP_COLUMNS = [
  'project_id',
  'error_id',
  'received_at',
  'release_stage',
  'app_version',
  'user_id',
];

export function eventsLookupIndex(schema: string): string {
  return `CREATE INDEX IF NOT EXISTS ${q('_snagsync_events_error_received_at')} ON ${q(schema)}.${q('events')} (project_id, error_id, received_at) INCLUDE (release_stage, app_version, user_id)`;
}
