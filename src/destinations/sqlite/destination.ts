import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Statement, Transaction } from 'better-sqlite3';
import { SnagError } from '../../core/errors.js';
import {
  compileStream,
  CONVERTERS,
  missingKey,
  type CompiledHistory,
  type CompiledStream,
  type SqlValue,
} from '../descriptor.js';
import { destinationError, fullRefreshAdvice } from '../errors.js';
import type {
  CheckpointWrite,
  ColumnType,
  DeletionMark,
  DeletionResult,
  Destination,
  DestinationRecord,
  DestinationSchema,
  Observation,
  PrepareResult,
  PushWrite,
  RunRecord,
  RunStreamCounts,
  StoredCheckpoint,
  StreamDescriptor,
  WriteResult,
} from '../types.js';
import {
  addColumnSql,
  backfillSql,
  COUNT_PAGE_SQL,
  createTableSql,
  historyDdl,
  indexSql,
  quoteId,
  RUN_STREAMS_TABLE,
  RUNS_DDL,
  RUNS_TABLE,
  STATE_DDL,
  STATE_TABLE,
  upsertSql,
} from './schema.js';
import { checkedPage, unknownStream } from '../checks.js';
import { markDeletedRows } from './deletions.js';
import { killedMessage, runOf, type RunRow, type RunStreamRow } from '../lineage.js';
import { writeHistory, type PreparedHistory } from './history.js';
import { observe, pushRecords } from './push.js';
import { checkedObservations, checkedPush } from '../push.js';

export interface SqliteDestinationOptions {
  /** How long a write waits for another writer before failing (default 5000 ms). */
  busyTimeoutMs?: number;
}

interface PreparedStream {
  compiled: CompiledStream;
  upsert: Statement;
  /** Reused for every row: one array per stream, no per-row allocation for parameters. */
  params: SqlValue[];
  keyIndexes: number[];
  history: PreparedHistory | null;
}

type WriteArgs = [PreparedStream, readonly DestinationRecord[], string, CheckpointWrite, string];

/**
 * SQLite destination: one table per stream (typed columns, `_record`, `_synced_at`, `_source_id`, `_run_id`), upsert
 * by primary key, and the checkpoints in `_snagsync_state` and the run's counts in `_snagsync_run_streams` — written in
 * the same transaction as the page they describe. Runs are recorded in `_snagsync_runs` (recordRun).
 */
export class SqliteDestination implements Destination {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly streams = new Map<string, PreparedStream>();
  private readonly busyTimeoutMs: number;
  private readonly writeTx: Transaction<(...args: WriteArgs) => void>;
  private readonly saveState: Statement;
  private readonly countPage: Statement;

  constructor(
    readonly location: string,
    options: SqliteDestinationOptions = {},
  ) {
    this.busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    let db: Database.Database | undefined;
    try {
      mkdirSync(dirname(location), { recursive: true });
      db = new Database(location, { timeout: this.busyTimeoutMs });
      db.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
      db.pragma('journal_mode = WAL');
      // WAL + NORMAL: a killed process loses nothing committed; a power cut can drop the last pages, but records and
      // checkpoints always together, so the next sync simply reads those pages again.
      db.pragma('synchronous = NORMAL');
      db.function('snagsync_value', { deterministic: true }, (value: unknown, type: unknown) =>
        CONVERTERS[type as ColumnType](value),
      );
      db.exec(STATE_DDL);
      db.exec(RUNS_DDL);
    } catch (err) {
      db?.close();
      throw destinationError(err, location, this.busyTimeoutMs);
    }
    this.db = db;
    this.saveState = db.prepare(
      `INSERT INTO ${STATE_TABLE} (source_id, stream, partition, state, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (source_id, stream, partition) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
    );
    this.countPage = db.prepare(COUNT_PAGE_SQL);
    this.writeTx = db.transaction(
      (ps: PreparedStream, records: readonly DestinationRecord[], now: string, cp: CheckpointWrite, state: string) => {
        const { params, upsert, keyIndexes } = ps;
        const columns = ps.compiled.columns;
        const n = columns.length;
        for (const record of records) {
          for (let i = 0; i < n; i++) params[i] = columns[i]!.read(record);
          for (const k of keyIndexes)
            if (params[k] === null) throw missingKey(ps.compiled.descriptor.name, columns[k]!.name);
          params[n] = JSON.stringify(record);
          params[n + 1] = now;
          params[n + 2] = cp.sourceId;
          params[n + 3] = cp.runId ?? null;
          upsert.run(params);
        }
        if (ps.history)
          writeHistory(ps.history, records, cp.observed ?? { at: now, by: 'incremental' }, cp.runId ?? null);
        this.saveState.run(cp.sourceId, ps.compiled.descriptor.name, cp.partition, state, now);
        if (cp.runId)
          this.countPage.run(cp.runId, ps.compiled.descriptor.name, cp.partition, records.length, records.length, now);
      },
    );
  }

  async prepare(descriptors: readonly StreamDescriptor[]): Promise<PrepareResult> {
    const compiled = descriptors.map(compileStream);
    const result: PrepareResult = { created: [], addedColumns: [] };
    this.guard(() =>
      this.db
        .transaction(() => {
          for (const s of compiled) this.migrate(s, result);
        })
        .immediate(),
    );
    for (const s of compiled) {
      const upsert = this.guard(() => this.db.prepare(upsertSql(s)));
      this.streams.set(s.descriptor.name, {
        compiled: s,
        upsert,
        params: new Array<SqlValue>(s.columns.length + 4).fill(null),
        keyIndexes: s.keyColumns.map((k) => s.columns.indexOf(k)),
        history: s.history ? this.guard(() => this.prepareHistory(s.history!)) : null,
      });
    }
    return result;
  }

  /**
   * Creates the table, or brings an existing one to the declaration in place: columns renamed by the declaration
   * (`formerNames`) renamed, the columns it lacks added and filled (`_run_id` stays NULL on older rows), the declared
   * indexes created. Never drops or retypes anything.
   */
  private migrate(s: CompiledStream, result: PrepareResult): void {
    const name = s.descriptor.name;
    const tableInfo = () => this.db.pragma(`table_info(${quoteId(name)})`) as Array<{ name: string; pk: number }>;
    let info = tableInfo();
    if (s.history) {
      const exists = this.tableExists(s.history.name);
      for (const sql of historyDdl(s.history)) this.db.exec(sql);
      if (!exists) result.created.push(s.history.name);
    }
    if (info.length === 0) {
      this.db.exec(createTableSql(s));
      for (const index of s.indexes) this.db.exec(indexSql(name, index));
      result.created.push(name);
      return;
    }
    const present = new Set(info.map((c) => c.name.toLowerCase()));
    let renamed = false;
    for (const c of s.descriptor.columns) {
      if (present.has(c.name.toLowerCase())) continue;
      const old = (c.formerNames ?? []).find((f) => present.has(f.toLowerCase()));
      if (!old) continue;
      this.db.exec(`ALTER TABLE ${quoteId(name)} RENAME COLUMN ${quoteId(old)} TO ${quoteId(c.name)}`);
      renamed = true;
    }
    if (renamed) info = tableInfo();
    const existingKey = info
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name);
    if (existingKey.join(',') !== s.descriptor.primaryKey.join(',')) {
      throw new SnagError(
        'destination',
        `The table "${name}" in ${this.location} has the key (${existingKey.join(', ')}), but this snagsync keys "${name}" by (${s.descriptor.primaryKey.join(', ')}).`,
        {
          ...fullRefreshAdvice(
            `A key cannot be changed in place. Rename the old table (ALTER TABLE ${name} RENAME TO ${name}_old) or use a new destination, then`,
          ),
        },
      );
    }
    const have = new Set(info.map((c) => c.name.toLowerCase()));
    for (const c of s.columns) {
      if (have.has(c.name.toLowerCase())) continue;
      this.db.exec(addColumnSql(name, c));
      this.db.exec(backfillSql(name, c));
      result.addedColumns.push({ stream: name, column: c.name });
    }
    // A table created before runs were recorded: its rows keep a NULL _run_id (written by no recorded run).
    if (!have.has('_run_id')) this.db.exec(`ALTER TABLE ${quoteId(name)} ADD COLUMN "_run_id" TEXT`);
    // A table created before deletions were marked: every row is there until a full pass says otherwise.
    if (!have.has('_deleted_at')) this.db.exec(`ALTER TABLE ${quoteId(name)} ADD COLUMN "_deleted_at" TEXT`);
    for (const index of s.indexes) this.db.exec(indexSql(name, index));
  }

  private prepareHistory(h: CompiledHistory): PreparedHistory {
    const t = quoteId(h.name);
    const where = h.key.map((k) => `${quoteId(k.name)} = ?`).join(' AND ');
    const names = h.columns.map((c) => quoteId(c.name));
    return {
      compiled: h,
      open: this.db.prepare(
        `SELECT ${['valid_from', ...h.fields.map((f) => f.name)].map(quoteId).join(', ')} FROM ${t} WHERE ${where} AND "valid_to" IS NULL`,
      ),
      close: this.db.prepare(`UPDATE ${t} SET "valid_to" = ? WHERE ${where} AND "valid_to" IS NULL`),
      insert: this.db.prepare(`INSERT INTO ${t} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`),
    };
  }

  async writePage(
    stream: string,
    records: readonly DestinationRecord[],
    checkpoint: CheckpointWrite,
  ): Promise<WriteResult> {
    const ps = this.streams.get(stream);
    if (!ps) throw unknownStream(stream);
    const state = checkedPage(stream, records, checkpoint);
    this.guard(() => this.writeTx.immediate(ps, records, new Date().toISOString(), checkpoint, state));
    return { written: records.length, unchanged: 0 };
  }

  /** Records pushed outside a run (see push.ts); `unchanged` counts those left out as older than their row. */
  async writeRecords(stream: string, records: readonly DestinationRecord[], options: PushWrite): Promise<WriteResult> {
    const ps = this.streams.get(stream);
    if (!ps) throw unknownStream(stream);
    const push = checkedPush(ps.compiled, records, options);
    const now = new Date().toISOString();
    return this.guard(() =>
      this.db.transaction(() => pushRecords(this.db, ps, records, options.sourceId, push, now)).immediate(),
    );
  }

  async recordObservations(stream: string, observations: readonly Observation[]): Promise<number> {
    const ps = this.streams.get(stream);
    if (!ps) throw unknownStream(stream);
    const checked = checkedObservations(ps.compiled, observations);
    if (checked.length === 0) return 0;
    return this.guard(() => this.db.transaction(() => observe(this.db, ps, checked)).immediate());
  }

  /** A completed full pass's deletions (deletions.ts). */
  async markDeleted(stream: string, mark: DeletionMark): Promise<DeletionResult> {
    if (!this.streams.has(stream)) throw unknownStream(stream);
    return this.guard(() => markDeletedRows(this.db, stream, mark));
  }

  async readCheckpoint(sourceId: string, stream: string, partition: string): Promise<unknown> {
    const row = this.guard(
      () =>
        this.db
          .prepare(`SELECT state FROM ${STATE_TABLE} WHERE source_id = ? AND stream = ? AND partition = ?`)
          .get(sourceId, stream, partition) as { state: string } | undefined,
    );
    return row ? (JSON.parse(row.state) as unknown) : null;
  }

  async readCheckpoints(sourceId: string): Promise<StoredCheckpoint[]> {
    const rows = this.guard(
      () =>
        this.db
          .prepare(
            `SELECT stream, partition, state, updated_at FROM ${STATE_TABLE} WHERE source_id = ? ORDER BY stream, partition`,
          )
          .all(sourceId) as Array<{
          stream: string;
          partition: string;
          state: string;
          updated_at: string;
        }>,
    );
    return rows.map((r) => ({
      sourceId,
      stream: r.stream,
      partition: r.partition,
      state: JSON.parse(r.state) as unknown,
      updatedAt: r.updated_at,
    }));
  }

  async resetCheckpoints(sourceId: string, streams?: readonly string[]): Promise<number> {
    return this.guard(() => {
      if (!streams) return this.db.prepare(`DELETE FROM ${STATE_TABLE} WHERE source_id = ?`).run(sourceId).changes;
      const del = this.db.prepare(`DELETE FROM ${STATE_TABLE} WHERE source_id = ? AND stream = ?`);
      return this.db.transaction(() => streams.reduce((n, s) => n + del.run(sourceId, s).changes, 0)).immediate();
    });
  }

  async countRecords(stream: string): Promise<number> {
    if (!this.tableExists(stream)) return 0;
    return this.guard(() => (this.db.prepare(`SELECT count(*) AS n FROM ${quoteId(stream)}`).get() as { n: number }).n);
  }

  async listRecords(stream: string, options: { limit?: number } = {}): Promise<Array<Record<string, unknown>>> {
    if (!this.tableExists(stream)) return [];
    const info = this.guard(
      () => this.db.pragma(`table_info(${quoteId(stream)})`) as Array<{ name: string; pk: number }>,
    );
    if (!info.some((c) => c.name === '_record')) {
      // A history table (error_history) has no _record: its rows are its columns, by key.
      const key = info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
      return this.guard(
        () =>
          this.db
            .prepare(`SELECT * FROM ${quoteId(stream)} ORDER BY ${key.map((c) => quoteId(c.name)).join(', ')} LIMIT ?`)
            .all(options.limit ?? -1) as Array<Record<string, unknown>>,
      );
    }
    const rows = this.guard(
      () =>
        this.db
          .prepare(`SELECT _record FROM ${quoteId(stream)} ORDER BY rowid LIMIT ?`)
          .all(options.limit ?? -1) as Array<{ _record: string }>,
    );
    return rows.map((r) => JSON.parse(r._record) as Record<string, unknown>);
  }

  async describe(): Promise<DestinationSchema> {
    const tables = this.guard(
      () =>
        this.db
          .prepare(
            `SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_snagsync\\_%' ESCAPE '\\' ORDER BY name`,
          )
          .all() as Array<{ name: string; sql: string }>,
    );
    const streams = [];
    for (const t of tables) {
      const info = this.db.pragma(`table_info(${quoteId(t.name)})`) as Array<{
        name: string;
        type: string;
        pk: number;
      }>;
      streams.push({
        name: t.name,
        records: await this.countRecords(t.name),
        columns: info.map((c) => ({ name: c.name, type: c.type, primaryKey: c.pk > 0 })),
        definition: t.sql,
      });
    }
    return { kind: this.kind, location: this.location, streams };
  }

  async recordRun(run: RunRecord): Promise<void> {
    this.guard(() =>
      this.db
        .transaction(() => {
          if (run.status === 'running') {
            this.db
              .prepare(
                `UPDATE ${RUNS_TABLE} SET status = 'failed', error = ? WHERE source_id = ? AND status = 'running' AND run_id <> ?`,
              )
              .run(killedMessage(run.runId), run.sourceId, run.runId);
          }
          this.db
            .prepare(
              `INSERT INTO ${RUNS_TABLE} (run_id, source_id, source_name, trigger, started_at, ended_at, status, error)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (run_id) DO UPDATE SET source_name = excluded.source_name, trigger = excluded.trigger,
                 ended_at = excluded.ended_at, status = excluded.status, error = excluded.error`,
            )
            .run(
              run.runId,
              run.sourceId,
              run.sourceName,
              run.trigger,
              run.startedAt,
              run.endedAt,
              run.status,
              run.error,
            );
        })
        .immediate(),
    );
  }

  async listRuns(): Promise<Array<RunRecord & { streams: RunStreamCounts[] }>> {
    return this.guard(() => {
      const runs = this.db.prepare(`SELECT * FROM ${RUNS_TABLE} ORDER BY started_at, run_id`).all() as RunRow[];
      const counts = this.db
        .prepare(`SELECT * FROM ${RUN_STREAMS_TABLE} ORDER BY run_id, stream, partition`)
        .all() as RunStreamRow[];
      return runs.map((r) => runOf(r, counts));
    });
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private tableExists(name: string): boolean {
    return this.guard(
      () => this.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined,
    );
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw destinationError(err, this.location, this.busyTimeoutMs);
    }
  }
}

export function openSqliteDestination(path: string, options: SqliteDestinationOptions = {}): SqliteDestination {
  return new SqliteDestination(path, options);
}
