import { hostname } from 'node:os';
import { SnagError } from '../../core/errors.js';
import { redact } from '../../core/redact.js';
import { newId } from '../../core/ids.js';
import { toIso } from '../../core/time.js';
import { alreadySyncing, notFound } from '../errors.js';
import { Run, RunCreate, RunFinish, RunStream, RunStreamUpsert, RunTotals } from '../models.js';
import type { RunError } from '../models.js';
import type { RunListFilter, RunRepository, StaleRunOptions } from '../repository.js';
import { DEFAULT_STALE_AFTER_MS, isStaleRun } from '../stale.js';
import { parseInput, parseJsonColumn, parseRow } from '../validate.js';
import { SqliteRepo } from './base.js';

interface RunRow {
  id: string;
  source_id: string;
  status: string;
  trigger: string;
  options: string;
  started_at: string;
  finished_at: string | null;
  error: string | null;
  records_read: number;
  records_written: number;
  requests: number;
  rate_limit_wait_ms: number;
  pid: number | null;
  hostname: string | null;
  heartbeat_at: string | null;
}

const COLUMNS = `id, source_id, status, trigger, options, started_at, finished_at, error, records_read, records_written,
  requests, rate_limit_wait_ms, pid, hostname, heartbeat_at`;
const STREAM_COLUMNS = `run_id, stream, partition, partition_label, records_read, records_written, pages, requests,
  retries, wait_ms, duration_ms, outcome, message, started_at, finished_at`;

export class SqliteRuns extends SqliteRepo implements RunRepository {
  async create(input: RunCreate): Promise<Run> {
    const r = parseInput(RunCreate, input, 'run');
    const id = r.id ?? newId('run');
    const now = toIso(Date.now());
    this.tx(() => {
      const source = this.stmt('SELECT name FROM sources WHERE id = ?').get(r.source_id) as
        | { name: string }
        | undefined;
      if (!source) throw notFound('source', r.source_id);
      const running = (
        this.stmt(`SELECT ${COLUMNS} FROM runs WHERE source_id = ? AND status = 'running'`).all(r.source_id) as RunRow[]
      ).map((row) => this.toRun(row));
      for (const other of running) {
        if (!isStaleRun(other)) {
          throw alreadySyncing(source.name, other);
        }
        this.markFailed(other, now);
      }
      this.stmt(
        `INSERT INTO runs (id, source_id, status, trigger, options, started_at, pid, hostname, heartbeat_at)
         VALUES (@id, @source_id, 'running', @trigger, @options, @now, @pid, @hostname, @now)`,
      ).run({
        id,
        source_id: r.source_id,
        trigger: r.trigger,
        options: JSON.stringify(r.options),
        now,
        pid: r.pid,
        hostname: r.hostname ?? hostname(),
      });
      this.stmt('UPDATE sources SET last_run_id = ? WHERE id = ?').run(id, r.source_id);
    });
    return this.findById(id);
  }

  async get(id: string): Promise<Run | null> {
    const row = this.guard(() => this.row(id));
    return row ? this.toRun(row) : null;
  }

  async findById(id: string): Promise<Run> {
    const row = this.guard(() => this.row(id.trim()));
    if (!row) throw notFound('run', id.trim());
    return this.toRun(row);
  }

  async list(filter: RunListFilter = {}): Promise<Run[]> {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: Math.max(1, Math.min(filter.limit ?? 50, 10_000)) };
    if (filter.sourceId !== undefined) {
      where.push('source_id = @sourceId');
      params.sourceId = filter.sourceId;
    }
    if (filter.status !== undefined) {
      where.push('status = @status');
      params.status = filter.status;
    }
    const sql = `SELECT ${COLUMNS} FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, id DESC LIMIT @limit`;
    return this.guard(() => this.stmt(sql).all(params) as RunRow[]).map((r) => this.toRun(r));
  }

  async heartbeat(id: string, totals?: RunTotals): Promise<boolean> {
    const t = totals === undefined ? undefined : parseInput(RunTotals, totals, 'run totals');
    return this.guard(() => {
      const now = toIso(Date.now());
      const result = t
        ? this.stmt(
            `UPDATE runs SET heartbeat_at = @now, records_read = @records_read, records_written = @records_written,
             requests = @requests, rate_limit_wait_ms = @rate_limit_wait_ms WHERE id = @id AND status = 'running'`,
          ).run({ id, now, ...t })
        : this.stmt(`UPDATE runs SET heartbeat_at = ? WHERE id = ? AND status = 'running'`).run(now, id);
      return result.changes === 1;
    });
  }

  async finish(id: string, result: RunFinish): Promise<Run> {
    const f = parseInput(RunFinish, result, 'run result');
    this.tx(() => {
      if (!this.row(id)) throw notFound('run', id);
      const totals = f.totals ?? this.sumStreams(id);
      const now = toIso(Date.now());
      this.stmt(
        `UPDATE runs SET status = @status, finished_at = @now, heartbeat_at = @now, error = @error, records_read = @records_read,
         records_written = @records_written, requests = @requests, rate_limit_wait_ms = @rate_limit_wait_ms WHERE id = @id`,
      ).run({ id, now, status: f.status, error: f.error ? redact(JSON.stringify(f.error)) : null, ...totals });
      // Streams still open when the run ended did not complete.
      this.stmt(
        `UPDATE run_streams SET outcome = 'failed', finished_at = ?, message = coalesce(message, ?) WHERE run_id = ? AND outcome IS NULL`,
      ).run(now, `run ended (${f.status}) before this stream finished`, id);
    });
    return this.findById(id);
  }

  async upsertStream(input: RunStreamUpsert): Promise<RunStream> {
    const u = parseInput(RunStreamUpsert, input, 'run stream');
    return this.tx(() => {
      if (!this.row(u.run_id)) throw notFound('run', u.run_id);
      const current = this.streamRow(u.run_id, u.stream, u.partition);
      const merged: Record<string, unknown> = {
        partition_label: null,
        records_read: 0,
        records_written: 0,
        pages: 0,
        requests: 0,
        retries: 0,
        wait_ms: 0,
        duration_ms: 0,
        outcome: null,
        message: null,
        finished_at: null,
        ...current,
        started_at: current?.started_at ?? u.started_at ?? toIso(Date.now()),
      };
      for (const [k, v] of Object.entries(u)) if (v !== undefined) merged[k] = v;
      this.stmt(
        `INSERT INTO run_streams (${STREAM_COLUMNS}) VALUES (@run_id, @stream, @partition, @partition_label, @records_read,
         @records_written, @pages, @requests, @retries, @wait_ms, @duration_ms, @outcome, @message, @started_at, @finished_at)
         ON CONFLICT (run_id, stream, partition) DO UPDATE SET partition_label = excluded.partition_label,
         records_read = excluded.records_read,
         records_written = excluded.records_written, pages = excluded.pages, requests = excluded.requests,
         retries = excluded.retries, wait_ms = excluded.wait_ms, duration_ms = excluded.duration_ms,
         outcome = excluded.outcome, message = excluded.message, started_at = excluded.started_at,
         finished_at = excluded.finished_at`,
      ).run(merged);
      return parseRow(RunStream, this.streamRow(u.run_id, u.stream, u.partition), 'run stream', this.location);
    });
  }

  async listStreams(runId: string): Promise<RunStream[]> {
    const rows = this.guard(
      () =>
        this.stmt(
          `SELECT ${STREAM_COLUMNS} FROM run_streams WHERE run_id = ? ORDER BY started_at, stream, partition`,
        ).all(runId) as unknown[],
    );
    return rows.map((r) => parseRow(RunStream, r, 'run stream', this.location));
  }

  async findStale(options: StaleRunOptions = {}): Promise<Run[]> {
    const rows = this.guard(
      () => this.stmt(`SELECT ${COLUMNS} FROM runs WHERE status = 'running' ORDER BY started_at`).all() as RunRow[],
    );
    return rows
      .map((r) => this.toRun(r))
      .filter((r) => isStaleRun(r, options.now, options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS));
  }

  async failStale(options: StaleRunOptions = {}): Promise<Run[]> {
    const ids = this.tx(() => {
      const rows = (this.stmt(`SELECT ${COLUMNS} FROM runs WHERE status = 'running'`).all() as RunRow[]).map((r) =>
        this.toRun(r),
      );
      const stale = rows.filter((r) => isStaleRun(r, options.now, options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS));
      const now = toIso(Date.now());
      for (const run of stale) this.markFailed(run, now);
      return stale.map((r) => r.id);
    });
    return Promise.all(ids.map((id) => this.findById(id)));
  }

  private markFailed(run: Run, now: string): void {
    const error: RunError = new SnagError(
      'aborted',
      `The process running this sync (pid ${run.pid ?? '?'} on ${run.hostname ?? '?'}) stopped without finishing: it was killed or crashed.`,
      { hint: 'Run the sync again; it resumes from the last checkpoint.' },
    ).toJSON() as RunError;
    const totals = this.sumStreams(run.id);
    this.stmt(
      `UPDATE runs SET status = 'failed', finished_at = @now, error = @error, records_read = max(records_read, @records_read),
       records_written = max(records_written, @records_written), requests = max(requests, @requests),
       rate_limit_wait_ms = max(rate_limit_wait_ms, @rate_limit_wait_ms) WHERE id = @id AND status = 'running'`,
    ).run({ id: run.id, now, error: JSON.stringify(error), ...totals });
    this.stmt(
      `UPDATE run_streams SET outcome = 'failed', finished_at = ?, message = coalesce(message, 'interrupted') WHERE run_id = ? AND outcome IS NULL`,
    ).run(now, run.id);
  }

  private sumStreams(runId: string): RunTotals {
    const row = this.stmt(
      `SELECT coalesce(sum(records_read), 0) AS records_read, coalesce(sum(records_written), 0) AS records_written,
       coalesce(sum(requests), 0) AS requests, coalesce(sum(wait_ms), 0) AS rate_limit_wait_ms FROM run_streams WHERE run_id = ?`,
    ).get(runId) as RunTotals;
    return row;
  }

  private row(id: string): RunRow | undefined {
    return this.stmt(`SELECT ${COLUMNS} FROM runs WHERE id = ?`).get(id) as RunRow | undefined;
  }

  private streamRow(runId: string, stream: string, partition: string): Record<string, unknown> | undefined {
    return this.stmt(`SELECT ${STREAM_COLUMNS} FROM run_streams WHERE run_id = ? AND stream = ? AND partition = ?`).get(
      runId,
      stream,
      partition,
    ) as Record<string, unknown> | undefined;
  }

  private toRun(row: RunRow): Run {
    return parseRow(
      Run,
      {
        id: row.id,
        source_id: row.source_id,
        status: row.status,
        trigger: row.trigger,
        options: parseJsonColumn(row.options, 'options'),
        started_at: row.started_at,
        finished_at: row.finished_at,
        error: parseJsonColumn(row.error, 'error'),
        totals: {
          records_read: row.records_read,
          records_written: row.records_written,
          requests: row.requests,
          rate_limit_wait_ms: row.rate_limit_wait_ms,
        },
        pid: row.pid,
        hostname: row.hostname,
        heartbeat_at: row.heartbeat_at,
      },
      'run',
      this.location,
    );
  }
}
