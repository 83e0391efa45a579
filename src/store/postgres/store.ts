import type { Store, StoreContents } from '../repository.js';
import type { WritebackRowState } from '../writebacks.js';
import { isoOrNull, num, type PgContext } from './base.js';
import { createPool, isDriverError, storeError } from './connection.js';
import { PgCredentials } from './credentials.js';
import { importContents, type ImportSummary } from './import.js';
import { migratePg, pgSchemaVersion } from './migrations.js';
import { PgRuns, RUN_COLUMNS, STREAM_COLUMNS } from './runs.js';
import { PgSources } from './sources.js';
import { PgSinks } from './sinks.js';
import { PgAudit } from './audit.js';
import { PgUsers } from './users.js';
import { PgWebhooks } from './webhooks.js';
import { PgNotifications } from './notifications.js';
import { PgWritebacks } from './writebacks.js';
import { parseStoreDatabaseUrl, type StoreDatabaseUrl } from './url.js';

export interface PostgresStore extends Store {
  readonly kind: 'postgres';
  readonly schema: string;
  /** Upserts every row by id in one transaction (what `snagsync store migrate` does); returns what changed. */
  importContents(contents: StoreContents): Promise<ImportSummary>;
}

/**
 * Opens the PostgreSQL metadata store at `url` (`?schema=` picks the schema, default `snagsync`). Returns at once:
 * the pool connects, and the migrations run, on first use — `schemaVersion()` is the way to do it up front. A failed
 * start is retried by the next call rather than remembered, so a server that comes up late is picked up.
 */
export function openPostgresStore(url: string | StoreDatabaseUrl): PostgresStore {
  const parsed = typeof url === 'string' ? parseStoreDatabaseUrl(url) : url;
  const location = parsed.display;
  const pool = createPool(parsed);
  let started: Promise<void> | undefined;
  let closed = false;
  const ctx: PgContext = {
    pool,
    location,
    schema: parsed.schema,
    ready: () =>
      (started ??= migratePg(pool, parsed.schema, location).then(
        () => undefined,
        (err: unknown) => {
          started = undefined;
          throw isDriverError(err) || err instanceof Error ? storeError(err, location) : err;
        },
      )),
  };
  const sources = new PgSources(ctx);
  const credentials = new PgCredentials(ctx, sources);
  const runs = new PgRuns(ctx);
  const writebacks = new PgWritebacks(ctx);
  const sinks = new PgSinks(ctx);
  const webhooks = new PgWebhooks(ctx);
  const users = new PgUsers(ctx);
  const audit = new PgAudit(ctx);
  return {
    kind: 'postgres',
    location,
    schema: parsed.schema,
    credentials,
    sources,
    runs,
    writebacks,
    sinks,
    webhooks,
    notifications: new PgNotifications(ctx),
    users,
    audit,
    schemaVersion: async () => {
      await ctx.ready();
      return pgSchemaVersion(pool);
    },
    contents: async () => {
      await ctx.ready();
      const all = async (sql: string) => (await pool.query(sql)).rows as Array<Record<string, unknown>>;
      try {
        const runRows = await all(`SELECT ${RUN_COLUMNS} FROM runs ORDER BY started_at, id COLLATE "C"`);
        const streamRows = await all(
          `SELECT ${STREAM_COLUMNS} FROM run_streams ORDER BY run_id COLLATE "C", started_at, stream COLLATE "C", "partition" COLLATE "C"`,
        );
        const sinkRuns = [];
        for (const r of await all('SELECT id FROM sink_runs ORDER BY started_at, id COLLATE "C"')) {
          const run = await sinks.getRun(String(r.id));
          if (run) sinkRuns.push(run);
        }
        const writebackJournals = [];
        const keys = await all(
          'SELECT credential_id, input_hash FROM writeback_journals ORDER BY started_at, id COLLATE "C"',
        );
        for (const k of keys) {
          const journal = await writebacks.find({
            credential_id: String(k.credential_id),
            input_hash: String(k.input_hash),
          });
          if (journal) writebackJournals.push(journal);
        }
        const rowRows = await all(
          'SELECT journal_id, row_no, state, message, updated_at FROM writeback_rows ORDER BY journal_id COLLATE "C", row_no',
        );
        return {
          credentials: await credentials.list(),
          sources: await sources.list(),
          runs: runRows.map((r) => runs.toRun(r)),
          runStreams: streamRows.map((r) => runs.toStream(r)),
          sinks: await sinks.list(),
          sinkRuns,
          writebackJournals,
          writebackRows: rowRows.map((r) => ({
            journal_id: String(r.journal_id),
            row: num(r.row_no),
            state: r.state as WritebackRowState,
            message: (r.message as string | null) ?? null,
            updated_at: isoOrNull(r.updated_at) ?? '',
          })),
          webhooks: await webhooks.list(),
          team: await users.teamContents(),
        };
      } catch (err) {
        throw storeError(err, location);
      }
    },
    importContents: async (contents) => {
      await ctx.ready();
      return importContents(ctx, contents);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
