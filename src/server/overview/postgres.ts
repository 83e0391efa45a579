import { createPool, endpointOf } from '../../destinations/postgres/connect.js';
import { pgDestinationError } from '../../destinations/postgres/errors.js';
import { qualified } from '../../destinations/postgres/schema.js';
import type { PostgresTarget } from '../../destinations/postgres/url.js';
import type { DayCount, DestinationFigures } from './aggregate.js';

/**
 * The Overview's figures from a PostgreSQL destination, like SQLite's: one GROUP BY per chart over the charted window
 * (the window starts `windowDays - 1` days before the newest event's day), on a connection whose transactions are
 * read-only.
 */
export async function postgresFigures(target: PostgresTarget, windowDays: number): Promise<DestinationFigures> {
  const pool = createPool(target, { max: 1, readOnly: true, connectTimeoutMs: 5000 });
  const out: DestinationFigures = {
    kind: 'postgres',
    events: null,
    stability: null,
    projectNames: new Map(),
    notes: [],
  };
  try {
    const cols = await pool.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name IN ('events', 'stability_trend', 'projects')`,
      [target.schema],
    );
    const has = (table: string, ...columns: string[]) =>
      columns.every((c) => cols.rows.some((r) => r.table_name === table && r.column_name === c));
    const t = (name: string) => qualified(target.schema, name);
    if (has('events', 'project_id', 'received_at')) {
      const r = await pool.query<DayCount>(
        `WITH newest AS (SELECT date_trunc('day', max(received_at) AT TIME ZONE 'UTC') AS d FROM ${t('events')})
         SELECT project_id AS project, to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*)::int AS value
         FROM ${t('events')}, newest
         WHERE received_at >= (newest.d - make_interval(days => $1)) AT TIME ZONE 'UTC' AND project_id IS NOT NULL
         GROUP BY 1, 2`,
        [windowDays - 1],
      );
      out.events = r.rows;
    }
    if (has('stability_trend', 'project_id', 'bucket_start', 'unhandled_rate', 'total_sessions_count')) {
      const r = await pool.query<{
        project: string;
        day: string;
        weighted: number | null;
        sessions: number | null;
        rate: number | null;
      }>(
        `SELECT project_id AS project, to_char(bucket_start AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
                sum(CASE WHEN total_sessions_count > 0 AND unhandled_rate IS NOT NULL THEN total_sessions_count * unhandled_rate END)::float8 AS weighted,
                sum(CASE WHEN total_sessions_count > 0 AND unhandled_rate IS NOT NULL THEN total_sessions_count END)::float8 AS sessions,
                avg(unhandled_rate)::float8 AS rate
         FROM ${t('stability_trend')} WHERE bucket_start IS NOT NULL GROUP BY 1, 2`,
      );
      out.stability = r.rows.flatMap((row) => {
        const unhandled = row.sessions ? (row.weighted ?? 0) / row.sessions : row.rate;
        return unhandled === null ? [] : [{ project: row.project, day: row.day, value: 1 - unhandled }];
      });
    }
    if (has('projects', 'id', 'name')) {
      const r = await pool.query<{ id: string; name: string }>(
        `SELECT id, name FROM ${t('projects')} WHERE name IS NOT NULL`,
      );
      for (const row of r.rows) out.projectNames.set(row.id, row.name);
    }
    return out;
  } catch (err) {
    throw pgDestinationError(err, endpointOf(target));
  } finally {
    await pool.end();
  }
}
