import { z } from 'zod';
import { parseTimestamp, toIso } from '../core/time.js';

/**
 * The metadata store's records, as zod schemas. Field names are snake_case: they are the store's columns and the
 * names the CLI's `--json` and the HTTP API show. Every row is parsed on the way out and every input on the way in,
 * so a hand-edited or half-migrated database is reported instead of flowing through as `undefined`.
 */

const isoTime = z.string().min(1);
/** Input times: any format `parseTimestamp` accepts (or a Date), stored canonically as `toIso` gives them. */
const isoInput = z.union([z.string(), z.date()]).transform((v, ctx) => {
  const d = parseTimestamp(v);
  if (!d) {
    ctx.addIssue({ code: 'custom', message: 'not a valid time' });
    return z.NEVER;
  }
  return toIso(d);
});
const idOf = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[0-9a-z]+$`), `expected a ${prefix}_… id`);

export const CredentialId = idOf('cred');
export const SourceId = idOf('src');
export const RunId = idOf('run');

export const VerifiedStatus = z.enum(['VERIFIED', 'FAILED', 'UNVERIFIED']);
export type VerifiedStatus = z.infer<typeof VerifiedStatus>;

export const CredentialOrganization = z.object({
  id: z.string(),
  name: z.string(),
  slug: z.string().nullable().default(null),
});
export type CredentialOrganization = z.infer<typeof CredentialOrganization>;

/**
 * The rate limit seen on the last probe (`X-RateLimit-Limit` / `-Remaining`), and when. Bugsnag sends no window
 * length: `window_ms` is the window the probing limiter counted in (configured, not learned); absent in rows written
 * before it was recorded.
 */
export const RateLimitSeen = z.object({
  limit: z.number().int().nullable(),
  remaining: z.number().int().nullable(),
  seen_at: isoInput,
  window_ms: z.number().positive().optional(),
});
export type RateLimitSeen = z.infer<typeof RateLimitSeen>;

export const Credential = z.object({
  id: CredentialId,
  name: z.string(),
  description: z.string().nullable(),
  connector: z.literal('bugsnag'),
  host: z.string().min(1),
  /** The vault envelope (see src/credentials/vault.ts) — never the token. */
  token_envelope: z.string().min(1),
  /** Id of the master key the envelope is sealed with; lets the store refuse a mix of keys. */
  token_key_id: z.string().min(1),
  token_last4: z.string().max(4),
  verified_status: VerifiedStatus,
  verified_at: isoTime.nullable(),
  verify_error: z.string().nullable(),
  organizations: z.array(CredentialOrganization),
  rate_limit: RateLimitSeen.nullable(),
  created_at: isoTime,
  updated_at: isoTime,
});
export type Credential = z.infer<typeof Credential>;

/** The sealed token as the vault returns it; spread into create/update. */
export const SealedTokenFields = z.object({
  token_envelope: z.string().min(1),
  token_key_id: z.string().min(1),
  token_last4: z.string().max(4),
});
export type SealedTokenFields = z.infer<typeof SealedTokenFields>;

export const CredentialCreate = SealedTokenFields.extend({
  /** Chosen by the caller (`newCredentialId()`) because the envelope is bound to it before the row exists. */
  id: CredentialId,
  name: z.string(),
  description: z.string().nullable().optional(),
  connector: z.literal('bugsnag').default('bugsnag'),
  host: z.string().min(1),
  verified_status: VerifiedStatus,
  verified_at: isoInput.nullable().default(null),
  verify_error: z.string().nullable().default(null),
  organizations: z.array(CredentialOrganization).default([]),
  rate_limit: RateLimitSeen.nullable().default(null),
});
export type CredentialCreate = z.input<typeof CredentialCreate>;

export const CredentialUpdate = z
  .object({
    name: z.string(),
    description: z.string().nullable(),
    host: z.string().min(1),
    verified_status: VerifiedStatus,
    verified_at: isoInput.nullable(),
    verify_error: z.string().nullable(),
    organizations: z.array(CredentialOrganization),
    rate_limit: RateLimitSeen.nullable(),
  })
  .extend(SealedTokenFields.shape)
  .partial()
  .refine(
    (u) =>
      [u.token_envelope, u.token_key_id, u.token_last4].every((v) => v === undefined) ||
      [u.token_envelope, u.token_key_id, u.token_last4].every((v) => v !== undefined),
    { message: 'token_envelope, token_key_id and token_last4 change together' },
  );
export type CredentialUpdate = z.input<typeof CredentialUpdate>;

export const SourceStatus = z.enum(['active', 'paused', 'disabled']);
export type SourceStatus = z.infer<typeof SourceStatus>;

/**
 * What a source reads. The known options are typed; unknown keys are kept (looseObject) so that the engine can add
 * options without a store migration.
 */
export const SourceConfig = z.looseObject({
  organizations: z.array(z.string()).optional(),
  projects: z.array(z.string()).optional(),
  exclude_projects: z.array(z.string()).optional(),
  streams: z.array(z.string()).optional(),
  start_date: z.string().nullable().optional(),
  full_reports: z.boolean().optional(),
  /**
   * Bugsnag filters, field → values (`event.since` style names). A bare string means `eq`; `{type, value}` carries
   * another comparison (`ne` from `--filter FIELD!=VALUE`).
   */
  filters: z
    .record(
      z.string(),
      z.array(z.union([z.string(), z.object({ type: z.enum(['eq', 'ne', 'empty']), value: z.string() })])),
    )
    .optional(),
  /** How often errors get a full pass besides the incremental one (`1d`). */
  errors_full_pass_interval: z.string().optional(),
});
export type SourceConfig = z.infer<typeof SourceConfig>;

export const Source = z.object({
  id: SourceId,
  name: z.string(),
  /** Null once its credential was removed with --force (the source is then disabled). */
  credential_id: CredentialId.nullable(),
  status: SourceStatus,
  /** Why the source is paused or disabled, when snagsync did it. */
  status_reason: z.string().nullable(),
  config: SourceConfig,
  destination: z.string().min(1),
  schedule: z.string().nullable(),
  next_run_at: isoTime.nullable(),
  last_run_id: RunId.nullable(),
  created_at: isoTime,
  updated_at: isoTime,
});
export type Source = z.infer<typeof Source>;

export const SourceCreate = z.object({
  id: SourceId.optional(),
  name: z.string(),
  credential_id: CredentialId,
  status: SourceStatus.default('active'),
  config: SourceConfig.default({}),
  destination: z.string().min(1),
  schedule: z.string().nullable().default(null),
  next_run_at: isoInput.nullable().default(null),
});
export type SourceCreate = z.input<typeof SourceCreate>;

export const SourceUpdate = z
  .object({
    name: z.string(),
    credential_id: CredentialId,
    status: SourceStatus,
    status_reason: z.string().nullable(),
    config: SourceConfig,
    destination: z.string().min(1),
    schedule: z.string().nullable(),
    next_run_at: isoInput.nullable(),
  })
  .partial();
export type SourceUpdate = z.input<typeof SourceUpdate>;

export const RunStatus = z.enum(['running', 'succeeded', 'failed', 'cancelled', 'partial']);
export type RunStatus = z.infer<typeof RunStatus>;
export const RunTrigger = z.enum(['cli', 'schedule', 'api']);
export type RunTrigger = z.infer<typeof RunTrigger>;

/** A SnagError as `toJSON()` gives it (already redacted). */
export const RunError = z.looseObject({
  error: z.string(),
  message: z.string(),
  hint: z.string().optional(),
  /** The HTTP API's and the web UI's advice when `hint` names a CLI command. */
  server_hint: z.string().optional(),
  exit_code: z.number().int().optional(),
});
export type RunError = z.infer<typeof RunError>;

export const RunTotals = z.object({
  records_read: z.number().int().nonnegative(),
  records_written: z.number().int().nonnegative(),
  requests: z.number().int().nonnegative(),
  rate_limit_wait_ms: z.number().int().nonnegative(),
});
export type RunTotals = z.infer<typeof RunTotals>;

export const Run = z.object({
  id: RunId,
  source_id: SourceId,
  status: RunStatus,
  trigger: RunTrigger,
  /** What was asked (full refresh, streams…), opaque to the store. */
  options: z.record(z.string(), z.unknown()),
  started_at: isoTime,
  finished_at: isoTime.nullable(),
  error: RunError.nullable(),
  totals: RunTotals,
  /** The process running it, so a run left `running` by a killed process can be told apart from a live one. */
  pid: z.number().int().nullable(),
  hostname: z.string().nullable(),
  heartbeat_at: isoTime.nullable(),
});
export type Run = z.infer<typeof Run>;

export const RunCreate = z.object({
  id: RunId.optional(),
  source_id: SourceId,
  trigger: RunTrigger,
  options: z.record(z.string(), z.unknown()).default({}),
  pid: z.number().int().nullable().default(process.pid),
  hostname: z.string().nullable().optional(),
});
export type RunCreate = z.input<typeof RunCreate>;

export const StreamOutcome = z.enum(['ok', 'skipped', 'failed']);
export type StreamOutcome = z.infer<typeof StreamOutcome>;

export const RunStream = z.object({
  run_id: RunId,
  stream: z.string().min(1),
  /** `project:<id>`, `organization:<id>`, or '' for global streams — opaque to the store. */
  partition: z.string(),
  /** How people know the partition ("Checkout (Acme)"), as the run read it; null when unknown (show the id). */
  partition_label: z.string().nullable(),
  records_read: z.number().int().nonnegative(),
  records_written: z.number().int().nonnegative(),
  pages: z.number().int().nonnegative(),
  requests: z.number().int().nonnegative(),
  retries: z.number().int().nonnegative(),
  wait_ms: z.number().int().nonnegative(),
  duration_ms: z.number().int().nonnegative(),
  /** Null while the stream is still being read. */
  outcome: StreamOutcome.nullable(),
  message: z.string().nullable(),
  started_at: isoTime,
  finished_at: isoTime.nullable(),
});
export type RunStream = z.infer<typeof RunStream>;

/** Absolute values (not increments), so a repeated upsert is harmless. Omitted fields keep their stored value. */
export const RunStreamUpsert = z.object({
  run_id: RunId,
  stream: z.string().min(1),
  partition: z.string().default(''),
  partition_label: z.string().nullable().optional(),
  records_read: z.number().int().nonnegative().optional(),
  records_written: z.number().int().nonnegative().optional(),
  pages: z.number().int().nonnegative().optional(),
  requests: z.number().int().nonnegative().optional(),
  retries: z.number().int().nonnegative().optional(),
  wait_ms: z.number().int().nonnegative().optional(),
  duration_ms: z.number().int().nonnegative().optional(),
  outcome: StreamOutcome.nullable().optional(),
  message: z.string().nullable().optional(),
  started_at: isoInput.optional(),
  finished_at: isoInput.nullable().optional(),
});
export type RunStreamUpsert = z.input<typeof RunStreamUpsert>;

export const RunFinish = z.object({
  status: RunStatus.exclude(['running']),
  error: RunError.nullable().optional(),
  /** Omitted → summed from the run's streams. */
  totals: RunTotals.optional(),
});
export type RunFinish = z.input<typeof RunFinish>;
