import { hostname } from 'node:os';
import { SnagError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { redact } from '../../core/redact.js';
import { toIso } from '../../core/time.js';
import { alreadySyncing, notFound } from '../errors.js';
import { Run, RunCreate, RunFinish, RunStream, RunStreamUpsert, RunTotals } from '../models.js';
import type { RunError } from '../models.js';
import type { RunListFilter, RunRepository, StaleRunOptions } from '../repository.js';
import { DEFAULT_STALE_AFTER_MS, isStaleRun } from '../stale.js';
import { parseInput, parseRow } from '../validate.js';
import { isoOrNull, num, PgRepo } from './base.js';
import type { Queryable } from './connection.js';

export const RUN_COLUMNS = `id, source_id, status, "trigger", options, started_at, finished_at, error, records_read, records_written,
  requests, rate_limit_wait_ms, pid, hostname, heartbeat_at`;
export const STREAM_COLUMNS = `run_id, stream, "partition", partition_label, records_read, records_written, pages, requests,
  retries, wait_ms, duration_ms, outcome, message, started_at, finished_at`;
/** The run-stream fields an upsert may set; the key and `started_at` (kept from the first upsert) are not among them. */
const STREAM_FIELDS = [
  'partition_label',
  'records_read',
  'records_written',
  'pages',
  'requests',
  'retries',
  'wait_ms',
  'duration_ms',
  'outcome',
  'message',
  'finished_at',
] as const;
const COUNTERS = ['records_read', 'records_written', 'pages', 'requests', 'retries', 'wait_ms', 'duration_ms'] as const;

export class PgRuns extends PgRepo implements RunRepository {
  async create(input: RunCreate): Promise<Run> {
    const r = parseInput(RunCreate, input, 'run');
    const id = r.id ?? newId('run');
    const now = toIso(Date.now());
    return this.tx(async (db) => {
      // The source row is the lock every process of the cluster takes before starting one of its runs.
      const [source] = await this.q<{ name: string }>(
        'SELECT name FROM sources WHERE id = $1 FOR UPDATE',
        [r.source_id],
        db,
      );
      if (!source) throw notFound('source', r.source_id);
      const running = (
        await this.q(`SELECT ${RUN_COLUMNS} FROM runs WHERE source_id = $1 AND status = 'running'`, [r.source_id], db)
      ).map((row) => this.toRun(row));
      for (const other of running) {
        if (!isStaleRun(other)) {
          throw alreadySyncing(source.name, other);
        }
        await this.markFailed(other, now, db);
      }
      await this.q(
        `INSERT INTO runs (id, source_id, status, "trigger", options, started_at, pid, hostname, heartbeat_at)
         VALUES ($1, $2, 'running', $3, $4, $5, $6, $7, $5)`,
        [id, r.source_id, r.trigger, JSON.stringify(r.options), now, r.pid, r.hostname ?? hostname()],
        db,
      );
      await this.q('UPDATE sources SET last_run_id = $1 WHERE id = $2', [id, r.source_id], db);
      return this.mustRow(id, db);
    });
  }

  async get(id: string): Promise<Run | null> {
    const [row] = await this.q(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = $1`, [id]);
    return row ? this.toRun(row) : null;
  }

  async findById(id: string): Promise<Run> {
    const run = await this.get(id.trim());
    if (!run) throw notFound('run', id.trim());
    return run;
  }

  async list(filter: RunListFilter = {}): Promise<Run[]> {
    const where: string[] = [];
    const params: unknown[] = [Math.max(1, Math.min(filter.limit ?? 50, 10_000))];
    if (filter.sourceId !== undefined) {
      params.push(filter.sourceId);
      where.push(`source_id = $${params.length}`);
    }
    if (filter.status !== undefined) {
      params.push(filter.status);
      where.push(`status = $${params.length}`);
    }
    const rows = await this.q(
      `SELECT ${RUN_COLUMNS} FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, id COLLATE "C" DESC LIMIT $1`,
      params,
    );
    return rows.map((r) => this.toRun(r));
  }

  async heartbeat(id: string, totals?: RunTotals): Promise<boolean> {
    const t = totals === undefined ? undefined : parseInput(RunTotals, totals, 'run totals');
    const now = toIso(Date.now());
    const rows = t
      ? await this.q(
          `UPDATE runs SET heartbeat_at = $2, records_read = $3, records_written = $4, requests = $5, rate_limit_wait_ms = $6
           WHERE id = $1 AND status = 'running' RETURNING id`,
          [id, now, t.records_read, t.records_written, t.requests, t.rate_limit_wait_ms],
        )
      : await this.q(`UPDATE runs SET heartbeat_at = $2 WHERE id = $1 AND status = 'running' RETURNING id`, [id, now]);
    return rows.length === 1;
  }

  async finish(id: string, result: RunFinish): Promise<Run> {
    const f = parseInput(RunFinish, result, 'run result');
    return this.tx(async (db) => {
      if ((await this.q('SELECT 1 FROM runs WHERE id = $1 FOR UPDATE', [id], db)).length === 0)
        throw notFound('run', id);
      const totals = f.totals ?? (await this.sumStreams(id, db));
      const now = toIso(Date.now());
      await this.q(
        `UPDATE runs SET status = $2, finished_at = $3, heartbeat_at = $3, error = $4, records_read = $5, records_written = $6,
         requests = $7, rate_limit_wait_ms = $8 WHERE id = $1`,
        [
          id,
          f.status,
          now,
          f.error ? redact(JSON.stringify(f.error)) : null,
          totals.records_read,
          totals.records_written,
          totals.requests,
          totals.rate_limit_wait_ms,
        ],
        db,
      );
      // Streams still open when the run ended did not complete.
      await this.q(
        `UPDATE run_streams SET outcome = 'failed', finished_at = $1, message = coalesce(message, $2) WHERE run_id = $3 AND outcome IS NULL`,
        [now, `run ended (${f.status}) before this stream finished`, id],
        db,
      );
      return this.mustRow(id, db);
    });
  }

  /** One statement: the fields given overwrite, the others keep their stored value (or the default on insert). */
  async upsertStream(input: RunStreamUpsert): Promise<RunStream> {
    const u = parseInput(RunStreamUpsert, input, 'run stream');
    const given = STREAM_FIELDS.filter((f) => u[f] !== undefined);
    const columns = ['run_id', 'stream', '"partition"', 'started_at', ...given];
    const params: unknown[] = [
      u.run_id,
      u.stream,
      u.partition,
      u.started_at ?? toIso(Date.now()),
      ...given.map((f) => u[f]),
    ];
    const updates = given.length ? given.map((f) => `${f} = excluded.${f}`).join(', ') : 'stream = excluded.stream';
    try {
      const [row] = await this.q(
        `INSERT INTO run_streams (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})
         ON CONFLICT (run_id, stream, "partition") DO UPDATE SET ${updates} RETURNING ${STREAM_COLUMNS}`,
        params,
      );
      return this.toStream(row!);
    } catch (err) {
      if ((err as { details?: { postgres?: string } }).details?.postgres === '23503') throw notFound('run', u.run_id);
      throw err;
    }
  }

  async listStreams(runId: string): Promise<RunStream[]> {
    const rows = await this.q(
      `SELECT ${STREAM_COLUMNS} FROM run_streams WHERE run_id = $1 ORDER BY started_at, stream COLLATE "C", "partition" COLLATE "C"`,
      [runId],
    );
    return rows.map((r) => this.toStream(r));
  }

  async findStale(options: StaleRunOptions = {}): Promise<Run[]> {
    const rows = await this.q(`SELECT ${RUN_COLUMNS} FROM runs WHERE status = 'running' ORDER BY started_at`);
    return rows
      .map((r) => this.toRun(r))
      .filter((r) => isStaleRun(r, options.now, options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS));
  }

  async failStale(options: StaleRunOptions = {}): Promise<Run[]> {
    return this.tx(async (db) => {
      const rows = (
        await this.q(`SELECT ${RUN_COLUMNS} FROM runs WHERE status = 'running' ORDER BY started_at FOR UPDATE`, [], db)
      ).map((r) => this.toRun(r));
      const stale = rows.filter((r) => isStaleRun(r, options.now, options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS));
      const now = toIso(Date.now());
      const out: Run[] = [];
      for (const run of stale) {
        await this.markFailed(run, now, db);
        out.push(await this.mustRow(run.id, db));
      }
      return out;
    });
  }

  private async markFailed(run: Run, now: string, db: Queryable): Promise<void> {
    const error: RunError = new SnagError(
      'aborted',
      `The process running this sync (pid ${run.pid ?? '?'} on ${run.hostname ?? '?'}) stopped without finishing: it was killed or crashed.`,
      { hint: 'Run the sync again; it resumes from the last checkpoint.' },
    ).toJSON() as RunError;
    const t = await this.sumStreams(run.id, db);
    await this.q(
      `UPDATE runs SET status = 'failed', finished_at = $2, error = $3, records_read = greatest(records_read, $4),
       records_written = greatest(records_written, $5), requests = greatest(requests, $6),
       rate_limit_wait_ms = greatest(rate_limit_wait_ms, $7) WHERE id = $1 AND status = 'running'`,
      [run.id, now, JSON.stringify(error), t.records_read, t.records_written, t.requests, t.rate_limit_wait_ms],
      db,
    );
    await this.q(
      `UPDATE run_streams SET outcome = 'failed', finished_at = $1, message = coalesce(message, 'interrupted') WHERE run_id = $2 AND outcome IS NULL`,
      [now, run.id],
      db,
    );
  }

  private async sumStreams(runId: string, db: Queryable): Promise<RunTotals> {
    const [row] = await this.q(
      `SELECT coalesce(sum(records_read), 0) AS records_read, coalesce(sum(records_written), 0) AS records_written,
       coalesce(sum(requests), 0) AS requests, coalesce(sum(wait_ms), 0) AS rate_limit_wait_ms FROM run_streams WHERE run_id = $1`,
      [runId],
      db,
    );
    return {
      records_read: num(row?.records_read ?? 0),
      records_written: num(row?.records_written ?? 0),
      requests: num(row?.requests ?? 0),
      rate_limit_wait_ms: num(row?.rate_limit_wait_ms ?? 0),
    };
  }

  private async mustRow(id: string, db: Queryable): Promise<Run> {
    const [row] = await this.q(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = $1`, [id], db);
    if (!row) throw notFound('run', id);
    return this.toRun(row);
  }

  toStream(row: Record<string, unknown>): RunStream {
    const counters = Object.fromEntries(COUNTERS.map((c) => [c, num(row[c])]));
    return parseRow(
      RunStream,
      { ...row, ...counters, started_at: isoOrNull(row.started_at), finished_at: isoOrNull(row.finished_at) },
      'run stream',
      this.location,
    );
  }

  toRun(row: Record<string, unknown>): Run {
    return parseRow(
      Run,
      {
        id: row.id,
        source_id: row.source_id,
        status: row.status,
        trigger: row.trigger,
        options: row.options,
        started_at: isoOrNull(row.started_at),
        finished_at: isoOrNull(row.finished_at),
        error: row.error,
        totals: {
          records_read: num(row.records_read),
          records_written: num(row.records_written),
          requests: num(row.requests),
          rate_limit_wait_ms: num(row.rate_limit_wait_ms),
        },
        pid: row.pid,
        hostname: row.hostname,
        heartbeat_at: isoOrNull(row.heartbeat_at),
      },
      'run',
      this.location,
    );
  }
}
