/**
 * The few expressions in which SQLite and PostgreSQL differ, for the analytics views (models/views.ts): each view is
 * written once against this interface and rendered per database. Timestamps are ISO 8601 UTC text in SQLite
 * ('2026-01-15T10:00:00.000Z', so they sort as text) and `timestamptz` in PostgreSQL.
 *
 * SQLite's expressions stay within what the sqlite3 shell of Debian 12 (3.40) knows — julianday, strftime, window
 * functions — so a view created by snagsync still reads in an older shell (no `unixepoch`, no `->>`).
 */
export interface Dialect {
  name: 'sqlite' | 'postgres';
  /** Seconds from timestamp `from` to timestamp `to` (a real; rounded to the millisecond in SQLite). */
  seconds(from: string, to: string): string;
  /** The UTC day of a timestamp: a `date` in PostgreSQL, 'YYYY-MM-DD' text in SQLite. */
  day(ts: string): string;
  /** The time `days` days before now, comparable with a timestamp column. */
  daysAgo(days: number): string;
  /** `num / den` as a real (NULL when `den` is 0 or NULL): PostgreSQL divides integers as integers. */
  ratio(num: string, den: string): string;
  /** An integer count as the database's plain integer (PostgreSQL's COUNT is bigint). */
  int(expr: string): string;
  /**
   * Whether the views read the events' rollups (models/rollups.ts) and look events up by index instead of
   * aggregating every event: PostgreSQL's views do; `postgresPlain` is the same views without, the definition the
   * rollups must agree with (tests, bench).
   */
  rollups: boolean;
}

export const postgres: Dialect = {
  name: 'postgres',
  seconds: (from, to) => `CAST(EXTRACT(EPOCH FROM (${to} - ${from})) AS double precision)`,
  day: (ts) => `CAST((${ts} AT TIME ZONE 'UTC') AS date)`,
  daysAgo: (days) => `(now() - interval '${days} days')`,
  ratio: (num, den) => `(CAST(${num} AS double precision) / NULLIF(${den}, 0))`,
  int: (expr) => `CAST(${expr} AS integer)`,
  rollups: true,
};

/** PostgreSQL's views as they read without rollups: every event aggregated (what the rollups are checked against). */
export const postgresPlain: Dialect = { ...postgres, rollups: false };

export const sqlite: Dialect = {
  name: 'sqlite',
  // julianday keeps about 0.1 ms at today's dates: rounded, a whole number of seconds reads as one.
  seconds: (from, to) => `ROUND((julianday(${to}) - julianday(${from})) * 86400.0, 3)`,
  day: (ts) => `substr(${ts}, 1, 10)`,
  daysAgo: (days) => `strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-${days} days')`,
  ratio: (num, den) => `(CAST(${num} AS REAL) / NULLIF(${den}, 0))`,
  int: (expr) => expr,
  rollups: false,
};

/**
 * Median-style percentiles of `value` per group, as a full SELECT over the relation `from` (a CTE of the view):
 * PostgreSQL's `percentile_cont`; in SQLite the same interpolation from ranks — position 1 + p × (n − 1), the value
 * at its whole part plus the fraction of the step to the next rank — so both give the same figures.
 */
export function percentiles(
  d: Dialect,
  spec: { from: string; by: readonly string[]; value: string; count: string; out: ReadonlyArray<[number, string]> },
): string {
  const by = spec.by.join(', ');
  if (d.name === 'postgres') {
    const cols = spec.out.map(
      ([p, name]) => `CAST(percentile_cont(${p}) WITHIN GROUP (ORDER BY ${spec.value}) AS double precision) AS ${name}`,
    );
    return `SELECT ${by}, ${d.int('COUNT(*)')} AS ${spec.count}, ${cols.join(', ')}\nFROM ${spec.from}\nGROUP BY ${by}`;
  }
  const cols = spec.out.map(([p, name]) => {
    const pos = `(1 + ${p} * (n - 1))`;
    const lo = `CAST(${pos} AS INTEGER)`;
    const at = (rank: string) => `MAX(CASE WHEN rn = ${rank} THEN v END)`;
    return `${at(lo)} + MAX(${pos} - ${lo}) * (COALESCE(${at(`${lo} + 1`)}, ${at(lo)}) - ${at(lo)}) AS ${name}`;
  });
  return (
    `SELECT ${by}, MAX(n) AS ${spec.count}, ${cols.join(', ')}\n` +
    `FROM (SELECT ${by}, ${spec.value} AS v,\n` +
    `        ROW_NUMBER() OVER (PARTITION BY ${by} ORDER BY ${spec.value}) AS rn,\n` +
    `        COUNT(*) OVER (PARTITION BY ${by}) AS n\n` +
    `      FROM ${spec.from}) ranked\n` +
    `GROUP BY ${by}`
  );
}
