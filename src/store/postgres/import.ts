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
  /**
   * Write-back journals and their rows only: rows PostgreSQL holds in a later state than the copy (an apply there
   * went further since an earlier migration), left as they are — an older "failed" over a newer "applied" would make
   * the next apply send that row again.
   */
  kept?: number;
}

export interface ImportSummary {
  credentials: TableSummary;
  sources: TableSummary;
  runs: TableSummary;
  run_streams: TableSummary;
  /** Data sinks: destinations that write back to Bugsnag. */
  data_sinks: TableSummary;
  sink_runs: TableSummary;
  writeback_journals: TableSummary;
  writeback_rows: TableSummary;
  /** Each source's webhook secret (sealed with the same master key as the tokens) and switch. */
  webhook_settings: TableSummary;
  /**
   * Users (with their password and invitation hashes) and API tokens (hashes): copied when PostgreSQL does not hold
   * them yet, by id; a user whose email PostgreSQL already holds under another id is left out, with their tokens
   * (`unchanged` counts what was left). Sessions are not copied: people sign in again.
   */
  users: TableSummary;
  api_tokens: TableSummary;
  /** The master keys the copied tokens are sealed with: every process of the cluster needs this key. */
  key_ids: string[];
}

/** Rows per INSERT: well under PostgreSQL's 65 535 parameters for the widest table. */
const BATCH = 500;

/**
 * Upserts a whole store's rows by id, in one transaction, in foreign-key order. Refuses (before writing anything)
 * what would leave the target broken: tokens sealed with two master keys, one name held by two ids, or one input's
 * write-back journal (per credential) held by two ids. Rows are copied as they are, runs and journals still marked
 * `running` included: whoever next starts that source or applies that input judges them stale as it would have in
 * SQLite. Write-back journals and rows PostgreSQL holds in a later state are kept (see `TableSummary.kept`).
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
    await assertNamesFree(client, 'destination', contents.sinks, ctx.location);
    await assertJournalsFree(client, contents.writebackJournals, ctx.location);
    // Locked until the commit: an apply in PostgreSQL reopening a journal or recording a row waits for the copy.
    const journals = await newerInTarget(
      client,
      'SELECT id AS k, attempts AS v FROM writeback_journals WHERE id = ANY($1) FOR UPDATE',
      contents.writebackJournals.map((j) => ({ key: j.id, order: j.attempts, item: j })),
    );
    const rows = await newerInTarget(
      client,
      `SELECT journal_id || ':' || row_no AS k, extract(epoch FROM updated_at) * 1000 AS v
       FROM writeback_rows WHERE journal_id = ANY($1) FOR UPDATE`,
      contents.writebackRows.map((r) => ({
        key: `${r.journal_id}:${r.row}`,
        order: Date.parse(r.updated_at),
        item: r,
      })),
      [...new Set(contents.writebackRows.map((r) => r.journal_id))],
    );
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
      data_sinks: await upsert(
        client,
        'data_sinks',
        ['id'],
        SINK_COLS,
        contents.sinks.map((k) => [
          k.id,
          k.name,
          nameKey(k.name),
          k.description,
          k.credential_id,
          JSON.stringify(k.config),
          k.last_run_id,
          k.created_at,
          k.updated_at,
        ]),
      ),
      webhook_settings: await upsert(
        client,
        'webhook_settings',
        ['source_id'],
        WEBHOOK_COLS,
        (contents.webhooks ?? []).map((w) => [
          w.source_id,
          w.enabled,
          w.secret_envelope,
          w.secret_key_id,
          w.secret_sha256,
          w.created_at,
          w.rotated_at,
        ]),
      ),
      sink_runs: await upsert(
        client,
        'sink_runs',
        ['id'],
        SINK_RUN_COLS,
        contents.sinkRuns.map((r) => [
          r.id,
          r.sink_id,
          r.status,
          JSON.stringify(r.plan),
          jsonOrNull(r.report),
          jsonOrNull(r.error),
          r.pid,
          r.hostname,
          r.started_at,
          r.finished_at,
        ]),
      ),
      writeback_journals: {
        ...(await upsert(
          client,
          'writeback_journals',
          ['id'],
          JOURNAL_COLS,
          journals.copy.map((j) => [
            j.id,
            j.input_hash,
            j.credential_id,
            j.rows,
            j.status,
            j.attempts,
            j.started_at,
            j.finished_at,
            j.pid,
            j.hostname,
          ]),
        )),
        kept: journals.kept,
      },
      writeback_rows: {
        ...(await upsert(
          client,
          'writeback_rows',
          ['journal_id', 'row_no'],
          JOURNAL_ROW_COLS,
          rows.copy.map((r) => [r.journal_id, r.row, r.state, r.message, r.updated_at]),
        )),
        kept: rows.kept,
      },
      ...(await copyTeam(client, contents.team)),
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

/** Users and tokens, inserted only where absent (a second migration, or a store already in use, changes nothing). */
async function copyTeam(
  client: Client,
  team: StoreContents['team'],
): Promise<{ users: TableSummary; api_tokens: TableSummary }> {
  const users: TableSummary = { inserted: 0, updated: 0, unchanged: 0 };
  const api_tokens: TableSummary = { inserted: 0, updated: 0, unchanged: 0 };
  for (const u of team?.users ?? []) {
    // The owner stays the one PostgreSQL already has, if it has one.
    const r = await client.query(
      `INSERT INTO users (id, email, role, owner, invitation_sha256, invitation_expires_at, password_hash, created_at)
       VALUES ($1, $2, $3, $4 AND NOT EXISTS (SELECT 1 FROM users WHERE owner), $5, $6, $7, $8)
       ON CONFLICT DO NOTHING`,
      [u.id, u.email, u.role, u.owner, u.invitation_sha256, u.invitation_expires_at, u.password_hash, u.created_at],
    );
    if (r.rowCount) users.inserted++;
    else users.unchanged++;
  }
  for (const t of team?.tokens ?? []) {
    const r = await client.query(
      `INSERT INTO api_tokens (id, user_id, scope, token_sha256, created_at, expires_at, revoked_at)
       SELECT $1, $2, $3, $4, $5, $6, $7 WHERE EXISTS (SELECT 1 FROM users WHERE id = $2)
       ON CONFLICT DO NOTHING`,
      [t.id, t.user_id, t.scope, t.token_sha256, t.created_at, t.expires_at, t.revoked_at],
    );
    if (r.rowCount) api_tokens.inserted++;
    else api_tokens.unchanged++;
  }
  return { users, api_tokens };
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
const SINK_COLS = [
  'id',
  'name',
  'name_key',
  'description',
  'credential_id',
  'config',
  'last_run_id',
  'created_at',
  'updated_at',
];
const SINK_RUN_COLS = [
  'id',
  'sink_id',
  'status',
  'plan',
  'report',
  'error',
  'pid',
  'hostname',
  'started_at',
  'finished_at',
];
const JOURNAL_COLS = [
  'id',
  'input_hash',
  'credential_id',
  'row_count',
  'status',
  'attempts',
  'started_at',
  'finished_at',
  'pid',
  'hostname',
];
const JOURNAL_ROW_COLS = ['journal_id', 'row_no', 'state', 'message', 'updated_at'];
const WEBHOOK_COLS = [
  'source_id',
  'enabled',
  'secret_envelope',
  'secret_key_id',
  'secret_sha256',
  'created_at',
  'rotated_at',
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

const NAMED_TABLE = { credential: 'credentials', source: 'sources', destination: 'data_sinks' } as const;

async function assertNamesFree(
  client: Client,
  entity: keyof typeof NAMED_TABLE,
  items: Array<{ id: string; name: string }>,
  location: string,
): Promise<void> {
  if (items.length === 0) return;
  const { rows } = await client.query<{ id: string; name: string; name_key: string }>(
    `SELECT id, name, name_key FROM ${NAMED_TABLE[entity]} WHERE name_key = ANY($1)`,
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

/**
 * A journal is one per (credential, input): the target having another journal for the same pair means the same input
 * was applied there too. The two histories cannot be merged row by row, so nothing is copied.
 */
async function assertJournalsFree(
  client: Client,
  journals: ReadonlyArray<{ id: string; credential_id: string; input_hash: string }>,
  location: string,
): Promise<void> {
  if (journals.length === 0) return;
  const { rows } = await client.query<{ id: string; credential_id: string; input_hash: string }>(
    `SELECT id, credential_id, input_hash FROM writeback_journals
     WHERE (credential_id, input_hash) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
    [journals.map((j) => j.credential_id), journals.map((j) => j.input_hash)],
  );
  const byKey = new Map(rows.map((r) => [`${r.credential_id}\n${r.input_hash}`, r.id]));
  for (const j of journals) {
    const existing = byKey.get(`${j.credential_id}\n${j.input_hash}`);
    if (existing !== undefined && existing !== j.id) {
      throw new SnagError(
        'conflict',
        `${location} already has a write-back journal (${existing}) for the same input applied with the credential ${j.credential_id} as the copied journal ${j.id}: the same input was applied in both stores.`,
        {
          hint: 'Copy into an empty database (or another ?schema=); the two journals cannot be merged.',
          details: { credential_id: j.credential_id, existing_id: existing, copied_id: j.id },
        },
      );
    }
  }
}

/**
 * Splits the incoming rows into those to copy and those the target holds in a later state (a higher `order`: more
 * attempts of a journal, a later write of a row), which are left alone and counted.
 */
async function newerInTarget<T>(
  client: Client,
  sql: string,
  incoming: Array<{ key: string; order: number; item: T }>,
  ids: string[] = incoming.map((i) => i.key),
): Promise<{ copy: T[]; kept: number }> {
  if (incoming.length === 0) return { copy: [], kept: 0 };
  const { rows } = await client.query<{ k: string; v: string | number }>(sql, [ids]);
  const target = new Map(rows.map((r) => [r.k, Number(r.v)]));
  const copy: T[] = [];
  let kept = 0;
  for (const i of incoming) {
    const theirs = target.get(i.key);
    if (theirs !== undefined && theirs > i.order) kept++;
    else copy.push(i.item);
  }
  return { copy, kept };
}

function jsonOrNull(value: Record<string, unknown> | null): string | null {
  return value === null ? null : JSON.stringify(value);
}

function columnList(sql: string): string[] {
  return sql.split(',').map((c) => c.trim());
}
