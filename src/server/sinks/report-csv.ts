import type { SinkRunView } from '../api/data-sink-resource.js';

/**
 * A write-back run's per-row report as CSV (RFC 4180: CRLF line ends, a cell with a comma, a quote or a line break
 * quoted, quotes doubled), safe to open in a spreadsheet: a cell starting with = + - @ (or a tab or carriage return)
 * gets a leading single quote, so it is text, never a formula.
 */

type ReportRow = NonNullable<SinkRunView['rows']>[number];

export const REPORT_CSV_HEADER = [
  'row',
  'project_id',
  'error_id',
  'operation',
  'outcome',
  'message',
  'status_code',
] as const;

/** Bugsnag's HTTP status for a failed row, when the report knows it (the code, or "(403)" in the message). */
export function statusCodeOf(r: ReportRow): number | null {
  if (r.outcome !== 'failed') return null;
  const byCode: Record<string, number> = { forbidden: 403, not_found: 404, bad_request: 400, rate_limited: 429 };
  if (r.code && byCode[r.code]) return byCode[r.code]!;
  const m = /\((\d{3})\)/.exec(r.message ?? '');
  return m ? Number(m[1]) : null;
}

export function csvCell(value: string | number | null | undefined): string {
  let s = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function reportCsv(rows: readonly ReportRow[]): string {
  const lines = [REPORT_CSV_HEADER.join(',')];
  for (const r of rows)
    lines.push(
      [r.row, r.project_id, r.error_id, r.operation, r.outcome, r.message, statusCodeOf(r)].map(csvCell).join(','),
    );
  return `${lines.join('\r\n')}\r\n`;
}

export function reportCsvFilename(runId: string): string {
  return `${runId.replace(/[^0-9A-Za-z_-]/g, '')}-report.csv`;
}
