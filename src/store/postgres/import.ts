import { SnagError } from '../../core/errors.js';
import { nameKey } from '../names.js';
import type { StoreContents } from '../repository.js';
import type { PgContext } from './base.js';
import { storeError, type Client } from './connection.js';
import { ADVISORY_LOCK_CLASS } from './migrations.js';
import { RUN_COLUMNS, STREAM_COLUMNS } from './runs.js';

export interface TableSummary {
  /** Rows that were not in PostgreSQL. */
  inserted: number;
  /** Rows that were, with other values (overwritten by the copy). */
  updated: number;
  /** Rows that were, identical: a second migration finds only these. */
  unchanged: number;
}

export interface ImportSummary {
  credentials: TableSummary;
  sources: TableSummary;
  runs: TableSummary;
  run_streams: TableSummary;
  /** The master keys the copied tokens are sealed with: every process of the cluster needs this key. */
  key_ids: string[];
}

/** Rows per INSERT: well under PostgreSQL's 65 535 parameters for the widest table. */
const BATCH = 500;

/**
 * Upserts a whole store's rows by id, in one transaction, in foreign-key order. Refuses (before writing anything)
 * what would leave the target broken: tokens sealed with two master keys, or one name held by two ids.
 */
export async function importContents(ctx: PgContext, contents: StoreContents): Promise<ImportSummary> {
  let client: Client;
  try {
    client = await ctx.pool.connect();
  } catch (err) {
    throw storeError(err, ctx.location);
  }
  try {
    await client.query('BEGIN');
    // The same lock credential writes take: no credential appears under another key while we check and copy.
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
      ADVISORY_LOCK_CLASS,
      `credentials:${ctx.schema}`,
    ]);
    const keyIds = await assertOneKey(client, contents, ctx.location);
    await assertNamesFree(client, 'credential', contents.credentials, ctx.location);
    await assertNamesFree(client, 'source', contents.sources, ctx.location);
    const summary: ImportSummary = {
      credentials: await upsert(
        client,
        'credentials',
        ['id'],
        CREDENTIAL_COLS,
        contents.credentials.map((c) => [
          c.id,
          c.name,
          nameKey(c.name),
          c.description,
          c.connector,
          c.host,
          c.token_envelope,
          c.token_key_id,
          c.token_last4,
          c.verified_status,
          c.verified_at,
          c.verify_error,
          JSON.stringify(c.organizations),
          c.rate_limit === null ? null : JSON.stringify(c.rate_limit),
          c.created_at,
          c.updated_at,
        ]),
      ),
      sources: await upsert(
        client,
        'sources',
        ['id'],
        SOURCE_COLS,
        contents.sources.map((s) => [
          s.id,
          s.name,
          nameKey(s.name),
          s.credential_id,
          s.status,
          s.status_reason,
          JSON.stringify(s.config),
          s.destination,
          s.schedule,
          s.next_run_at,
          s.last_run_id,
          s.created_at,
          s.updated_at,
        ]),
      ),
      runs: await upsert(
        client,
        'runs',
        ['id'],
        RUN_COLS,
        contents.runs.map((r) => [
          r.id,
          r.source_id,
          r.status,
          r.trigger,
          JSON.stringify(r.options),
          r.started_at,
          r.finished_at,
          r.error === null ? null : JSON.stringify(r.error),
          r.totals.records_read,
          r.totals.records_written,
          r.totals.requests,
          r.totals.rate_limit_wait_ms,
          r.pid,
          r.hostname,
          r.heartbeat_at,
        ]),
      ),
      run_streams: await upsert(
        client,
        'run_streams',
        ['run_id', 'stream', '"partition"'],
        STREAM_COLS,
        contents.runStreams.map((s) => [
          s.run_id,
          s.stream,
          s.partition,
          s.partition_label,
          s.records_read,
          s.records_written,
          s.pages,
          s.requests,
          s.retries,
          s.wait_ms,
          s.duration_ms,
          s.outcome,
          s.message,
          s.started_at,
          s.finished_at,
        ]),
      ),
      key_ids: keyIds,
    };
    await client.query('COMMIT');
    return summary;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw storeError(err, ctx.location);
  } finally {
    client.release();
  }
}

const CREDENTIAL_COLS = [
  'id',
  'name',
  'name_key',
  'description',
  'connector',
  'host',
  'token_envelope',
  'token_key_id',
  'token_last4',
  'verified_status',
  'verified_at',
  'verify_error',
  'organizations',
  'rate_limit',
  'created_at',
  'updated_at',
];
const SOURCE_COLS = [
  'id',
  'name',
  'name_key',
  'credential_id',
  'status',
  'status_reason',
  'config',
  'destination',
  'schedule',
  'next_run_at',
  'last_run_id',
  'created_at',
  'updated_at',
];
// The same columns, in the same order, as the runs repository reads.
const RUN_COLS = columnList(RUN_COLUMNS);
const STREAM_COLS = columnList(STREAM_COLUMNS);

async function upsert(
  client: Client,
  table: string,
  key: string[],
  columns: string[],
  rows: unknown[][],
): Promise<TableSummary> {
  const summary: TableSummary = { inserted: 0, updated: 0, unchanged: 0 };
  const rest = columns.filter((c) => !key.includes(c));
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows.slice(i, i + BATCH);
    const values = batch
      .map((_, r) => `(${columns.map((_, c) => `$${r * columns.length + c + 1}`).join(', ')})`)
      .join(', ');
    // Only rows whose values differ are rewritten and returned; xmax = 0 tells a fresh insert from an update.
    const { rows: changed } = await client.query<{ inserted: boolean }>(
      `INSERT INTO ${table} AS t (${columns.join(', ')}) VALUES ${values}
       ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${rest.map((c) => `${c} = excluded.${c}`).join(', ')}
       WHERE (${rest.map((c) => `t.${c}`).join(', ')}) IS DISTINCT FROM (${rest.map((c) => `excluded.${c}`).join(', ')})
       RETURNING (xmax = 0) AS inserted`,
      batch.flat(),
    );
    const inserted = changed.filter((r) => r.inserted).length;
    summary.inserted += inserted;
    summary.updated += changed.length - inserted;
    summary.unchanged += batch.length - changed.length;
  }
  return summary;
}

async function assertOneKey(client: Client, contents: StoreContents, location: string): Promise<string[]> {
  const incoming = new Set(contents.credentials.map((c) => c.token_key_id));
  const { rows } = await client.query<{ k: string }>(
    'SELECT DISTINCT token_key_id AS k FROM credentials WHERE NOT (id = ANY($1))',
    [contents.credentials.map((c) => c.id)],
  );
  const all = [...new Set([...incoming, ...rows.map((r) => r.k)])].sort();
  if (all.length > 1) {
    const theirs = rows.map((r) => r.k).filter((k) => !incoming.has(k));
    throw new SnagError(
      'vault',
      `The copied tokens are sealed with master key ${[...incoming].join(', ')}, but the tokens already in ${location} are sealed with key ${theirs.join(', ') || all.join(', ')}; one store must use one key.`,
      {
        hint: 'Copy into an empty database (or another ?schema=), or rotate the master key of one store to the other’s key first.',
        details: { key_ids: all },
      },
    );
  }
  return all;
}

async function assertNamesFree(
  client: Client,
  entity: 'credential' | 'source',
  items: Array<{ id: string; name: string }>,
  location: string,
): Promise<void> {
  if (items.length === 0) return;
  const { rows } = await client.query<{ id: string; name: string; name_key: string }>(
    `SELECT id, name, name_key FROM ${entity}s WHERE name_key = ANY($1)`,
    [items.map((i) => nameKey(i.name))],
  );
  const byKey = new Map(rows.map((r) => [r.name_key, r]));
  for (const item of items) {
    const existing = byKey.get(nameKey(item.name));
    if (existing && existing.id !== item.id) {
      throw new SnagError(
        'conflict',
        `${location} already has a ${entity} named "${existing.name}" with another id (${existing.id}) than the one copied (${item.id}).`,
        {
          hint: `Rename or remove one of the two ${entity}s, then copy again.`,
          details: { entity, name: item.name, existing_id: existing.id, copied_id: item.id },
        },
      );
    }
  }
}

function columnList(sql: string): string[] {
  return sql.split(',').map((c) => c.trim());
}
