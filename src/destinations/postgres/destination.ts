import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { SnagError } from '../../core/errors.js';
import { checkedPage, unknownStream } from '../checks.js';
import { compileStream, type CompiledStream } from '../descriptor.js';
import type {
  CheckpointWrite,
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
import { createPool, endpointOf, type PgEndpoint, type PgPoolOptions } from './connect.js';
import { copyText, lastPerKey } from './copy.js';
import { fullRefreshAdvice } from '../errors.js';
import { pgDestinationError } from './errors.js';
import {
  addColumnSql,
  backfillSql,
  copySql,
  createTableSql,
  historyDdl,
  historySql,
  indexSql,
  literal,
  OWN_TABLE_COMMENTS,
  qualified,
  quoteId,
  RUN_STREAMS_TABLE,
  RUNS_TABLE,
  runsDdl,
  stagingTable,
  STATE_TABLE,
  stateDdl,
  upsertSql,
} from './schema.js';
import { SYSTEM_COLUMN_DESCRIPTIONS } from '../descriptor.js';
import { killedMessage, runOf, type RunRow, type RunStreamRow } from '../lineage.js';
import type { PostgresTarget } from './url.js';
import { observe, pushRecords } from './push.js';
import { checkedObservations, checkedPush } from '../push.js';
import { markDeletedRows } from './deletions.js';

export type PostgresDestinationOptions = PgPoolOptions;

interface PreparedStream {
  compiled: CompiledStream;
  /** BEGIN and the per-connection staging table, in one round trip. */
  begin: string;
  copy: string;
  upsert: string;
  staging: string;
}

/** Missing schema or table: a destination nothing was written to yet reads as empty. */
const ABSENT = new Set(['42P01', '3F000']);

/**
 * PostgreSQL destination: a schema (default `bugsnag`) holding one table per stream (typed columns, `_record` jsonb,
 * `_synced_at`, `_source_id`, `_run_id`; the streams' primary keys and declared indexes, comments from the
 * declarations), the checkpoints in `_snagsync_state`, and the runs in `_snagsync_runs` / `_snagsync_run_streams`. A page is COPY'd
 * into a per-connection temporary table, then moved with INSERT … ON CONFLICT DO UPDATE, and the checkpoint written,
 * in one transaction: records and checkpoint are committed together or not at all.
 */
export class PostgresDestination implements Destination {
  readonly kind = 'postgres' as const;
  readonly location: string;
  private readonly streams = new Map<string, PreparedStream>();
  private readonly at: PgEndpoint;
  private readonly schema: string;
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    target: PostgresTarget,
  ) {
    this.at = endpointOf(target);
    this.location = this.at.location;
    this.schema = target.schema;
  }

  /** Connects once to report an unreachable server, a missing database or a refused login at once. Creates nothing. */
  static async open(target: PostgresTarget, options: PostgresDestinationOptions = {}): Promise<PostgresDestination> {
    const pool = createPool(target, options);
    const dest = new PostgresDestination(pool, target);
    try {
      const client = await pool.connect();
      client.release();
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw pgDestinationError(err, dest.at);
    }
    return dest;
  }

  async prepare(descriptors: readonly StreamDescriptor[]): Promise<PrepareResult> {
    const compiled = descriptors.map(compileStream);
    const result: PrepareResult = { created: [], addedColumns: [] };
    await this.transaction(async (c) => {
      // Two syncs starting together against the same schema: one creates, the other then sees the tables.
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`snagsync:destination:${this.schema}`]);
      const exists = await c.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [this.schema]);
      // Checked first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege even when the schema exists.
      if (exists.rowCount === 0) await c.query(`CREATE SCHEMA ${quoteId(this.schema)}`);
      await c.query(stateDdl(this.schema));
      await c.query(runsDdl(this.schema));
      for (const s of compiled) await this.migrate(c, s, result);
      await this.comment(c, compiled);
    });
    for (const s of compiled) {
      const staging = stagingTable(s);
      this.streams.set(s.descriptor.name, {
        compiled: s,
        begin: `BEGIN; ${staging.ddl}`,
        copy: copySql(staging.name, s),
        upsert: upsertSql(this.schema, staging.name, s),
        staging: staging.name,
      });
    }
    return result;
  }

  /**
   * Creates the table, or brings an existing one to the declaration in place: columns renamed by the declaration
   * (`formerNames`) renamed, the columns it lacks added and filled (`_run_id` stays NULL on older rows), the declared
   * indexes created. Never drops or retypes anything.
   */
  private async migrate(c: pg.PoolClient, s: CompiledStream, result: PrepareResult): Promise<void> {
    const name = s.descriptor.name;
    const table = qualified(this.schema, name);
    if (s.history) {
      const exists = (await this.columnsOf(c, s.history.name)).length > 0;
      for (const sql of historyDdl(this.schema, s.history)) await c.query(sql);
      if (!exists) result.created.push(s.history.name);
    }
    let columns = await this.columnsOf(c, name);
    if (columns.length === 0) {
      await c.query(createTableSql(this.schema, s));
      await this.index(c, s);
      result.created.push(name);
      return;
    }
    const present = new Set(columns.map((col) => col.name));
    let renamed = false;
    for (const col of s.descriptor.columns) {
      const old = present.has(col.name) ? undefined : col.formerNames?.find((f) => present.has(f));
      if (!old) continue;
      await c.query(`ALTER TABLE ${table} RENAME COLUMN ${quoteId(old)} TO ${quoteId(col.name)}`);
      renamed = true;
    }
    if (renamed) columns = await this.columnsOf(c, name);
    const existingKey = columns.filter((col) => col.primaryKey).map((col) => col.name);
    if (existingKey.join(',') !== s.descriptor.primaryKey.join(',')) {
      throw new SnagError(
        'destination',
        `The table ${table} in ${this.location} has the key (${existingKey.join(', ')}), but this snagsync keys "${name}" by (${s.descriptor.primaryKey.join(', ')}).`,
        {
          ...fullRefreshAdvice(
            `A key cannot be changed in place. Rename the old table (ALTER TABLE ${table} RENAME TO ${quoteId(`${name}_old`)}) or use another schema (?schema=NAME), then`,
          ),
          details: { field: 'destination', location: this.location },
        },
      );
    }
    const have = new Set(columns.map((col) => col.name));
    for (const col of s.columns) {
      if (have.has(col.name)) continue;
      await c.query(addColumnSql(this.schema, name, col));
      await c.query(backfillSql(this.schema, name, col));
      result.addedColumns.push({ stream: name, column: col.name });
    }
    // A table created before runs were recorded: its rows keep a NULL _run_id (written by no recorded run).
    if (!have.has('_run_id')) await c.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS "_run_id" text`);
    // A table created before deletions were marked: every row is there until a full pass says otherwise.
    if (!have.has('_deleted_at'))
      await c.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS "_deleted_at" timestamptz`);
    await this.index(c, s);
  }

  /** The declared indexes the table lacks (CREATE INDEX locks the table against writes, even when it exists). */
  private async index(c: pg.PoolClient, s: CompiledStream): Promise<void> {
    if (s.indexes.length === 0) return;
    const have = await c.query<{ indexname: string }>(
      'SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2',
      [this.schema, s.descriptor.name],
    );
    const names = new Set(have.rows.map((r) => r.indexname));
    for (const index of s.indexes)
      if (!names.has(index.name)) await c.query(indexSql(this.schema, s.descriptor.name, index));
  }

  /**
   * `COMMENT ON` every table and column from the declarations (the stream's description, each column's; the system
   * columns' and snagsync's own tables' from here). Only the comments that differ are written: a comment needs the
   * table's ownership, and a schema synced by another role with the same snagsync has them already.
   */
  private async comment(c: pg.PoolClient, compiled: readonly CompiledStream[]): Promise<void> {
    const wanted = new Map<string, Map<string, string>>();
    for (const s of compiled) {
      const m = new Map<string, string>();
      if (s.descriptor.description) m.set('', s.descriptor.description);
      for (const col of s.descriptor.columns) if (col.description) m.set(col.name, col.description);
      for (const [k, v] of Object.entries(SYSTEM_COLUMN_DESCRIPTIONS)) m.set(k, v);
      wanted.set(s.descriptor.name, m);
      if (s.history)
        wanted.set(
          s.history.name,
          new Map([
            ['', s.history.spec.description],
            ...s.history.columns.map((col) => [col.name, col.description] as const),
          ]),
        );
    }
    for (const [t, cols] of Object.entries(OWN_TABLE_COMMENTS)) wanted.set(t, new Map(Object.entries(cols)));
    const current = await c.query<{ table: string; column: string; comment: string | null }>(
      `SELECT cl.relname AS table, COALESCE(a.attname, '') AS column,
              CASE WHEN a.attname IS NULL THEN obj_description(cl.oid, 'pg_class') ELSE col_description(cl.oid, a.attnum) END AS comment
       FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = cl.oid AND a.attnum > 0 AND NOT a.attisdropped
       WHERE n.nspname = $1 AND cl.relname = ANY($2::text[])
       UNION ALL
       SELECT cl.relname, '', obj_description(cl.oid, 'pg_class') FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace
       WHERE n.nspname = $1 AND cl.relname = ANY($2::text[])`,
      [this.schema, [...wanted.keys()]],
    );
    const have = new Map(current.rows.map((r) => [`${r.table}\u0000${r.column}`, r.comment]));
    for (const [t, cols] of wanted) {
      for (const [col, text] of cols) {
        const key = `${t}\u0000${col}`;
        if (!have.has(key) || have.get(key) === text) continue;
        await c.query(
          col === ''
            ? `COMMENT ON TABLE ${qualified(this.schema, t)} IS ${literal(text)}`
            : `COMMENT ON COLUMN ${qualified(this.schema, t)}.${quoteId(col)} IS ${literal(text)}`,
        );
      }
    }
  }

  /** The table's columns in order, with their SQL types and whether they are in the primary key (in key order). */
  private async columnsOf(
    c: pg.PoolClient | pg.Pool,
    table: string,
  ): Promise<Array<{ name: string; type: string; primaryKey: boolean }>> {
    const rows = await c.query<{ name: string; type: string; key_pos: number | null }>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, array_position(i.indkey::int2[], a.attnum) AS key_pos
       FROM pg_attribute a
       LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
       WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY a.attnum`,
      [qualified(this.schema, table)],
    );
    const keyOrder = rows.rows
      .filter((r) => r.key_pos !== null)
      .sort((x, y) => x.key_pos! - y.key_pos!)
      .map((r) => r.name);
    const ordered = rows.rows.map((r) => ({ name: r.name, type: r.type, primaryKey: r.key_pos !== null }));
    // Key columns first in key order for the comparison in migrate; the rest keeps table order.
    return [...keyOrder.map((k) => ordered.find((o) => o.name === k)!), ...ordered.filter((o) => !o.primaryKey)];
  }

  async writePage(
    stream: string,
    records: readonly DestinationRecord[],
    checkpoint: CheckpointWrite,
  ): Promise<WriteResult> {
    const ps = this.streams.get(stream);
    if (!ps) throw unknownStream(stream);
    const state = checkedPage(stream, records, checkpoint);
    const rows = lastPerKey(ps.compiled, records);
    const now = new Date().toISOString();
    const text = rows.length ? copyText(ps.compiled, rows, now, checkpoint.sourceId, checkpoint.runId ?? null) : '';
    await this.withClient(async (c) => {
      try {
        await c.query(ps.begin);
        if (text) await pipeline(Readable.from([text]), c.query(copyFrom(ps.copy)));
        // The upsert, the checkpoint and COMMIT in one round trip (an error stops the rest: nothing is committed).
        const values = [checkpoint.sourceId, stream, checkpoint.partition, state, now].map((v) => c.escapeLiteral(v));
        await c.query(
          `${text ? `${ps.upsert};\n${this.historySql(c, ps, checkpoint, now)}` : ''}INSERT INTO ${qualified(this.schema, STATE_TABLE)} (source_id, stream, partition, state, updated_at)
           VALUES (${values[0]}, ${values[1]}, ${values[2]}, ${values[3]}::jsonb, ${values[4]}::timestamptz)
           ON CONFLICT (source_id, stream, partition) DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at;
           ${checkpoint.runId ? this.countSql(c, checkpoint.runId, stream, checkpoint.partition, records.length, now) : ''}
           COMMIT`,
        );
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
    return { written: records.length, unchanged: 0 };
  }

  /** Records pushed outside a run (see push.ts); `unchanged` counts those left out as older than their row. */
  async writeRecords(stream: string, records: readonly DestinationRecord[], options: PushWrite): Promise<WriteResult> {
    const ps = this.streams.get(stream);
    if (!ps) throw unknownStream(stream);
    const push = checkedPush(ps.compiled, records, options);
    let result: WriteResult = { written: 0, unchanged: records.length };
    await this.withClient(async (c) => {
      result = await pushRecords(c, this.schema, ps, records, options.sourceId, push);
    });
    return result;
  }

  async recordObservations(stream: string, observations: readonly Observation[]): Promise<number> {
    const ps = this.streams.get(stream);
    if (!ps) throw unknownStream(stream);
    const checked = checkedObservations(ps.compiled, observations);
    let opened = 0;
    if (checked.length > 0)
      await this.withClient(async (c) => {
        opened = await observe(c, this.schema, ps.compiled, checked);
      });
    return opened;
  }

  /** The page's observed states into the stream's history (see historySql), or nothing. */
  private historySql(c: pg.PoolClient, ps: PreparedStream, cp: CheckpointWrite, now: string): string {
    const h = ps.compiled.history;
    if (!h) return '';
    return `${historySql(this.schema, ps.staging, h, {
      at: c.escapeLiteral(cp.observed?.at ?? now),
      by: c.escapeLiteral(cp.observed?.by ?? 'incremental'),
      runId: cp.runId ? c.escapeLiteral(cp.runId) : 'NULL',
    })}\n`;
  }

  /** The page's records counted for its run, stream and partition (see ../lineage.ts). */
  private countSql(c: pg.PoolClient, runId: string, stream: string, partition: string, n: number, now: string): string {
    const [run, st, part, at] = [runId, stream, partition, now].map((v) => c.escapeLiteral(v));
    return `INSERT INTO ${qualified(this.schema, RUN_STREAMS_TABLE)} (run_id, stream, partition, records_read, records_written, pages, updated_at)
           VALUES (${run}, ${st}, ${part}, ${n}, ${n}, 1, ${at}::timestamptz)
           ON CONFLICT (run_id, stream, partition) DO UPDATE SET records_read = ${qualified(this.schema, RUN_STREAMS_TABLE)}.records_read + EXCLUDED.records_read,
             records_written = ${qualified(this.schema, RUN_STREAMS_TABLE)}.records_written + EXCLUDED.records_written,
             pages = ${qualified(this.schema, RUN_STREAMS_TABLE)}.pages + 1, updated_at = EXCLUDED.updated_at;`;
  }

  async recordRun(run: RunRecord): Promise<void> {
    const runs = qualified(this.schema, RUNS_TABLE);
    await this.transaction(async (c) => {
      if (run.status === 'running')
        await c.query(
          `UPDATE ${runs} SET status = 'failed', error = $1 WHERE source_id = $2 AND status = 'running' AND run_id <> $3`,
          [killedMessage(run.runId), run.sourceId, run.runId],
        );
      await c.query(
        `INSERT INTO ${runs} (run_id, source_id, source_name, trigger, started_at, ended_at, status, error)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (run_id) DO UPDATE SET source_name = EXCLUDED.source_name, trigger = EXCLUDED.trigger,
           ended_at = EXCLUDED.ended_at, status = EXCLUDED.status, error = EXCLUDED.error`,
        [run.runId, run.sourceId, run.sourceName, run.trigger, run.startedAt, run.endedAt, run.status, run.error],
      );
    });
  }

  async listRuns(): Promise<Array<RunRecord & { streams: RunStreamCounts[] }>> {
    const runs = await this.read<RunRow>(
      `SELECT * FROM ${qualified(this.schema, RUNS_TABLE)} ORDER BY started_at, run_id COLLATE "C"`,
    );
    const counts = await this.read<RunStreamRow>(
      `SELECT * FROM ${qualified(this.schema, RUN_STREAMS_TABLE)} ORDER BY run_id COLLATE "C", stream COLLATE "C", partition COLLATE "C"`,
    );
    return runs.map((r) => runOf(r, counts));
  }

  /** A completed full pass's deletions (deletions.ts), in one transaction. */
  async markDeleted(stream: string, mark: DeletionMark): Promise<DeletionResult> {
    if (!this.streams.has(stream)) throw unknownStream(stream);
    let result: DeletionResult = { marked: 0, purged: 0 };
    await this.transaction(async (c) => {
      result = await markDeletedRows(c, this.schema, stream, mark);
    });
    return result;
  }

  async readCheckpoint(sourceId: string, stream: string, partition: string): Promise<unknown> {
    const rows = await this.read<{ state: unknown }>(
      `SELECT state FROM ${qualified(this.schema, STATE_TABLE)} WHERE source_id = $1 AND stream = $2 AND partition = $3`,
      [sourceId, stream, partition],
    );
    return rows[0] ? rows[0].state : null;
  }

  async readCheckpoints(sourceId: string): Promise<StoredCheckpoint[]> {
    const rows = await this.read<{ stream: string; partition: string; state: unknown; updated_at: Date }>(
      `SELECT stream, partition, state, updated_at FROM ${qualified(this.schema, STATE_TABLE)} WHERE source_id = $1 ORDER BY stream COLLATE "C", partition COLLATE "C"`,
      [sourceId],
    );
    return rows.map((r) => ({
      sourceId,
      stream: r.stream,
      partition: r.partition,
      state: r.state,
      updatedAt: r.updated_at.toISOString(),
    }));
  }

  async resetCheckpoints(sourceId: string, streams?: readonly string[]): Promise<number> {
    const table = qualified(this.schema, STATE_TABLE);
    return this.guard(async () => {
      try {
        const r = streams
          ? await this.pool.query(`DELETE FROM ${table} WHERE source_id = $1 AND stream = ANY($2::text[])`, [
              sourceId,
              [...streams],
            ])
          : await this.pool.query(`DELETE FROM ${table} WHERE source_id = $1`, [sourceId]);
        return r.rowCount ?? 0;
      } catch (err) {
        if (ABSENT.has(codeOf(err))) return 0;
        throw err;
      }
    });
  }

  async countRecords(stream: string): Promise<number> {
    const rows = await this.read<{ n: string }>(`SELECT count(*) AS n FROM ${qualified(this.schema, stream)}`);
    return rows[0] ? Number(rows[0].n) : 0;
  }

  /** Oldest write first (then by key): PostgreSQL has no insertion order to give back. */
  async listRecords(stream: string, options: { limit?: number } = {}): Promise<Array<Record<string, unknown>>> {
    const columns = await this.guard(() => this.columnsOf(this.pool, stream));
    if (columns.length > 0 && !columns.some((c) => c.name === '_record')) {
      // A history table (error_history) has no _record: its rows are its columns (times as ISO text), by key.
      const limit = options.limit !== undefined && options.limit >= 0 ? ` LIMIT ${Math.floor(options.limit)}` : '';
      const order = columns.filter((c) => c.primaryKey).map((c) => quoteId(c.name));
      const rows = await this.read<Record<string, unknown>>(
        `SELECT * FROM ${qualified(this.schema, stream)} ORDER BY ${order.join(', ')}${limit}`,
      );
      return rows.map((r) =>
        Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])),
      );
    }
    const key = this.streams.get(stream)?.compiled.descriptor.primaryKey ?? (await this.keyOf(stream));
    const order = ['"_synced_at"', ...key.map(quoteId)].join(', ');
    const limit = options.limit !== undefined && options.limit >= 0 ? ` LIMIT ${Math.floor(options.limit)}` : '';
    const rows = await this.read<{ _record: Record<string, unknown> }>(
      `SELECT "_record" FROM ${qualified(this.schema, stream)} ORDER BY ${order}${limit}`,
    );
    return rows.map((r) => r._record);
  }

  async describe(): Promise<DestinationSchema> {
    const tables = await this.read<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname NOT LIKE '\\_snagsync\\_%' ORDER BY c.relname COLLATE "C"`,
      [this.schema],
    );
    const streams: DestinationSchema['streams'] = [];
    for (const t of tables) {
      const columns = await this.guard(() => this.tableColumns(t.name));
      const keys = columns.filter((c) => c.primaryKey).map((c) => quoteId(c.name));
      const lines = columns.map((c) => `  ${quoteId(c.name)} ${c.type}`);
      if (keys.length) lines.push(`  PRIMARY KEY (${keys.join(', ')})`);
      streams.push({
        name: t.name,
        records: await this.countRecords(t.name),
        columns,
        definition: `CREATE TABLE ${qualified(this.schema, t.name)} (\n${lines.join(',\n')}\n)`,
      });
    }
    return { kind: this.kind, location: this.location, streams };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  /** Columns in table order (columnsOf puts the key first, for comparing keys). */
  private async tableColumns(table: string): Promise<Array<{ name: string; type: string; primaryKey: boolean }>> {
    const rows = await this.pool.query<{ name: string; type: string; not_null: boolean; pk: boolean }>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
              EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary AND a.attnum = ANY(i.indkey)) AS pk
       FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [qualified(this.schema, table)],
    );
    return rows.rows.map((r) => ({ name: r.name, type: r.not_null ? `${r.type} NOT NULL` : r.type, primaryKey: r.pk }));
  }

  private async keyOf(stream: string): Promise<string[]> {
    const cols = await this.guard(() => this.columnsOf(this.pool, stream));
    return cols.filter((c) => c.primaryKey).map((c) => c.name);
  }

  /** A read where a schema or table not created yet means "nothing stored". */
  private async read<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    return this.guard(async () => {
      try {
        return (await this.pool.query<R>(sql, params)).rows;
      } catch (err) {
        if (ABSENT.has(codeOf(err))) return [];
        throw err;
      }
    });
  }

  private async transaction(fn: (c: pg.PoolClient) => Promise<void>): Promise<void> {
    await this.withClient(async (c) => {
      await c.query('BEGIN');
      try {
        await fn(c);
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /** A pooled connection for `fn`; one that failed mid-way is discarded rather than handed to the next page. */
  private async withClient(fn: (c: pg.PoolClient) => Promise<void>): Promise<void> {
    await this.guard(async () => {
      const c = await this.pool.connect();
      let failure: unknown;
      try {
        await fn(c);
      } catch (err) {
        failure = err;
        throw err;
      } finally {
        c.release(
          failure instanceof Error && !(failure instanceof SnagError) && !isServerError(failure) ? failure : undefined,
        );
      }
    });
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new SnagError('internal', `The destination ${this.location} is closed.`);
    try {
      return await fn();
    } catch (err) {
      throw pgDestinationError(err, this.at);
    }
  }
}

/** An error the server answered with (the connection is fine after ROLLBACK), as opposed to a broken connection. */
function isServerError(err: unknown): boolean {
  return /^[0-9A-Z]{5}$/.test(codeOf(err)) && !codeOf(err).startsWith('08') && !codeOf(err).startsWith('57');
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

export function openPostgresDestination(
  target: PostgresTarget,
  options: PostgresDestinationOptions = {},
): Promise<PostgresDestination> {
  return PostgresDestination.open(target, options);
}
