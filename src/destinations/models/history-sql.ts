/**
 * `error_history` as status spells, the common ground of the views that count fixes and reopens: a spell is a run
 * of consecutive intervals of one error with the same status (a change of severity or assignment alone opens a new
 * interval, not a new spell). Each spell has its start (`began_at`), the status and start of the spell before it
 * (`prev_status`, `prev_began_at`; NULL for an error's first observed state), and the severity and team of the last
 * interval before it (`before_severity`, `before_team_id`: what the error had when its status changed).
 *
 * Portable SQL (window functions, COALESCE): the same text in SQLite and PostgreSQL.
 */
export const SPELLS_CTE = `status_changes AS (
  SELECT project_id, error_id, status, valid_from, before_severity, before_team_id
  FROM (SELECT project_id, error_id, status, valid_from,
          LAG(status) OVER w AS before_status,
          LAG(severity) OVER w AS before_severity,
          LAG(assigned_team_id) OVER w AS before_team_id,
          ROW_NUMBER() OVER w AS n
        FROM error_history
        WINDOW w AS (PARTITION BY project_id, error_id ORDER BY valid_from)) h
  WHERE n = 1 OR COALESCE(before_status, '') <> COALESCE(status, '')
),
spells AS (
  SELECT project_id, error_id, status, valid_from AS began_at, before_severity, before_team_id,
    LAG(status) OVER w AS prev_status,
    LAG(valid_from) OVER w AS prev_began_at
  FROM status_changes
  WINDOW w AS (PARTITION BY project_id, error_id ORDER BY valid_from)
)`;

/** A spell that is a reopen: back to `open` from any other status (fixed, snoozed, ignored…). */
export const IS_REOPEN = `status = 'open' AND prev_status IS NOT NULL`;

/** A spell that is a fix, as time to fix counts it: `fixed` straight after an `open` spell. */
export const IS_FIX = `status = 'fixed' AND prev_status = 'open'`;
