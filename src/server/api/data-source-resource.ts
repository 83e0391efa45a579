import { z } from 'zod';
import { SnagError } from '../../core/errors.js';
import {
  DEFAULT_STREAMS,
  judged,
  SOURCE_CONFIG_SHAPE,
  SourceConfigSchema,
  SourceDestinationSchema,
  SourceScheduleSchema,
  STREAM_NAMES,
  TUNING_KEYS,
  type SourceInput,
} from '../../engine/index.js';
import type { Run, Source } from '../../store/models.js';
import { DESCRIPTION_MAX, NAME_MAX, validateDescription, validateName } from '../../store/names.js';
import { named } from '../openapi.js';
import { PREVIEW_LIMIT_MAX } from '../sources/preview.js';
import { descriptionOf, type SourceRequest } from '../sources/save.js';
import { REDACTED } from '../../core/redact.js';
import { displayDestinationUrl } from '../../destinations/url.js';

/**
 * The `data_sources` resource (after Nexla's): what the API returns for a source, and how a request body becomes
 * the source service's input. Statuses are upper case as in Nexla (ACTIVE, PAUSED; DISABLED when its credential was
 * deleted); the schedule is `poll_schedule`; what to read is `source_config`.
 */

export type DataSourceStatus = 'ACTIVE' | 'PAUSED' | 'DISABLED';

export interface SourceConfigView {
  organizations: string[];
  projects: string[];
  exclude_projects: string[];
  streams: string[] | null;
  start_date: string | null;
  full_reports: boolean;
  filters: Record<string, unknown[]>;
  /** Tuning and stream options (source-config.ts), present only when the source sets them (else their defaults apply). */
  [option: string]: unknown;
}

export interface LastRunView {
  id: string;
  status: Run['status'];
  trigger: Run['trigger'];
  started_at: string;
  finished_at: string | null;
  records_read: number;
  records_written: number;
  error: { error: string; message: string } | null;
}

export interface DataSource {
  id: string;
  name: string;
  description: string | null;
  status: DataSourceStatus;
  status_reason: string | null;
  source_type: 'bugsnag';
  connector_type: 'bugsnag';
  ingest_method: 'POLL';
  data_credentials_id: string | null;
  data_credentials: { id: string; name: string } | null;
  source_config: SourceConfigView;
  /** The streams a run reads (the defaults when `source_config.streams` is null). */
  effective_streams: string[];
  destination: string;
  poll_schedule: string | null;
  next_run_at: string | null;
  last_run: LastRunView | null;
  /** The run in progress, if any (started by this server or another process). */
  live_run_id: string | null;
  /** The newest runs first (at most 20). */
  run_ids: Array<{ id: string; created_at: string }>;
  created_at: string;
  updated_at: string;
}

export const STATUS_OUT: Record<Source['status'], DataSourceStatus> = {
  active: 'ACTIVE',
  paused: 'PAUSED',
  disabled: 'DISABLED',
};

/** The tuning options a source sets explicitly (the store keeps them as loose config keys). */
function tuning(c: Source['config']): Record<string, unknown> {
  return Object.fromEntries(TUNING_KEYS.filter((k) => c[k] !== undefined && c[k] !== null).map((k) => [k, c[k]]));
}

export function toDataSource(
  s: Source,
  extra: { credentialName: string | null; lastRun: Run | null; runs: readonly Run[]; liveRunId: string | null },
): DataSource {
  const c = s.config;
  return {
    id: s.id,
    name: s.name,
    description: descriptionOf(s),
    status: STATUS_OUT[s.status],
    status_reason: s.status_reason,
    source_type: 'bugsnag',
    connector_type: 'bugsnag',
    ingest_method: 'POLL',
    data_credentials_id: s.credential_id,
    data_credentials:
      s.credential_id && extra.credentialName !== null ? { id: s.credential_id, name: extra.credentialName } : null,
    source_config: {
      organizations: c.organizations ?? [],
      projects: c.projects ?? [],
      exclude_projects: c.exclude_projects ?? [],
      streams: c.streams?.length ? [...c.streams] : null,
      start_date: c.start_date ?? null,
      full_reports: c.full_reports === true,
      filters: (c.filters ?? {}) as Record<string, unknown[]>,
      ...tuning(c),
    },
    effective_streams: c.streams?.length ? [...c.streams] : [...DEFAULT_STREAMS],
    destination: displayDestinationUrl(s.destination),
    poll_schedule: s.schedule,
    next_run_at: s.status === 'active' ? s.next_run_at : null,
    last_run: extra.lastRun ? lastRunView(extra.lastRun) : null,
    live_run_id: extra.liveRunId,
    run_ids: extra.runs.map((r) => ({ id: r.id, created_at: r.started_at })),
    created_at: s.created_at,
    updated_at: s.updated_at,
  };
}

export function lastRunView(r: Run): LastRunView {
  return {
    id: r.id,
    status: r.status,
    trigger: r.trigger,
    started_at: r.started_at,
    finished_at: r.finished_at,
    records_read: r.totals.records_read,
    records_written: r.totals.records_written,
    error: r.error ? { error: r.error.error, message: r.error.message } : null,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Schemas: the routes' validation and the OpenAPI document. `source_config` is the engine's one declaration.

/** Fields a client may send back unchanged from a GET (ignored on PUT). */
const READ_ONLY = [
  'id',
  'status_reason',
  'connector_type',
  'ingest_method',
  'data_credentials',
  'effective_streams',
  'next_run_at',
  'last_run',
  'live_run_id',
  'run_ids',
  'created_at',
  'updated_at',
  'warnings',
] as const;
const WRITABLE = [
  'name',
  'description',
  'data_credentials_id',
  'source_type',
  'source_config',
  'destination',
  'poll_schedule',
  'status',
];

const nameSchema = judged(z.string(), (v) => validateName(v, 'source')).meta({ maxLength: NAME_MAX });
const descriptionSchema = judged(z.string(), (v) => validateDescription(v, 'source')).meta({
  maxLength: DESCRIPTION_MAX,
});

function requestSchema(mode: 'create' | 'update') {
  const statuses = mode === 'create' ? (['ACTIVE', 'PAUSED'] as const) : (['ACTIVE', 'PAUSED', 'DISABLED'] as const);
  const shape = {
    name: mode === 'create' ? nameSchema : nameSchema.optional(),
    description: descriptionSchema.nullable().optional(),
    data_credentials_id: z
      .string()
      .optional()
      .meta({ description: 'The credential to read with (id, or name). Required on create.' }),
    source_type: z.literal('bugsnag').optional(),
    source_config: SourceConfigSchema.optional().meta({
      description:
        'What the source reads. Absent keys keep their value on update; empty lists mean "all"; null resets an option to its default.',
    }),
    destination: SourceDestinationSchema.optional(),
    poll_schedule: SourceScheduleSchema.optional(),
    status: z
      .enum(statuses, {
        error: 'status must be ACTIVE or PAUSED (or use PUT /api/data_sources/{id}/activate and /pause).',
      })
      .optional()
      .meta({
        description:
          'Default ACTIVE. A paused source is not run by the scheduler. (DISABLED, sent back from a GET, changes nothing.)',
      }),
  };
  const readOnly = Object.fromEntries(
    READ_ONLY.map((k) => [k, z.unknown().optional().meta({ description: 'Read-only: ignored.' })]),
  );
  return z
    .strictObject(mode === 'create' ? shape : { ...shape, ...readOnly }, {
      error: (iss) => (iss.code === 'unrecognized_keys' ? `A data source takes ${WRITABLE.join(', ')}.` : undefined),
    })
    .meta({
      description:
        mode === 'create'
          ? 'A new source. Relative destination paths are taken from the snagsync home.'
          : 'Fields to change; absent ones stay. Read-only fields of the resource are ignored, so a GET body can be sent back.',
    });
}

export const DataSourceCreate = named('DataSourceCreate', requestSchema('create'));
export const DataSourceUpdate = named('DataSourceUpdate', requestSchema('update'));
type DataSourceBody = z.output<typeof DataSourceUpdate>;

const nullableString = z.string().nullable();
const strings = z.array(z.string());
const RunStatusSchema = z.enum(['running', 'succeeded', 'failed', 'cancelled', 'partial']);
const RunTriggerSchema = z.enum(['cli', 'schedule', 'api']);

/** The stored `source_config` as answers show it: the engine's declaration, its lists always present. */
const SourceConfigView = z.looseObject({
  ...SOURCE_CONFIG_SHAPE,
  organizations: strings,
  projects: strings,
  exclude_projects: strings,
  streams: strings.nullable(),
  start_date: nullableString,
  full_reports: z.boolean(),
  filters: z.record(z.string(), z.array(z.unknown())),
});

export const DataSourceSchema = named(
  'DataSource',
  z.object({
    id: z.string().regex(/^src_[0-9a-z]+$/),
    name: z.string(),
    description: nullableString,
    status: z
      .enum(['ACTIVE', 'PAUSED', 'DISABLED'])
      .meta({ description: 'DISABLED: its credential was deleted; give it another to activate it.' }),
    status_reason: nullableString,
    source_type: z.literal('bugsnag'),
    connector_type: z.literal('bugsnag'),
    ingest_method: z.literal('POLL'),
    data_credentials_id: nullableString,
    data_credentials: z.object({ id: z.string(), name: z.string() }).nullable(),
    source_config: SourceConfigView,
    effective_streams: strings,
    destination: z.string(),
    poll_schedule: nullableString,
    next_run_at: nullableString.meta({
      description: 'When the scheduler runs it next (null: no schedule, or not active).',
    }),
    last_run: z
      .object({
        id: z.string(),
        status: RunStatusSchema,
        trigger: RunTriggerSchema,
        started_at: z.string(),
        finished_at: nullableString,
        records_read: z.number().int(),
        records_written: z.number().int(),
        error: z.object({ error: z.string(), message: z.string() }).nullable(),
      })
      .nullable(),
    live_run_id: nullableString.meta({ description: 'The run in progress, if any.' }),
    run_ids: z.array(z.object({ id: z.string(), created_at: z.string() })),
    created_at: z.string(),
    updated_at: z.string(),
    warnings: strings.optional().meta({
      description: 'Create/update only: things worth knowing that are not errors (an unknown filter field…).',
    }),
  }),
);

export const DataSourceRemoved = named(
  'DataSourceRemoved',
  z.object({
    removed: DataSourceSchema,
    runs_removed: z.number().int(),
    destination_kept: z.string(),
    note: z.string(),
  }),
);

export const StreamName = judged(z.string(), (name) => {
  if (!STREAM_NAMES.includes(name))
    throw new SnagError('config', `"${name}" is not a stream.`, { hint: `Streams: ${STREAM_NAMES.join(', ')}.` });
}).meta({ enum: [...STREAM_NAMES] });

const int = () => z.number().int().nonnegative();

/** The engine's FirstSyncEstimate (engine/preview.ts), as the API shows it. */
export const FirstSyncSchema = named(
  'FirstSyncEstimate',
  z
    .object({
      events: int().meta({
        description: "Events the first sync would read: the events list's X-Total-Count per project.",
      }),
      projects: int().meta({ description: 'Projects counted (at most 50).' }),
      projects_not_counted: int().meta({ description: 'Projects left out of the count (beyond the first 50).' }),
      limit: z.number().int().positive().meta({ description: 'Requests per window the times assume.' }),
      window_ms: z.number().positive().meta({ description: "The rate limit's window, in milliseconds." }),
      limit_observed: z.boolean().meta({
        description:
          'True when the limit is the one Bugsnag announced to this credential; false for the assumed 30 a minute.',
      }),
      list: z
        .object({ requests: int(), ms: int() })
        .meta({ description: 'Reading the events list, 30 events a request: requests and their time at the limit.' }),
      bulk: z.object({ requests: int(), ms: int(), exports: int() }).meta({
        description:
          "Event data requests (bulk exports), one per project with events: requests (the request and its polls) and their time at the limit; Bugsnag's preparation of each export and the download come on top.",
      }),
      chosen: z
        .object({ bulk: int(), list: int() })
        .meta({ description: "Projects this source's events_backfill setting reads by each path." }),
    })
    .meta({
      description:
        'How long the first sync of the events would take by each path at the rate limit: request time only (at least that long).',
    }),
);

export const PreviewSchema = named(
  'Preview',
  z.object({
    stream: z.string(),
    partition: z.object({ kind: z.enum(['global', 'organization', 'project']), key: z.string(), name: nullableString }),
    records: z.array(z.record(z.string(), z.unknown())),
    requests: z.number().int().meta({ description: "Requests the preview cost (the estimate's included)." }),
    saved: z.literal(false).meta({ description: 'A preview never saves anything.' }),
    first_sync: FirstSyncSchema.optional().meta({
      description: 'For the events stream (unless estimate is false): the first sync estimate.',
    }),
    first_sync_error: z
      .object({ error: z.string(), message: z.string(), hint: z.string().optional() })
      .optional()
      .meta({
        description:
          'For the events stream, when the estimate could not be made (the rate limit used up for now…): why. The records are still there.',
      }),
  }),
);

export const PREVIEW_OPTIONS = {
  stream: StreamName.optional().meta({ default: 'errors', description: 'The stream to read a few records of.' }),
  limit: z
    .number({ error: `limit must be a whole number from 1 to ${PREVIEW_LIMIT_MAX}.` })
    .int({ error: `limit must be a whole number from 1 to ${PREVIEW_LIMIT_MAX}.` })
    .min(1, { error: `limit must be a whole number from 1 to ${PREVIEW_LIMIT_MAX}.` })
    .max(PREVIEW_LIMIT_MAX, { error: `limit must be a whole number from 1 to ${PREVIEW_LIMIT_MAX}.` })
    .optional()
    .meta({ default: 5 }),
  estimate: z.boolean({ error: 'estimate must be true or false.' }).optional().meta({
    default: true,
    description:
      'For the events stream: also estimate how long the first sync would take by each path (first_sync). It costs the organization and project lists and one request per project (at most 50), from the same rate limit as a sync; false skips it. Other streams ignore it.',
  }),
};

/** The source service's input from a validated (or, with problems already collected, raw) body. */
export function sourceRequestOf(raw: unknown, mode: 'create' | 'update' = 'create'): SourceRequest {
  const body = (raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? raw : {}) as DataSourceBody;
  const input: SourceInput = {};
  if (typeof body.name === 'string') input.name = body.name;
  if (typeof body.data_credentials_id === 'string') input.credential = body.data_credentials_id;
  // A destination sent back as this API shows it (password hidden) is the stored one: unchanged on update (on create
  // the engine refuses it, on the destination field).
  const hidden = typeof body.destination === 'string' && body.destination.includes(`:${REDACTED}@`);
  if (typeof body.destination === 'string' && !(hidden && mode === 'update')) input.destination = body.destination;
  if (body.poll_schedule !== undefined) input.schedule = body.poll_schedule;
  // Sent back unchanged from a GET of a disabled source: not a change.
  if (body.status === 'ACTIVE' || body.status === 'PAUSED')
    input.status = body.status === 'ACTIVE' ? 'active' : 'paused';
  const config = body.source_config;
  if (config && typeof config === 'object') {
    for (const [k, v] of Object.entries(config)) {
      if (v === undefined) continue;
      // Lists cleared with null are empty lists ("all").
      input[k] = v === null && ['organizations', 'projects', 'exclude_projects', 'filters'].includes(k) ? [] : v;
    }
  }
  return { input, ...(body.description !== undefined ? { description: body.description } : {}) };
}
