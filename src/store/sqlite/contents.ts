import type { RunRepository, StoreContents } from '../repository.js';
import type { TeamContents } from '../users.js';
import type { WritebackJournalInfo, WritebackRowRecord } from '../writebacks.js';
import type { Db } from './connection.js';
import type { SqliteCredentials } from './credentials.js';
import type { SqliteSinks } from './sinks.js';
import type { SqliteSources } from './sources.js';
import type { SqliteWebhooks } from './webhooks.js';
import type { SqliteWritebacks } from './writebacks.js';

/**
 * Every row of a SQLite store, read through the repositories so that each is parsed like any other read (the journal
 * rows' `updated_at`, which no repository reads, excepted). One read transaction: a process writing meanwhile
 * (WAL mode lets it) does not leave the copy with a run but not its streams, or a journal without its last rows.
 * Meant for a connection nothing else uses meanwhile (`snagsync store migrate` opens its own).
 */
export async function sqliteContents(
  db: Db,
  repos: {
    credentials: SqliteCredentials;
    sources: SqliteSources;
    runs: RunRepository;
    sinks: SqliteSinks;
    writebacks: SqliteWritebacks;
    webhooks: SqliteWebhooks;
  },
): Promise<StoreContents> {
  const own = !db.inTransaction;
  if (own) db.exec('BEGIN');
  try {
    const contents = await read(db, repos);
    if (own) db.exec('COMMIT');
    return contents;
  } catch (err) {
    if (own && db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

async function read(db: Db, repos: Parameters<typeof sqliteContents>[1]): Promise<StoreContents> {
  const ids = (sql: string) => (db.prepare(sql).all() as Array<{ id: string }>).map((r) => r.id);
  const runs = [];
  const runStreams = [];
  for (const id of ids('SELECT id FROM runs ORDER BY started_at, id')) {
    runs.push(await repos.runs.findById(id));
    runStreams.push(...(await repos.runs.listStreams(id)));
  }
  const sinkRuns = [];
  for (const id of ids('SELECT id FROM sink_runs ORDER BY started_at, id')) {
    const run = await repos.sinks.getRun(id);
    if (run) sinkRuns.push(run);
  }
  const writebackJournals: WritebackJournalInfo[] = [];
  const keys = db
    .prepare('SELECT credential_id, input_hash FROM writeback_journals ORDER BY started_at, id')
    .all() as Array<{ credential_id: string; input_hash: string }>;
  for (const key of keys) {
    const journal = await repos.writebacks.find(key);
    if (journal) writebackJournals.push(journal);
  }
  const writebackRows = db
    .prepare(
      'SELECT journal_id, row_no AS row, state, message, updated_at FROM writeback_rows ORDER BY journal_id, row_no',
    )
    .all() as WritebackRowRecord[];
  return {
    credentials: await repos.credentials.list(),
    sources: await repos.sources.list(),
    runs,
    runStreams,
    sinks: await repos.sinks.list(),
    sinkRuns,
    writebackJournals,
    writebackRows,
    webhooks: await repos.webhooks.list(),
    team: teamRows(db),
  };
}

function teamRows(db: Db): TeamContents {
  const users = db
    .prepare(
      `SELECT id, email, role, owner, invitation_sha256, invitation_expires_at, password_hash, created_at
       FROM users ORDER BY created_at, id`,
    )
    .all() as Array<Omit<TeamContents['users'][number], 'owner'> & { owner: number }>;
  const tokens = db
    .prepare(
      'SELECT id, user_id, scope, token_sha256, created_at, expires_at, revoked_at FROM api_tokens ORDER BY created_at, id',
    )
    .all() as TeamContents['tokens'];
  return { users: users.map((u) => ({ ...u, owner: u.owner === 1 })), tokens };
}
