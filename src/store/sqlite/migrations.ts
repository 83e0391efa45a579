import { SnagError } from '../../core/errors.js';
import type { Db } from './connection.js';

/**
 * Schema migrations, applied in order on open. The version lives in `PRAGMA user_version` (in the database header,
 * written in the same transaction as the DDL), so a migration is applied exactly once even when two processes open a
 * new store at the same moment: the second waits for the first's IMMEDIATE transaction and then finds nothing to do.
 * Never edit a published migration; append a new one.
 */
export const MIGRATIONS: ReadonlyArray<{ version: number; description: string; sql: string }> = [
  {
    version: 1,
    description: 'credentials, sources, runs, run_streams',
    sql: `
      CREATE TABLE credentials (
        id              TEXT PRIMARY KEY,
        name            TEXT NOT NULL COLLATE NOCASE,
        name_key        TEXT NOT NULL,            -- Unicode case-folded name (see names.ts)
        description     TEXT,
        connector       TEXT NOT NULL DEFAULT 'bugsnag',
        host            TEXT NOT NULL,
        token_envelope  TEXT NOT NULL,            -- vault envelope, never the token
        token_key_id    TEXT NOT NULL,
        token_last4     TEXT NOT NULL,
        verified_status TEXT NOT NULL CHECK (verified_status IN ('VERIFIED', 'FAILED', 'UNVERIFIED')),
        verified_at     TEXT,
        verify_error    TEXT,
        organizations   TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(organizations)),
        rate_limit      TEXT CHECK (rate_limit IS NULL OR json_valid(rate_limit)),
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL
      );
      CREATE UNIQUE INDEX credentials_name_nocase ON credentials (name COLLATE NOCASE);
      CREATE UNIQUE INDEX credentials_name_key ON credentials (name_key);

      CREATE TABLE sources (
        id            TEXT PRIMARY KEY,
        name          TEXT NOT NULL COLLATE NOCASE,
        name_key      TEXT NOT NULL,
        credential_id TEXT REFERENCES credentials (id) ON DELETE SET NULL,
        status        TEXT NOT NULL CHECK (status IN ('active', 'paused', 'disabled')),
        status_reason TEXT,
        config        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(config)),
        destination   TEXT NOT NULL,
        schedule      TEXT,
        next_run_at   TEXT,
        last_run_id   TEXT,
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL
      );
      CREATE UNIQUE INDEX sources_name_nocase ON sources (name COLLATE NOCASE);
      CREATE UNIQUE INDEX sources_name_key ON sources (name_key);
      CREATE INDEX sources_credential ON sources (credential_id);
      CREATE INDEX sources_due ON sources (next_run_at) WHERE status = 'active' AND schedule IS NOT NULL;

      CREATE TABLE runs (
        id                 TEXT PRIMARY KEY,
        source_id          TEXT NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
        status             TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled', 'partial')),
        trigger            TEXT NOT NULL CHECK (trigger IN ('cli', 'schedule', 'api')),
        options            TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(options)),
        started_at         TEXT NOT NULL,
        finished_at        TEXT,
        error              TEXT CHECK (error IS NULL OR json_valid(error)),
        records_read       INTEGER NOT NULL DEFAULT 0,
        records_written    INTEGER NOT NULL DEFAULT 0,
        requests           INTEGER NOT NULL DEFAULT 0,
        rate_limit_wait_ms INTEGER NOT NULL DEFAULT 0,
        pid                INTEGER,
        hostname           TEXT,
        heartbeat_at       TEXT
      );
      CREATE INDEX runs_source ON runs (source_id, started_at DESC);
      CREATE INDEX runs_running ON runs (status) WHERE status = 'running';

      CREATE TABLE run_streams (
        run_id          TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        stream          TEXT NOT NULL,
        partition       TEXT NOT NULL DEFAULT '',
        records_read    INTEGER NOT NULL DEFAULT 0,
        records_written INTEGER NOT NULL DEFAULT 0,
        pages           INTEGER NOT NULL DEFAULT 0,
        requests        INTEGER NOT NULL DEFAULT 0,
        retries         INTEGER NOT NULL DEFAULT 0,
        wait_ms         INTEGER NOT NULL DEFAULT 0,
        duration_ms     INTEGER NOT NULL DEFAULT 0,
        outcome         TEXT CHECK (outcome IS NULL OR outcome IN ('ok', 'skipped', 'failed')),
        message         TEXT,
        started_at      TEXT NOT NULL,
        finished_at     TEXT,
        PRIMARY KEY (run_id, stream, partition)
      );
    `,
  },
  {
    version: 2,
    description: 'run_streams.partition_label',
    // What people call the partition ("Checkout (Acme)"), saved by the run that knew it, so the run's pages and
    // `runs show` need not look names up anywhere. Null for global streams, rows of older runs, nameless records.
    sql: `ALTER TABLE run_streams ADD COLUMN partition_label TEXT;`,
  },
  {
    version: 3,
    description: 'write-back journal: writeback_journals, writeback_rows',
    // One journal per (credential, input hash), so a rerun of the same input finds what the last attempt did.
    sql: `
      CREATE TABLE writeback_journals (
        id            TEXT PRIMARY KEY,
        input_hash    TEXT NOT NULL,
        credential_id TEXT NOT NULL,
        row_count     INTEGER NOT NULL,
        status        TEXT NOT NULL CHECK (status IN ('running', 'done', 'partial')),
        attempts      INTEGER NOT NULL DEFAULT 1,
        started_at    TEXT NOT NULL,
        finished_at   TEXT,
        UNIQUE (credential_id, input_hash)
      );
      CREATE TABLE writeback_rows (
        journal_id TEXT NOT NULL REFERENCES writeback_journals (id) ON DELETE CASCADE,
        row_no     INTEGER NOT NULL,
        state      TEXT NOT NULL CHECK (state IN ('sending', 'applied', 'skipped', 'failed')),
        message    TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (journal_id, row_no)
      );
    `,
  },
  {
    version: 4,
    description: 'data sinks (destinations that write back to Bugsnag) and their runs: data_sinks, sink_runs',
    sql: `
      CREATE TABLE data_sinks (
        id            TEXT PRIMARY KEY,
        name          TEXT NOT NULL COLLATE NOCASE,
        name_key      TEXT NOT NULL,
        description   TEXT,
        credential_id TEXT REFERENCES credentials (id) ON DELETE SET NULL,
        config        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(config)),
        last_run_id   TEXT,
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL
      );
      CREATE UNIQUE INDEX data_sinks_name_nocase ON data_sinks (name COLLATE NOCASE);
      CREATE UNIQUE INDEX data_sinks_name_key ON data_sinks (name_key);
      CREATE TABLE sink_runs (
        id          TEXT PRIMARY KEY,
        sink_id     TEXT NOT NULL REFERENCES data_sinks (id) ON DELETE CASCADE,
        status      TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'partial', 'failed')),
        plan        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(plan)),
        report      TEXT CHECK (report IS NULL OR json_valid(report)),
        error       TEXT CHECK (error IS NULL OR json_valid(error)),
        pid         INTEGER,
        hostname    TEXT,
        started_at  TEXT NOT NULL,
        finished_at TEXT
      );
      CREATE INDEX sink_runs_sink ON sink_runs (sink_id, started_at DESC);
    `,
  },
  {
    version: 5,
    description: 'writeback_journals.pid, hostname: the process applying the input',
    // Two applies of the same input with the same credential must not interleave: the second is refused while the
    // process that holds the journal is alive.
    sql: `ALTER TABLE writeback_journals ADD COLUMN pid INTEGER;
      ALTER TABLE writeback_journals ADD COLUMN hostname TEXT;`,
  },
  {
    version: 6,
    description: 'Bugsnag webhooks: webhook_settings (sealed secret, switch), webhook_inbox (raw messages)',
    // A message is stored before serve answers, applied afterwards; the same body of the same source is stored once.
    sql: `
      CREATE TABLE webhook_settings (
        source_id       TEXT PRIMARY KEY REFERENCES sources (id) ON DELETE CASCADE,
        enabled         INTEGER NOT NULL DEFAULT 1,
        secret_envelope TEXT NOT NULL,            -- vault envelope, never the secret
        secret_key_id   TEXT NOT NULL,
        secret_sha256   TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        rotated_at      TEXT NOT NULL
      );
      CREATE TABLE webhook_inbox (
        id          TEXT PRIMARY KEY,
        source_id   TEXT NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
        received_at TEXT NOT NULL,
        body        TEXT NOT NULL,
        body_sha256 TEXT NOT NULL,
        trigger     TEXT,
        applied_at  TEXT,
        ignored     TEXT,
        attempts    INTEGER NOT NULL DEFAULT 0,
        error       TEXT,
        UNIQUE (source_id, body_sha256)
      );
      CREATE INDEX webhook_inbox_pending ON webhook_inbox (received_at) WHERE applied_at IS NULL;
      CREATE INDEX webhook_inbox_source ON webhook_inbox (source_id, received_at DESC);
    `,
  },
  {
    version: 7,
    description: 'the team: users (role, owner) and api_tokens (sha256 only)',
    // Secrets are kept as their sha256: a token or invitation is shown once and cannot be read back from the store.
    sql: `
      CREATE TABLE users (
        id                TEXT PRIMARY KEY,
        email             TEXT NOT NULL UNIQUE,
        role              TEXT NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
        owner             INTEGER NOT NULL DEFAULT 0,
        invitation_sha256 TEXT,
        created_at        TEXT NOT NULL
      );
      CREATE TABLE api_tokens (
        id           TEXT PRIMARY KEY,
        user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        scope        TEXT NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
        token_sha256 TEXT NOT NULL UNIQUE,
        created_at   TEXT NOT NULL,
        expires_at   TEXT,
        revoked_at   TEXT
      );
      CREATE INDEX api_tokens_user ON api_tokens (user_id);
    `,
  },
  {
    version: 8,
    description: 'the audit log: append-only (UPDATE and DELETE raise)',
    sql: `
      CREATE TABLE audit_log (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        at          TEXT NOT NULL,
        actor       TEXT NOT NULL,
        actor_kind  TEXT NOT NULL,
        method      TEXT NOT NULL,
        route       TEXT NOT NULL,
        resource_id TEXT,
        fields      TEXT NOT NULL,             -- JSON array of field names, never values
        status      INTEGER NOT NULL,
        outcome     TEXT NOT NULL,
        permission  TEXT,
        kind        TEXT NOT NULL,
        address     TEXT
      );
      CREATE INDEX audit_log_actor ON audit_log (actor, id);
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    `,
  },
  {
    version: 9,
    description: 'sign-in: passwords, invitation expiry, sessions in the store, lockouts per account',
    // Times in ms since the epoch. A session row is keyed by the sha256 of its cookie; user_id NULL = the server key.
    sql: `
      ALTER TABLE users ADD COLUMN password_hash TEXT;
      ALTER TABLE users ADD COLUMN invitation_expires_at INTEGER;
      CREATE TABLE sessions (
        id_sha256    TEXT PRIMARY KEY,
        handle       TEXT NOT NULL,
        user_id      TEXT REFERENCES users (id) ON DELETE CASCADE,
        via          TEXT NOT NULL,
        csrf_token   TEXT NOT NULL,
        flash        TEXT NOT NULL DEFAULT '[]',
        created_at   INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL
      );
      CREATE INDEX sessions_user ON sessions (user_id);
      CREATE TABLE sign_in_lockouts (
        email        TEXT PRIMARY KEY,
        failures     INTEGER NOT NULL,
        locked_until INTEGER,
        last_failure INTEGER NOT NULL
      );
    `,
  },
  {
    version: 10,
    description: "failure notifications: a source's (or the server's, scope *) Slack or Teams webhook URL, sealed",
    sql: `
      CREATE TABLE notifications (
        scope        TEXT PRIMARY KEY,
        format       TEXT NOT NULL CHECK (format IN ('slack', 'teams')),
        url_envelope TEXT NOT NULL,
        url_key_id   TEXT NOT NULL,
        url_hint     TEXT NOT NULL,
        on_recovery  INTEGER NOT NULL DEFAULT 1,
        created_at   TEXT NOT NULL,
        updated_at   TEXT NOT NULL,
        last_sent_at TEXT,
        last_outcome TEXT
      );
      CREATE TRIGGER notifications_source_removed AFTER DELETE ON sources
      BEGIN
        DELETE FROM notifications WHERE scope = OLD.id;
      END;
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies the missing migrations in one IMMEDIATE transaction; returns the versions applied (often none). */
export function migrate(db: Db, path: string): number[] {
  // The common case (already migrated) takes no write lock, so opening the store never waits behind a writer.
  if (schemaVersion(db) === LATEST_SCHEMA_VERSION) return [];
  const run = db.transaction((): number[] => {
    const current = schemaVersion(db);
    if (current > LATEST_SCHEMA_VERSION) {
      throw new SnagError(
        'config',
        `The metadata store ${path} was written by a newer snagsync (schema ${current}; this one knows up to ${LATEST_SCHEMA_VERSION}).`,
        {
          hint: 'Upgrade snagsync (npm install -g snagsync@latest), or point SNAGSYNC_HOME to another folder.',
        },
      );
    }
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
      applied.push(m.version);
    }
    return applied;
  });
  return run.immediate();
}
