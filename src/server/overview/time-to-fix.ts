import { parseDestinationUrl } from '../../destinations/url.js';
import { HISTORY_TABLE } from './history.js';
import { withSqlReader } from './sql-reader.js';

/**
 * The Overview's figures about time, read from the analytics views a destination holds (destinations/models): time
 * to fix from `mttr` (median and p90 per project, severity and assigned team — percentiles do not add up, so the
 * rows are shown as they are, busiest first) and the errors reopened in a period from `error_lifecycle`. When the
 * views are not there, says so, so the page can offer to create them.
 */

export interface MttrRow {
  project_id: string;
  severity: string | null;
  assigned_team_id: string | null;
  fixes: number;
  median_seconds_to_fix: number | null;
  p90_seconds_to_fix: number | null;
}

export interface TimeFigures {
  /** JSONL holds files, not views: nothing here applies. */
  sql: boolean;
  /** Whether the destination keeps error_history (the views read it). */
  history: boolean;
  /** Whether the views are there. */
  views: { mttr: boolean; error_lifecycle: boolean };
  /** The mttr rows with the most fixes (at most `limit`); null without the view. */
  mttr: MttrRow[] | null;
  /** Errors whose last reopen is at or after `since`; null without error_lifecycle. */
  reopened: number | null;
}

const NOTHING: TimeFigures = {
  sql: true,
  history: false,
  views: { mttr: false, error_lifecycle: false },
  mttr: null,
  reopened: null,
};

export async function timeFigures(destination: string, since: string, limit = 12): Promise<TimeFigures> {
  const target = parseDestinationUrl(destination);
  if (target.kind === 'jsonl') return { ...NOTHING, sql: false };
  const out = await withSqlReader(target, async (r) => {
    const views = { mttr: r.hasView('mttr'), error_lifecycle: r.hasView('error_lifecycle') };
    const mttr = views.mttr
      ? (
          await r.all(
            `SELECT project_id, severity, assigned_team_id, fixes, median_seconds_to_fix, p90_seconds_to_fix
             FROM ${r.table('mttr')} ORDER BY fixes DESC, project_id, severity LIMIT ?`,
            [limit],
          )
        ).map((m) => ({
          project_id: String(m.project_id),
          severity: m.severity === null ? null : String(m.severity),
          assigned_team_id: m.assigned_team_id === null ? null : String(m.assigned_team_id),
          fixes: Number(m.fixes),
          median_seconds_to_fix: m.median_seconds_to_fix === null ? null : Number(m.median_seconds_to_fix),
          p90_seconds_to_fix: m.p90_seconds_to_fix === null ? null : Number(m.p90_seconds_to_fix),
        }))
      : null;
    const reopened = views.error_lifecycle
      ? Number(
          (
            await r.all<{ n: number | string }>(
              `SELECT COUNT(*) AS n FROM ${r.table('error_lifecycle')} WHERE last_reopened_at >= ?`,
              [since],
            )
          )[0]?.n ?? 0,
        )
      : null;
    return { sql: true, history: r.has(HISTORY_TABLE, 'valid_from'), views, mttr, reopened };
  });
  return out ?? NOTHING;
}

/** "3 h 20 min", "2 d 4 h", "45 s": a duration as a person reads it (rounded to its smaller unit first, so never "60 min"). */
export function humanSeconds(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const minutes = Math.round(s / 60);
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 24 * 60) {
    const h = Math.floor(minutes / 60);
    const m = minutes % 60;
    return m ? `${h} h ${m} min` : `${h} h`;
  }
  const hours = Math.round(s / 3600);
  const d = Math.floor(hours / 24);
  const h = hours % 24;
  return h ? `${d} d ${h} h` : `${d} d`;
}
