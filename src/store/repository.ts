import type {
  Credential,
  CredentialCreate,
  CredentialUpdate,
  Run,
  RunCreate,
  RunFinish,
  RunStatus,
  RunStream,
  RunStreamUpsert,
  RunTotals,
  SealedTokenFields,
  Source,
  SourceCreate,
  SourceStatus,
  SourceUpdate,
} from './models.js';
import type { DataSinkRecord, SinkRepository, SinkRunRecord } from './sinks.js';
import type { AuditRepository } from './audit.js';
import type { TeamContents, UserRepository } from './users.js';
import type { WebhookRepository, WebhookSettings } from './webhooks.js';
import type { NotificationRepository } from './notifications.js';
import type { WritebackJournalInfo, WritebackRepository, WritebackRowRecord } from './writebacks.js';

/**
 * The metadata store's contract, independent of the database behind it (SQLite by default, PostgreSQL when a
 * database URL is configured). Everything is async for that reason, even though better-sqlite3 is synchronous.
 *
 * Lookups by "NAME or ID" throw SnagError('missing') with a hint on how to list what exists; a taken name throws
 * SnagError('conflict'); invalid input throws SnagError('config').
 */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Where the store lives: a file path for SQLite, the URL with its password masked for PostgreSQL. */
  readonly location: string;
  readonly credentials: CredentialRepository;
  readonly sources: SourceRepository;
  readonly runs: RunRepository;
  /** The write-back journal: what each apply of an input did, row by row. */
  readonly writebacks: WritebackRepository;
  /** Data sinks: destinations that write back to Bugsnag (the HTTP API's data_sinks), and their runs. */
  readonly sinks: SinkRepository;
  /** Bugsnag webhooks: each source's secret and switch, and the inbox of messages received by `serve`. */
  readonly webhooks: WebhookRepository;
  /** Failure notifications: each source's (and the server's) outbound Slack or Teams webhook, sealed. */
  readonly notifications: NotificationRepository;
  /** The team: users, their roles and API tokens (hashed). */
  readonly users: UserRepository;
  /** The audit log: append-only. */
  readonly audit: AuditRepository;
  /**
   * The schema version after migrations. A PostgreSQL store connects and migrates on first use; awaiting this at
   * start surfaces a wrong URL or an unreachable server before any work begins.
   */
  schemaVersion(): Promise<number>;
  /**
   * Every row, as the models give them (credentials still sealed, destinations, write-back journals and their rows):
   * what `snagsync store migrate` copies.
   */
  contents(): Promise<StoreContents>;
  close(): Promise<void>;
}

export interface StoreContents {
  credentials: Credential[];
  sources: Source[];
  /** Oldest first. */
  runs: Run[];
  runStreams: RunStream[];
  /** Data sinks (destinations that write back to Bugsnag). */
  sinks: DataSinkRecord[];
  /** Their runs, oldest first. */
  sinkRuns: SinkRunRecord[];
  /** Write-back journals, oldest first, and their rows by journal and row number. */
  writebackJournals: WritebackJournalInfo[];
  writebackRows: WritebackRowRecord[];
  /** Each source's webhook secret (still sealed) and switch; the inbox of received messages is not copied. */
  webhooks: WebhookSettings[];
  /** Users (password and invitation hashes included) and API tokens (hashes); sessions are not copied. */
  team?: TeamContents;
}

export interface CredentialRemoval {
  removed: Credential;
  /** Sources that used the credential and were disabled (only with `force`). */
  disabledSources: Source[];
}

/** A notification's sealed URL, as key rotation reads and rewrites it. */
export interface NotificationUrlEnvelope {
  scope: string;
  url_envelope: string;
  url_key_id: string;
}

/** A source's sealed webhook secret, as key rotation reads and rewrites it. */
export interface WebhookSecretEnvelope {
  source_id: string;
  secret_envelope: string;
  secret_key_id: string;
}

export interface RekeyPlan {
  /**
   * Called for every credential inside the transaction; returns the re-sealed token, or null to leave the row as it
   * is (already under the new key). Must be synchronous: the whole rekey is one transaction.
   */
  reseal(credential: Credential): SealedTokenFields | null;
  /**
   * Called for every source's webhook secret in the same transaction; returns the re-sealed envelope, or null to leave
   * the row as it is (already under the new key, or sealed with a key this process does not have).
   */
  resealWebhookSecret?(s: WebhookSecretEnvelope): Omit<WebhookSecretEnvelope, 'source_id'> | null;
  /** The same for every notification URL (engine/notify/settings.ts), in the same transaction. */
  resealNotificationUrl?(n: NotificationUrlEnvelope): Omit<NotificationUrlEnvelope, 'scope'> | null;
  /** Runs after every row is rewritten and before the commit (the vault installs the new key file here). */
  beforeCommit?(): void;
}

export interface CredentialRepository {
  /** Throws conflict when the name is taken (case-insensitively) or the id exists. */
  create(input: CredentialCreate): Promise<Credential>;
  get(id: string): Promise<Credential | null>;
  /** By exact id first, then by name (case-insensitive). Unknown → SnagError('missing'). */
  findByNameOrId(ref: string): Promise<Credential>;
  list(): Promise<Credential[]>;
  update(id: string, patch: CredentialUpdate): Promise<Credential>;
  /** Refused (conflict) while sources use it, unless `force`, which disables those sources first. */
  remove(id: string, options?: { force?: boolean }): Promise<CredentialRemoval>;
  /** Distinct master-key ids of the stored envelopes (normally one; two after an interrupted rotation). */
  keyIdsInUse(): Promise<string[]>;
  /** Re-seal every envelope in one transaction; returns how many rows changed. Used by key rotation. */
  rekey(plan: RekeyPlan): Promise<number>;
}

export interface SourceListFilter {
  credentialId?: string;
  status?: SourceStatus;
}

export interface SourceRepository {
  /** Throws conflict when the name is taken, missing when the credential does not exist. */
  create(input: SourceCreate): Promise<Source>;
  get(id: string): Promise<Source | null>;
  findByNameOrId(ref: string): Promise<Source>;
  list(filter?: SourceListFilter): Promise<Source[]>;
  update(id: string, patch: SourceUpdate): Promise<Source>;
  /** Removes the source and its run history. Refused (conflict) while one of its runs is live. */
  remove(id: string): Promise<Source>;
  countByCredential(credentialId: string): Promise<number>;
  /**
   * Disables every source of the credential and detaches them from it (credential_id → null, status_reason set);
   * returns them. `credentials.remove(id, { force: true })` does this in its own transaction.
   */
  disableByCredential(credentialId: string, reason: string): Promise<Source[]>;
  /** Source counts per credential id, for listings. */
  countsByCredential(): Promise<Map<string, number>>;
  /** Active sources with a schedule whose next_run_at is at or before `now`. */
  listDue(now?: Date): Promise<Source[]>;
  /**
   * Takes a due schedule slot: moves next_run_at from `due` (as listDue gave it) to `next` only if no one moved it
   * since. True for exactly one of several schedulers (in as many processes) sweeping the same source at once.
   */
  claimDue(id: string, due: string, next: string | null): Promise<boolean>;
}

export interface RunListFilter {
  sourceId?: string;
  status?: RunStatus;
  /** Newest first; default 50. */
  limit?: number;
}

export interface StaleRunOptions {
  now?: Date;
  /** A run whose heartbeat is older than this is stale even if its pid looks alive (default 120 000 ms). */
  staleAfterMs?: number;
}

export interface RunRepository {
  /**
   * Starts a run: refused (conflict) while another live run of the same source exists; a stale one (killed process)
   * is first marked failed. Sets the source's last_run_id in the same transaction.
   */
  create(input: RunCreate): Promise<Run>;
  get(id: string): Promise<Run | null>;
  /** Unknown → SnagError('missing') with a hint to `snagsync runs list`. */
  findById(id: string): Promise<Run>;
  list(filter?: RunListFilter): Promise<Run[]>;
  /**
   * Proves the run's process is alive; the engine calls it every few seconds (well under the stale threshold).
   * Returns false when the run is no longer `running` (another process judged it stale): the engine should stop.
   */
  heartbeat(id: string, totals?: RunTotals): Promise<boolean>;
  finish(id: string, result: RunFinish): Promise<Run>;
  upsertStream(row: RunStreamUpsert): Promise<RunStream>;
  listStreams(runId: string): Promise<RunStream[]>;
  /** Runs still `running` whose process is gone (same host, pid dead) or whose heartbeat is too old. */
  findStale(options?: StaleRunOptions): Promise<Run[]>;
  /** Marks the stale runs failed (error code `aborted`) and returns them. */
  failStale(options?: StaleRunOptions): Promise<Run[]>;
}
