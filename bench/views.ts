// Each analytics view's query time (`SELECT * FROM view`, every row fetched) on a PostgreSQL destination of
// 1,000,000 events: the tables made by the destination's own `prepare` (so the indexes are the real ones), rows
// generated in SQL with generate_series and a fixed seed, the views applied by `applyModels`. Goal: ≤ 1 s per view.
// Also what the events' rollups (src/destinations/models/rollups.ts) cost: the first apply (rollups filled, lookup
// index built), an apply that finds them in place, and a page of 1,000 events upserted (new, then replayed) without
// and with their triggers; and that each view gives the same rows as its plain form (every event aggregated).
// Run: npx tsx bench/views.ts [--events 1000000] [--errors 10000] [--runs 5] [--keep]   (prints one JSON line)
// --keep leaves the schema (named in the line) for EXPLAIN ANALYZE; drop it afterwards.
// The server: SNAGSYNC_BENCH_PG (default postgres://postgres@127.0.0.1:5432/test); a schema of its own, dropped after.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDestination } from '../src/destinations/index.js';
import { applyModels, postgresPlainDialect, VIEWS } from '../src/destinations/models/index.js';
import { descriptorOf, STREAMS } from '../src/streams/catalog.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const events = arg('events', 1_000_000);
const errorCount = arg('errors', 10_000);
const runs = arg('runs', 5);
const PROJECTS = 4;
const perProject = Math.ceil(errorCount / PROJECTS);
const server = process.env.SNAGSYNC_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const keep = process.argv.includes('--keep');
const schema = `snag_views_${randomBytes(4).toString('hex')}`;
const url = `${server}${server.includes('?') ? '&' : '?'}schema=${schema}`;

const c = new pg.Client({ connectionString: server });
await c.connect();
const timed = async (sql: string) => {
  const start = performance.now();
  const r = await c.query(sql);
  return { ms: performance.now() - start, rows: r.rowCount ?? 0 };
};

try {
  const dest = await openDestination(url);
  await dest.prepare(STREAMS.map(descriptorOf));
  await dest.close();
  await c.query(`SET search_path TO "${schema}"`);
  await c.query('SELECT setseed(0.42)');
  const load = performance.now();
  // Errors: 4 projects, a severity and a team each.
  await c.query(`INSERT INTO errors (project_id, id, error_class, message, status, severity, assigned_team_id, _record, _synced_at)
    SELECT 'p' || p, 'e' || p || '_' || i, 'Class' || (i % 50), 'message ' || i, 'open',
      (ARRAY['error', 'warning', 'info'])[1 + i % 3], 't' || (i % 7), '{}'::jsonb, now()
    FROM generate_series(1, ${PROJECTS}) p, generate_series(1, ${perProject}) i`);
  // Events over the last 30 days, skewed towards a few errors (as real ones are), 20,000 users, 10 versions.
  await c.query(`INSERT INTO events (project_id, id, error_id, received_at, severity, unhandled, release_stage, app_version,
      user_id, _record, _synced_at)
    SELECT 'p' || p, 'v' || n, 'e' || p || '_' || (1 + floor(${perProject} * power(random(), 3))::int),
      now() - random() * interval '30 days', 'error', random() < 0.3,
      CASE WHEN random() < 0.8 THEN 'production' ELSE 'staging' END, '1.' || floor(random() * 10)::int,
      'u' || floor(random() * 20000)::int, '{}'::jsonb, now()
    FROM (SELECT n, 1 + n % ${PROJECTS} AS p FROM generate_series(1, ${events}) n) s`);
  // Each error first and last seen at its events (the first event is what release_health looks for).
  await c.query(`UPDATE errors e SET first_seen_unfiltered = m.first, last_seen_unfiltered = m.last
    FROM (SELECT project_id, error_id, MIN(received_at) AS first, MAX(received_at) AS last FROM events GROUP BY 1, 2) m
    WHERE m.project_id = e.project_id AND m.error_id = e.id`);
  await c.query(
    `UPDATE errors SET first_seen_unfiltered = now() - interval '31 days' WHERE first_seen_unfiltered IS NULL`,
  );
  // History: every error open from its first event; 2 in 5 fixed hours later; 1 in 20 reopened after its fix.
  await c.query(`WITH t AS (SELECT project_id, id, severity, assigned_team_id, first_seen_unfiltered AS f,
        (hashtext(id) & 1023) AS h FROM errors),
      u AS (SELECT *, f + (1 + h % 97) * interval '1 hour' AS fixed_at,
        f + (1 + h % 97) * interval '1 hour' + (1 + h % 13) * interval '1 hour' AS reopened_at FROM t)
    INSERT INTO error_history (project_id, error_id, status, severity, assigned_collaborator_id, assigned_team_id,
      valid_from, valid_to, observed_by)
    SELECT project_id, id, 'open', severity, NULL, assigned_team_id, f, CASE WHEN h % 5 < 2 THEN fixed_at END, 'full_pass' FROM u
    UNION ALL
    SELECT project_id, id, 'fixed', severity, NULL, assigned_team_id, fixed_at, CASE WHEN h % 20 = 0 THEN reopened_at END,
      'full_pass' FROM u WHERE h % 5 < 2
    UNION ALL
    SELECT project_id, id, 'open', severity, NULL, assigned_team_id, reopened_at, NULL, 'full_pass' FROM u WHERE h % 20 = 0`);
  await c.query(`INSERT INTO releases (project_id, id, release_time, app_version, release_stage, errors_introduced_count,
      total_sessions_count, unhandled_sessions_count, _record, _synced_at)
    SELECT 'p' || p, 'r' || p || '_' || v || s, now() - (30 - 3 * v) * interval '1 day', '1.' || v, s, v,
      10000 + v * 100, 10 * v, '{}'::jsonb, now()
    FROM generate_series(1, ${PROJECTS}) p, generate_series(0, 9) v, unnest(ARRAY['production', 'staging']) s`);
  // What autovacuum does after a bulk load: statistics, and the visibility map index-only probes rely on.
  await c.query('VACUUM ANALYZE');
  const loadMs = performance.now() - load;
  // A page of 1,000 events upserted as the destination does (INSERT … ON CONFLICT DO UPDATE), new then replayed,
  // each in its own transaction: the median of 5 pages, before the rollups' triggers exist and after.
  let page = 0;
  const pageCost = async () => {
    const times = { new_ms: [] as number[], replayed_ms: [] as number[] };
    for (let i = 0; i < 5; i++) {
      const from = ++page * 1000;
      const sql = `INSERT INTO events (project_id, id, error_id, received_at, severity, unhandled, release_stage,
          app_version, user_id, _record, _synced_at)
        SELECT 'p' || (1 + n % ${PROJECTS}), 'w' || n, 'e' || (1 + n % ${PROJECTS}) || '_' || (1 + n % ${perProject}),
          now() - (n % 1000) * interval '1 minute', 'error', n % 3 = 0, 'production', '1.' || (n % 10), 'u' || (n % 20000),
          '{}'::jsonb, now()
        FROM generate_series(${from}, ${from + 999}) n
        ON CONFLICT (project_id, id) DO UPDATE SET error_id = EXCLUDED.error_id, received_at = EXCLUDED.received_at,
          unhandled = EXCLUDED.unhandled, release_stage = EXCLUDED.release_stage, app_version = EXCLUDED.app_version,
          user_id = EXCLUDED.user_id, _record = EXCLUDED._record, _synced_at = EXCLUDED._synced_at, _deleted_at = NULL`;
      for (const key of ['new_ms', 'replayed_ms'] as const) {
        const start = performance.now();
        await c.query('BEGIN');
        await c.query(sql);
        await c.query('COMMIT');
        times[key].push(performance.now() - start);
      }
    }
    const median = (xs: number[]) => Math.round(xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]! * 10) / 10;
    return { new_ms: median(times.new_ms), replayed_ms: median(times.replayed_ms) };
  };
  const pageWithout = await pageCost();
  let start = performance.now();
  const applied = await applyModels(url);
  const applyFirstMs = performance.now() - start;
  start = performance.now();
  await applyModels(url);
  const applyAgainMs = performance.now() - start;
  const pageWith = await pageCost();
  await c.query('ANALYZE');
  const counts = (
    await c.query(
      'SELECT (SELECT COUNT(*) FROM events) AS events, (SELECT COUNT(*) FROM errors) AS errors, (SELECT COUNT(*) FROM error_history) AS history',
    )
  ).rows[0] as Record<string, string>;

  const views: Record<
    string,
    { median_ms: number; min_ms: number; max_ms: number; rows: number; same_as_plain: boolean }
  > = {};
  for (const v of VIEWS) {
    await timed(`SELECT * FROM "${v.name}"`); // warm the cache: the figure is a query's, not the disk's
    const ms: number[] = [];
    let rows = 0;
    for (let i = 0; i < runs; i++) {
      const r = await timed(`SELECT * FROM "${v.name}"`);
      ms.push(r.ms);
      rows = r.rows;
    }
    ms.sort((a, b) => a - b);
    // The same rows as the plain form (every event aggregated, no rollup): both differences empty.
    const plain = v.sql(postgresPlainDialect);
    const diff = await c.query(
      `SELECT (SELECT COUNT(*) FROM ((SELECT * FROM "${v.name}") EXCEPT ALL (${plain})) a) +
         (SELECT COUNT(*) FROM ((${plain}) EXCEPT ALL (SELECT * FROM "${v.name}")) b) AS n`,
    );
    views[v.name] = {
      median_ms: Math.round(ms[Math.floor(ms.length / 2)]!),
      min_ms: Math.round(ms[0]!),
      max_ms: Math.round(ms[ms.length - 1]!),
      rows,
      same_as_plain: Number((diff.rows[0] as { n: string }).n) === 0,
    };
  }
  const version = (await c.query('SHOW server_version')).rows[0] as { server_version: string };
  console.log(
    JSON.stringify({
      bench: 'views',
      ...(keep ? { schema } : {}),
      postgres: version.server_version,
      events: Number(counts.events),
      errors: Number(counts.errors),
      error_history: Number(counts.history),
      load_s: Math.round(loadMs / 100) / 10,
      applied: applied.views.map((v) => `${v.name}: ${v.status}`),
      apply_first_s: Math.round(applyFirstMs / 100) / 10,
      apply_again_ms: Math.round(applyAgainMs),
      page_1000_events: { without_rollups: pageWithout, with_rollups: pageWith },
      runs,
      views,
      goal_ms: 1000,
      within_goal: Object.values(views).every((v) => v.median_ms <= 1000),
      same_rows: Object.values(views).every((v) => v.same_as_plain),
    }),
  );
} finally {
  if (!keep) await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await c.end();
}
