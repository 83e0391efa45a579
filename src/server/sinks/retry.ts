import type { Runtime } from '../../runtime.js';
import { SnagError } from '../../core/errors.js';
import type { DataSinkRecord, SinkRunRecord } from '../../store/index.js';
import { readInput } from '../../writeback/index.js';
import { configOf, inputSource, type SinkConfig } from './config.js';

/**
 * "Retry failed rows" of a write-back run: the destination with its input narrowed to exactly the rows that run
 * reported failed — read again from the destination's input (so each keeps its operation and parameters), and only
 * where the row still names the same error. The result is planned and applied like any destination (the plan skips
 * what is already so; comments journaled applied are not posted again); its rows are numbered 1… in the new input.
 */

interface ReportRow {
  row: number;
  project_id: string;
  error_id: string;
  operation: string;
  outcome: string;
}

export function failedRowsOf(run: SinkRunRecord): ReportRow[] {
  const rows = ((run.report as { rows?: unknown[] } | null)?.rows ?? []) as ReportRow[];
  return rows.filter((r) => r.outcome === 'failed');
}

/** Whether retrying the run's failed rows would discard errors (an admin's job). */
export function failedRowsDiscard(run: SinkRunRecord): boolean {
  return failedRowsOf(run).some((r) => r.operation === 'discard');
}

export async function retrySinkOf(runtime: Runtime, sink: DataSinkRecord, run: SinkRunRecord): Promise<DataSinkRecord> {
  const failed = failedRowsOf(run);
  if (!failed.length)
    throw new SnagError('config', `Run ${run.id} has no failed rows to retry.`, {
      hint: "Its report shows every row's outcome.",
    });
  const config = configOf(sink);
  const source = await inputSource(runtime, config.input);
  const read = await readInput(source.from, {
    ...(source.stdin ? { stdin: source.stdin } : {}),
    ...(source.queryValues ? { queryValues: source.queryValues } : {}),
    ...(config.input.type === 'file' ? { format: config.input.format } : {}),
  });
  const wanted = new Map(failed.map((r) => [r.row, r]));
  const rows = read.rows.filter((r) => {
    const f = wanted.get(r.row);
    return f && String(r.fields.project_id ?? '') === f.project_id && String(r.fields.error_id ?? '') === f.error_id;
  });
  if (!rows.length)
    throw new SnagError('config', `The failed rows of run ${run.id} are no longer in the destination's input.`, {
      hint: 'Its input changed since (another file, or the table synced again): plan the destination instead.',
    });
  const csv = config.input.type === 'file' && config.input.format === 'csv';
  const content = csv ? toCsv(rows.map((r) => r.fields)) : rows.map((r) => JSON.stringify(r.fields)).join('\n');
  const retryConfig: SinkConfig = {
    ...config,
    input: { type: 'file', format: csv ? 'csv' : 'jsonl', content, filename: `failed rows of ${run.id}` },
  };
  return { ...sink, config: retryConfig as unknown as DataSinkRecord['config'] };
}

/** Rows back to CSV as the input reads it: a header, RFC 4180 quoting, an absent field an empty cell. */
function toCsv(rows: Array<Record<string, unknown>>): string {
  const header = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header.map(cell).join(','), ...rows.map((r) => header.map((k) => cell(r[k])).join(','))].join('\r\n');
}
