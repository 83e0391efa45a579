import type { Dialect } from './dialect.js';
import { percentiles } from './dialect.js';
import { IS_FIX, IS_REOPEN, SPELLS_CTE } from './history-sql.js';
import { DAILY_ROLLUP, RELEASE_ROLLUP, type Rollup } from './rollups.js';

/**
 * The ready-made analytics views (`snagsync models apply`), each declared once and rendered for SQLite and
 * PostgreSQL through a Dialect. What a view answers and what its columns hold are declared here too: PostgreSQL's
 * `COMMENT ON VIEW|COLUMN`, `models list`, and docs/analytics.md (whose column lists a test compares with these).
 *
 * Definitions (docs/analytics.md says the same in words):
 *  - a **fix** is a change of status to `fixed` straight from `open`; its **time to fix** runs from the start of
 *    that open spell (when the error last became open — its first event for a new error) to the fix;
 *  - a **reopen** is a change of status back to `open` from any other status (fixed, snoozed, ignored…);
 *  - both are as `error_history` observed them: at the time a sync (or a write-back) saw the change.
 */
export interface ViewColumn {
  name: string;
  description: string;
}

export interface ViewDefinition {
  name: string;
  /** The question it answers, in a sentence: PostgreSQL's COMMENT ON VIEW, `models list`. */
  question: string;
  /** The tables (and their columns) it reads: a destination without them gets the view skipped, with the reason. */
  needs: Readonly<Record<string, readonly string[]>>;
  columns: readonly ViewColumn[];
  sql(d: Dialect): string;
  /**
   * PostgreSQL: the rollups of events it reads, whether it probes events by error and time (models/rollups.ts), and
   * whether it runs as a function with JIT compilation off (models/apply.ts).
   */
  postgres?: { rollups: readonly Rollup[]; eventsLookup?: boolean; withoutJit?: boolean };
}

const HISTORY_COLUMNS = ['project_id', 'error_id', 'status', 'severity', 'assigned_team_id', 'valid_from', 'valid_to'];

const errorLifecycle: ViewDefinition = {
  name: 'error_lifecycle',
  question:
    'For each error: when was it first seen, first fixed, last reopened, how often reopened, and is it open now?',
  needs: {
    errors: ['project_id', 'id', 'error_class', 'message', 'status', 'first_seen_unfiltered'],
    error_history: HISTORY_COLUMNS,
  },
  columns: [
    { name: 'project_id', description: 'The project (projects.id).' },
    { name: 'error_id', description: 'The error (errors.id).' },
    { name: 'error_class', description: 'Its error class.' },
    { name: 'message', description: 'Its message.' },
    { name: 'status', description: 'Its status now (the open interval of error_history, else errors.status).' },
    { name: 'first_seen', description: 'When its first event was received (errors.first_seen_unfiltered).' },
    { name: 'first_fixed_at', description: 'When it was first observed fixed; NULL if never.' },
    { name: 'last_reopened_at', description: 'When it last went back to open from another status; NULL if never.' },
    { name: 'reopen_count', description: 'How many times it went back to open from another status.' },
    {
      name: 'time_to_first_fix',
      description:
        'Seconds from its first observed state (open since its first event) to its first fix; NULL when it was never fixed or was first observed in another status than open.',
    },
    { name: 'open_now', description: 'Whether its status now is open.' },
  ],
  sql: (d) => `WITH ${SPELLS_CTE},
per_error AS (
  SELECT project_id, error_id,
    MIN(CASE WHEN prev_status IS NULL THEN status END) AS first_status,
    MIN(CASE WHEN prev_status IS NULL THEN began_at END) AS first_began_at,
    MIN(CASE WHEN status = 'fixed' THEN began_at END) AS first_fixed_at,
    MAX(CASE WHEN ${IS_REOPEN} THEN began_at END) AS last_reopened_at,
    SUM(CASE WHEN ${IS_REOPEN} THEN 1 ELSE 0 END) AS reopen_count
  FROM spells
  GROUP BY project_id, error_id
),
current_state AS (
  SELECT project_id, error_id, status FROM error_history WHERE valid_to IS NULL
)
SELECT e.project_id, e.id AS error_id, e.error_class, e.message,
  COALESCE(c.status, e.status) AS status,
  e.first_seen_unfiltered AS first_seen,
  p.first_fixed_at,
  p.last_reopened_at,
  ${d.int('COALESCE(p.reopen_count, 0)')} AS reopen_count,
  CASE WHEN p.first_status = 'open' THEN ${d.seconds('p.first_began_at', 'p.first_fixed_at')} END AS time_to_first_fix,
  CASE WHEN COALESCE(c.status, e.status) = 'open' THEN TRUE ELSE FALSE END AS open_now
FROM errors e
LEFT JOIN per_error p ON p.project_id = e.project_id AND p.error_id = e.id
LEFT JOIN current_state c ON c.project_id = e.project_id AND c.error_id = e.id`,
};

const mttr: ViewDefinition = {
  name: 'mttr',
  question:
    'How long do errors stay open before they are fixed — median and 90th percentile, by project, severity and assigned team?',
  needs: { error_history: HISTORY_COLUMNS },
  columns: [
    { name: 'project_id', description: 'The project (projects.id).' },
    { name: 'severity', description: 'The severity the error had when it was fixed.' },
    { name: 'assigned_team_id', description: 'The team it was assigned to when it was fixed (teams.id); NULL: none.' },
    { name: 'fixes', description: 'How many fixes (changes from open to fixed) the figures are over.' },
    {
      name: 'median_seconds_to_fix',
      description: 'Median time to fix, in seconds: from when the error last became open to its fix.',
    },
    { name: 'p90_seconds_to_fix', description: '90th percentile of the time to fix, in seconds (interpolated).' },
  ],
  sql: (d) => `WITH ${SPELLS_CTE},
fixes AS (
  SELECT project_id, before_severity AS severity, before_team_id AS assigned_team_id,
    ${d.seconds('prev_began_at', 'began_at')} AS seconds_to_fix
  FROM spells
  WHERE ${IS_FIX}
)
${percentiles(d, {
  from: 'fixes',
  by: ['project_id', 'severity', 'assigned_team_id'],
  value: 'seconds_to_fix',
  count: 'fixes',
  out: [
    [0.5, 'median_seconds_to_fix'],
    [0.9, 'p90_seconds_to_fix'],
  ],
})}`,
};

const errorsDaily: ViewDefinition = {
  name: 'errors_daily',
  question:
    'Per project and UTC day: how many errors were new, how many events and users, how many fixed and reopened?',
  needs: {
    errors: ['project_id', 'first_seen_unfiltered'],
    events: ['project_id', 'received_at', 'user_id'],
    error_history: HISTORY_COLUMNS,
  },
  columns: [
    { name: 'project_id', description: 'The project (projects.id).' },
    { name: 'day', description: 'The UTC day (a date in PostgreSQL, YYYY-MM-DD text in SQLite).' },
    { name: 'new_errors', description: 'Errors whose first event was received that day.' },
    { name: 'events', description: 'Events received that day (among the events synced).' },
    {
      name: 'users',
      description: 'Distinct users (events.user_id) among those events; events without a user are not counted.',
    },
    {
      name: 'fixed',
      description: 'Errors whose status changed to fixed that day (a first state observed fixed is not counted).',
    },
    { name: 'reopened', description: 'Errors whose status went back to open that day.' },
  ],
  postgres: { rollups: [DAILY_ROLLUP] },
  sql: (d) => `WITH ${SPELLS_CTE}
SELECT project_id, day,
  ${d.int('SUM(new_errors)')} AS new_errors,
  ${d.int('SUM(events)')} AS events,
  ${d.int('SUM(users)')} AS users,
  ${d.int('SUM(fixed)')} AS fixed,
  ${d.int('SUM(reopened)')} AS reopened
FROM (
  SELECT project_id, ${d.day('first_seen_unfiltered')} AS day,
    COUNT(*) AS new_errors, 0 AS events, 0 AS users, 0 AS fixed, 0 AS reopened
  FROM errors WHERE first_seen_unfiltered IS NOT NULL
  GROUP BY project_id, ${d.day('first_seen_unfiltered')}
  UNION ALL
  ${
    d.rollups
      ? `SELECT project_id, day, 0, events, users, 0, 0 FROM ${DAILY_ROLLUP.table} WHERE events > 0`
      : `SELECT project_id, ${d.day('received_at')}, 0, COUNT(*), COUNT(DISTINCT user_id), 0, 0
  FROM events WHERE received_at IS NOT NULL
  GROUP BY project_id, ${d.day('received_at')}`
  }
  UNION ALL
  SELECT project_id, ${d.day('began_at')}, 0, 0, 0,
    SUM(CASE WHEN status = 'fixed' THEN 1 ELSE 0 END), SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END)
  FROM spells WHERE prev_status IS NOT NULL
  GROUP BY project_id, ${d.day('began_at')}
) counts
GROUP BY project_id, day`,
};

/** Joins on columns that may be NULL (a release stage, an app version), kept hashable for PostgreSQL's planner. */
const same = (a: string, b: string) => `COALESCE(${a}, '') = COALESCE(${b}, '')`;

/** release_health's errors introduced and reopened, as joins over every event (SQLite; PostgreSQL without rollups). */
const FIRST_AND_REOPENED = `first_events AS (
  SELECT x.project_id, x.error_id, MIN(x.release_stage) AS release_stage, MIN(x.app_version) AS app_version
  FROM errors e
  JOIN events x ON x.project_id = e.project_id AND x.error_id = e.id AND x.received_at = e.first_seen_unfiltered
  GROUP BY x.project_id, x.error_id
),
introduced AS (
  SELECT project_id, release_stage, app_version, COUNT(*) AS errors_introduced
  FROM first_events GROUP BY project_id, release_stage, app_version
),
reopen_events AS (
  -- A join, not a sub-query per reopen: PostgreSQL prices the latter at the index's ~100 events per error times
  -- every spell it cannot tell apart from a reopen, past the cost that makes it JIT-compile the query with
  -- optimization (seconds, bench/views.ts); the join's one pass over the events costs less.
  SELECT s.project_id, s.error_id, s.began_at, MIN(x.received_at) AS received_at
  FROM spells s
  JOIN events x ON x.project_id = s.project_id AND x.error_id = s.error_id
    AND x.received_at >= s.prev_began_at AND x.received_at <= s.began_at
  WHERE s.status = 'open' AND s.prev_status IS NOT NULL
  GROUP BY s.project_id, s.error_id, s.began_at
),
reopened AS (
  SELECT x.project_id, x.release_stage, x.app_version, COUNT(DISTINCT x.error_id) AS errors_reopened
  FROM reopen_events r
  JOIN events x ON x.project_id = r.project_id AND x.error_id = r.error_id AND x.received_at = r.received_at
  GROUP BY x.project_id, x.release_stage, x.app_version
)`;

/**
 * The same, for PostgreSQL with its rollups: each error's first event and each reopen's first event looked up by
 * the (project_id, error_id, received_at) index applyModels adds, one probe per error or reopen, instead of a pass
 * over every event (which the planner prefers to the probes when the join is written as a join).
 */
const FIRST_AND_REOPENED_BY_INDEX = `first_events AS (
  SELECT e.project_id, e.id AS error_id, f.release_stage, f.app_version
  FROM errors e
  CROSS JOIN LATERAL (
    SELECT MIN(x.release_stage) AS release_stage, MIN(x.app_version) AS app_version, COUNT(*) AS n
    FROM events x
    WHERE x.project_id = e.project_id AND x.error_id = e.id AND x.received_at = e.first_seen_unfiltered
  ) f
  WHERE f.n > 0
),
introduced AS (
  SELECT project_id, release_stage, app_version, COUNT(*) AS errors_introduced
  FROM first_events GROUP BY project_id, release_stage, app_version
),
reopened AS (
  SELECT x.project_id, x.release_stage, x.app_version, COUNT(DISTINCT x.error_id) AS errors_reopened
  FROM spells s
  CROSS JOIN LATERAL (
    SELECT y.project_id, y.error_id, y.release_stage, y.app_version
    FROM events y
    WHERE y.project_id = s.project_id AND y.error_id = s.error_id
      AND y.received_at = (
        SELECT MIN(z.received_at) FROM events z
        WHERE z.project_id = s.project_id AND z.error_id = s.error_id
          AND z.received_at >= s.prev_began_at AND z.received_at <= s.began_at)
    OFFSET 0 -- kept a probe per reopen: pulled up into the join, it becomes a pass over every event
  ) x
  WHERE s.status = 'open' AND s.prev_status IS NOT NULL
  GROUP BY x.project_id, x.release_stage, x.app_version
)`;

const releaseHealth: ViewDefinition = {
  name: 'release_health',
  question:
    'Per release (app version in a release stage): which errors did it introduce or reopen, how many events and users, and how stable were its sessions?',
  needs: {
    releases: [
      'project_id',
      'release_stage',
      'app_version',
      'release_time',
      'errors_introduced_count',
      'total_sessions_count',
      'unhandled_sessions_count',
    ],
    events: ['project_id', 'error_id', 'received_at', 'release_stage', 'app_version', 'user_id', 'unhandled'],
    errors: ['project_id', 'id', 'first_seen_unfiltered'],
    error_history: HISTORY_COLUMNS,
  },
  columns: [
    { name: 'project_id', description: 'The project (projects.id).' },
    { name: 'release_stage', description: 'The release stage (production, staging…).' },
    { name: 'app_version', description: 'The app version: every build of it (releases rows) counts as one release.' },
    { name: 'released_at', description: 'When its first build was released.' },
    { name: 'builds', description: 'Its builds (rows of releases).' },
    {
      name: 'errors_introduced',
      description:
        'Errors whose first event (synced, received at the error’s first_seen_unfiltered) is in this release.',
    },
    {
      name: 'errors_introduced_reported',
      description: 'Errors introduced as Bugsnag counts them (errors_introduced_count, summed over builds).',
    },
    { name: 'events', description: 'Its events (among the events synced).' },
    { name: 'users', description: 'Distinct users (events.user_id) among its events.' },
    { name: 'unhandled_event_rate', description: 'Share of its events that were unhandled (0 to 1).' },
    { name: 'sessions', description: 'Its sessions (total_sessions_count, summed over builds).' },
    {
      name: 'unhandled_session_rate',
      description:
        'Share of its sessions that ended in an unhandled error (0 to 1): its stability figure; NULL without sessions.',
    },
    {
      name: 'errors_reopened',
      description: 'Errors reopened by an event of this release: the first event received after the error left open.',
    },
  ],
  postgres: { rollups: [RELEASE_ROLLUP], eventsLookup: true, withoutJit: true },
  sql: (d) => `WITH ${SPELLS_CTE},
rel AS (
  SELECT project_id, release_stage, app_version, MIN(release_time) AS released_at, COUNT(*) AS builds,
    SUM(errors_introduced_count) AS errors_introduced_reported,
    SUM(total_sessions_count) AS sessions, SUM(unhandled_sessions_count) AS unhandled_sessions
  FROM releases WHERE app_version IS NOT NULL
  GROUP BY project_id, release_stage, app_version
),
ev AS (${
    d.rollups
      ? `
  SELECT project_id, release_stage, app_version, events, users, unhandled_events FROM ${RELEASE_ROLLUP.table}
  WHERE events > 0`
      : `
  SELECT project_id, release_stage, app_version, COUNT(*) AS events, COUNT(DISTINCT user_id) AS users,
    SUM(CASE WHEN unhandled THEN 1 ELSE 0 END) AS unhandled_events
  FROM events
  GROUP BY project_id, release_stage, app_version`
  }
),
${d.rollups ? FIRST_AND_REOPENED_BY_INDEX : FIRST_AND_REOPENED}
SELECT r.project_id, r.release_stage, r.app_version, r.released_at, ${d.int('r.builds')} AS builds,
  ${d.int('COALESCE(i.errors_introduced, 0)')} AS errors_introduced,
  ${d.int('r.errors_introduced_reported')} AS errors_introduced_reported,
  ${d.int('COALESCE(v.events, 0)')} AS events,
  ${d.int('COALESCE(v.users, 0)')} AS users,
  ${d.ratio('v.unhandled_events', 'v.events')} AS unhandled_event_rate,
  ${d.int('r.sessions')} AS sessions,
  ${d.ratio('r.unhandled_sessions', 'r.sessions')} AS unhandled_session_rate,
  ${d.int('COALESCE(o.errors_reopened, 0)')} AS errors_reopened
FROM rel r
LEFT JOIN ev v ON v.project_id = r.project_id AND ${same('v.release_stage', 'r.release_stage')} AND v.app_version = r.app_version
LEFT JOIN introduced i ON i.project_id = r.project_id AND ${same('i.release_stage', 'r.release_stage')} AND i.app_version = r.app_version
LEFT JOIN reopened o ON o.project_id = r.project_id AND ${same('o.release_stage', 'r.release_stage')} AND o.app_version = r.app_version`,
};

const topErrors7d: ViewDefinition = {
  name: 'top_errors_7d',
  question: 'Which errors had the most events over the last 7 days, and how many users did they affect?',
  needs: {
    events: ['project_id', 'error_id', 'received_at', 'user_id'],
    errors: ['project_id', 'id', 'error_class', 'message', 'status', 'severity'],
  },
  columns: [
    { name: 'project_id', description: 'The project (projects.id).' },
    { name: 'error_id', description: 'The error (errors.id).' },
    { name: 'error_class', description: 'Its error class.' },
    { name: 'message', description: 'Its message.' },
    { name: 'status', description: 'Its status (errors.status).' },
    { name: 'severity', description: 'Its severity (errors.severity).' },
    { name: 'events_7d', description: 'Its events received over the last 7 days (from the time of the query).' },
    { name: 'users_7d', description: 'Distinct users (events.user_id) among them.' },
    { name: 'last_event_at', description: 'When the latest of them was received.' },
    { name: 'rank_in_project', description: '1 for the error with the most events in its project, 2 for the next…' },
  ],
  postgres: { rollups: [], eventsLookup: true },
  sql: (d) => `WITH recent AS (
  -- Counted before the join, so the sort is of narrow rows, not of every event with its error's message.
  SELECT project_id, error_id, COUNT(*) AS events_7d, COUNT(DISTINCT user_id) AS users_7d,
    MAX(received_at) AS last_event_at
  FROM events
  WHERE received_at >= ${d.daysAgo(7)}
  GROUP BY project_id, error_id
)
SELECT r.project_id, r.error_id, e.error_class, e.message, e.status, e.severity,
  ${d.int('r.events_7d')} AS events_7d,
  ${d.int('r.users_7d')} AS users_7d,
  r.last_event_at,
  ${d.int('RANK() OVER (PARTITION BY r.project_id ORDER BY r.events_7d DESC)')} AS rank_in_project
FROM recent r
LEFT JOIN errors e ON e.project_id = r.project_id AND e.id = r.error_id`,
};

/** Every view, in the order they are applied and listed. */
export const VIEWS: readonly ViewDefinition[] = [errorLifecycle, mttr, errorsDaily, releaseHealth, topErrors7d];
