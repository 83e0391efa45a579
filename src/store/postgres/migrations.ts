import { SnagError } from '../../core/errors.js';
import type { Pool, Queryable } from './connection.js';

/**
 * The PostgreSQL store's schema migrations, applied in order at start. Each applied version is a row of
 * `schema_migrations`, written in the same transaction as its DDL. The whole pass holds a transaction-scoped advisory
 * lock keyed by the schema, so when several processes of a cluster start at once one migrates and the others wait,
 * then find nothing to do. Never edit a published migration; append a new one.
 *
 * Version 1 is the SQLite store's versions 1 and 2 in PostgreSQL types: times are timestamptz, JSON columns jsonb,
 * counters bigint. Names are unique by `name_key` (the Unicode case-folded name, see names.ts), as in SQLite.
 */
export const PG_MIGRATIONS: ReadonlyArray<{ version: number; description: string; sql: string }> = [
  {
    version: 1,
    description: 'credentials, sources, runs, run_streams',
    sql: `
      CREATE TABLE credentials (
        id              text PRIMARY KEY,
        name            text NOT NULL,
        name_key        text NOT NULL,
        description     text,
        connector       text NOT NULL DEFAULT 'bugsnag',
        host            text NOT NULL,
        token_envelope  text NOT NULL,            -- vault envelope, never the token
        token_key_id    text NOT NULL,
        token_last4     text NOT NULL,
        verified_status text NOT NULL CHECK (verified_status IN ('VERIFIED', 'FAILED', 'UNVERIFIED')),
        verified_at     timestamptz,
        verify_error    text,
        organizations   jsonb NOT NULL DEFAULT '[]',
        rate_limit      jsonb,
        created_at      timestamptz NOT NULL,
        updated_at      timestamptz NOT NULL
      );
      CREATE UNIQUE INDEX credentials_name_key ON credentials (name_key);

      CREATE TABLE sources (
        id            text PRIMARY KEY,
        name          text NOT NULL,
        name_key      text NOT NULL,
        credential_id text REFERENCES credentials (id) ON DELETE SET NULL,
        status        text NOT NULL CHECK (status IN ('active', 'paused', 'disabled')),
        status_reason text,
        config        jsonb NOT NULL DEFAULT '{}',
        destination   text NOT NULL,
        schedule      text,
        next_run_at   timestamptz,
        last_run_id   text,
        created_at    timestamptz NOT NULL,
        updated_at    timestamptz NOT NULL
      );
      CREATE UNIQUE INDEX sources_name_key ON sources (name_key);
      CREATE INDEX sources_credential ON sources (credential_id);
      CREATE INDEX sources_due ON sources (next_run_at) WHERE status = 'active' AND schedule IS NOT NULL;

      CREATE TABLE runs (
        id                 text PRIMARY KEY,
        source_id          text NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
        status             text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled', 'partial')),
        "trigger"          text NOT NULL CHECK ("trigger" IN ('cli', 'schedule', 'api')),
        options            jsonb NOT NULL DEFAULT '{}',
        started_at         timestamptz NOT NULL,
        finished_at        timestamptz,
        error              jsonb,
        records_read       bigint NOT NULL DEFAULT 0,
        records_written    bigint NOT NULL DEFAULT 0,
        requests           bigint NOT NULL DEFAULT 0,
        rate_limit_wait_ms bigint NOT NULL DEFAULT 0,
        pid                integer,
        hostname           text,
        heartbeat_at       timestamptz
      );
      CREATE INDEX runs_source ON runs (source_id, started_at DESC);
      -- One live run per source, whichever machine starts it: the database itself refuses a second.
      CREATE UNIQUE INDEX runs_one_live_per_source ON runs (source_id) WHERE status = 'running';

      CREATE TABLE run_streams (
        run_id          text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        stream          text NOT NULL,
        "partition"     text NOT NULL DEFAULT '',
        partition_label text,
        records_read    bigint NOT NULL DEFAULT 0,
        records_written bigint NOT NULL DEFAULT 0,
        pages           bigint NOT NULL DEFAULT 0,
        requests        bigint NOT NULL DEFAULT 0,
        retries         bigint NOT NULL DEFAULT 0,
        wait_ms         bigint NOT NULL DEFAULT 0,
        duration_ms     bigint NOT NULL DEFAULT 0,
        outcome         text CHECK (outcome IS NULL OR outcome IN ('ok', 'skipped', 'failed')),
        message         text,
        started_at      timestamptz NOT NULL,
        finished_at     timestamptz,
        PRIMARY KEY (run_id, stream, "partition")
      );
    `,
  },
  {
    version: 2,
    description: 'write-back journal: writeback_journals, writeback_rows',
    sql: `
      CREATE TABLE writeback_journals (
        id            text PRIMARY KEY,
        input_hash    text NOT NULL,
        credential_id text NOT NULL,
        row_count     integer NOT NULL,
        status        text NOT NULL CHECK (status IN ('running', 'done', 'partial')),
        attempts      integer NOT NULL DEFAULT 1,
        started_at    timestamptz NOT NULL,
        finished_at   timestamptz,
        UNIQUE (credential_id, input_hash)
      );
      CREATE TABLE writeback_rows (
        journal_id text NOT NULL REFERENCES writeback_journals (id) ON DELETE CASCADE,
        row_no     integer NOT NULL,
        state      text NOT NULL CHECK (state IN ('sending', 'applied', 'skipped', 'failed')),
        message    text,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (journal_id, row_no)
      );
    `,
  },
  {
    version: 3,
    description: 'data sinks (destinations that write back to Bugsnag) and their runs: data_sinks, sink_runs',
    sql: `
      CREATE TABLE data_sinks (
        id            text PRIMARY KEY,
        name          text NOT NULL,
        name_key      text NOT NULL UNIQUE,
        description   text,
        credential_id text REFERENCES credentials (id) ON DELETE SET NULL,
        config        jsonb NOT NULL DEFAULT '{}',
        last_run_id   text,
        created_at    timestamptz NOT NULL,
        updated_at    timestamptz NOT NULL
      );
      CREATE TABLE sink_runs (
        id          text PRIMARY KEY,
        sink_id     text NOT NULL REFERENCES data_sinks (id) ON DELETE CASCADE,
        status      text NOT NULL CHECK (status IN ('running', 'succeeded', 'partial', 'failed')),
        plan        jsonb NOT NULL DEFAULT '{}',
        report      jsonb,
        error       jsonb,
        pid         integer,
        hostname    text,
        started_at  timestamptz NOT NULL,
        finished_at timestamptz
      );
      CREATE INDEX sink_runs_sink ON sink_runs (sink_id, started_at DESC);
    `,
  },
  {
    version: 4,
    description: 'writeback_journals.pid, hostname: the process applying the input',
    sql: `ALTER TABLE writeback_journals ADD COLUMN pid integer;
      ALTER TABLE writeback_journals ADD COLUMN hostname text;`,
  },
  {
    version: 5,
    description: 'Bugsnag webhooks: webhook_settings (sealed secret, switch), webhook_inbox (raw messages)',
    sql: `
      CREATE TABLE webhook_settings (
        source_id       text PRIMARY KEY REFERENCES sources (id) ON DELETE CASCADE,
        enabled         boolean NOT NULL DEFAULT true,
        secret_envelope text NOT NULL,            -- vault envelope, never the secret
        secret_key_id   text NOT NULL,
        secret_sha256   text NOT NULL,
        created_at      timestamptz NOT NULL,
        rotated_at      timestamptz NOT NULL
      );
      CREATE TABLE webhook_inbox (
        id          text PRIMARY KEY,
        source_id   text NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
        received_at timestamptz NOT NULL,
        body        text NOT NULL,
        body_sha256 text NOT NULL,
        trigger     text,
        applied_at  timestamptz,
        ignored     text,
        attempts    integer NOT NULL DEFAULT 0,
        error       text,
        UNIQUE (source_id, body_sha256)
      );
      CREATE INDEX webhook_inbox_pending ON webhook_inbox (received_at) WHERE applied_at IS NULL;
      CREATE INDEX webhook_inbox_source ON webhook_inbox (source_id, received_at DESC);
    `,
  },
  {
    version: 6,
    description: 'the team: users (role, owner) and api_tokens (sha256 only)',
    sql: `
      CREATE TABLE users (
        id                text PRIMARY KEY,
        email             text NOT NULL UNIQUE,
        role              text NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
        owner             boolean NOT NULL DEFAULT false,
        invitation_sha256 text,
        created_at        timestamptz NOT NULL
      );
      CREATE TABLE api_tokens (
        id           text PRIMARY KEY,
        user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        scope        text NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
        token_sha256 text NOT NULL UNIQUE,
        created_at   timestamptz NOT NULL,
        expires_at   timestamptz,
        revoked_at   timestamptz
      );
      CREATE INDEX api_tokens_user ON api_tokens (user_id);
    `,
  },
  {
    version: 7,
    description: 'the audit log: append-only (UPDATE and DELETE raise)',
    sql: `
      CREATE TABLE audit_log (
        id          bigserial PRIMARY KEY,
        at          timestamptz NOT NULL,
        actor       text NOT NULL,
        actor_kind  text NOT NULL,
        method      text NOT NULL,
        route       text NOT NULL,
        resource_id text,
        fields      jsonb NOT NULL,             -- field names, never values
        status      integer NOT NULL,
        outcome     text NOT NULL,
        permission  text,
        kind        text NOT NULL,
        address     text
      );
      CREATE INDEX audit_log_actor ON audit_log (actor, id);
      CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
      CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
    `,
  },
  {
    version: 8,
    description: 'sign-in: passwords, invitation expiry, sessions in the store, lockouts per account',
    // Times in ms since the epoch (the server's clock, as in SQLite). user_id NULL = a server-key session.
    sql: `
      ALTER TABLE users ADD COLUMN password_hash text;
      ALTER TABLE users ADD COLUMN invitation_expires_at bigint;
      CREATE TABLE sessions (
        id_sha256    text PRIMARY KEY,
        handle       text NOT NULL,
        user_id      text REFERENCES users (id) ON DELETE CASCADE,
        via          text NOT NULL,
        csrf_token   text NOT NULL,
        flash        jsonb NOT NULL DEFAULT '[]',
        created_at   bigint NOT NULL,
        last_seen_at bigint NOT NULL,
        expires_at   bigint NOT NULL
      );
      CREATE INDEX sessions_user ON sessions (user_id);
      CREATE TABLE sign_in_lockouts (
        email        text PRIMARY KEY,
        failures     integer NOT NULL,
        locked_until bigint,
        last_failure bigint NOT NULL
      );
    `,
  },
  {
    version: 9,
    description: "failure notifications: a source's (or the server's, scope *) Slack or Teams webhook URL, sealed",
    sql: `
      CREATE TABLE notifications (
        scope        text PRIMARY KEY,
        format       text NOT NULL CHECK (format IN ('slack', 'teams')),
        url_envelope text NOT NULL,
        url_key_id   text NOT NULL,
        url_hint     text NOT NULL,
        on_recovery  boolean NOT NULL DEFAULT true,
        created_at   timestamptz NOT NULL,
        updated_at   timestamptz NOT NULL,
        last_sent_at timestamptz,
        last_outcome text
      );
      CREATE FUNCTION notifications_source_removed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM notifications WHERE scope = OLD.id;
        RETURN OLD;
      END $$;
      CREATE TRIGGER notifications_source_removed AFTER DELETE ON sources
        FOR EACH ROW EXECUTE FUNCTION notifications_source_removed();
    `,
  },
];

export const PG_LATEST_SCHEMA_VERSION = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]?.version ?? 0;

/** First half of the advisory lock key: "snag" in ASCII, so our locks do not collide with other applications'. */
export const ADVISORY_LOCK_CLASS = 0x736e6167;

export async function pgSchemaVersion(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ v: number | null }>('SELECT max(version)::int AS v FROM schema_migrations');
  return rows[0]?.v ?? 0;
}

/**
 * Applies the missing migrations in one transaction under the schema's advisory lock; returns the versions applied.
 * Throws a SnagError when the schema is newer than this snagsync knows.
 */
export async function migratePg(pool: Pool, schema: string, location: string): Promise<number[]> {
  // The common case (already migrated) takes no lock, so a starting process never waits behind another's migration.
  const current = await pgSchemaVersion(pool).catch(() => -1);
  if (current === PG_LATEST_SCHEMA_VERSION) return [];
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [ADVISORY_LOCK_CLASS, `store:${schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await client.query(`SET LOCAL search_path TO "${schema}"`);
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version     integer PRIMARY KEY,
        description text NOT NULL,
        applied_at  timestamptz NOT NULL DEFAULT now()
      )`);
      const now = await pgSchemaVersion(client);
      if (now > PG_LATEST_SCHEMA_VERSION) {
        throw new SnagError(
          'config',
          `The metadata store ${location} was written by a newer snagsync (schema ${now}; this one knows up to ${PG_LATEST_SCHEMA_VERSION}).`,
          {
            hint: 'Upgrade snagsync on this machine to the version the other processes of the cluster run.',
          },
        );
      }
      const applied: number[] = [];
      for (const m of PG_MIGRATIONS) {
        if (m.version <= now) continue;
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, description) VALUES ($1, $2)', [
          m.version,
          m.description,
        ]);
        applied.push(m.version);
      }
      await client.query('COMMIT');
      return applied;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  } finally {
    client.release();
  }
}
