import { z } from 'zod';
import type { DataSinkRecord, SinkRunRecord } from '../../store/index.js';
import { DESCRIPTION_MAX, NAME_MAX } from '../../store/names.js';
import { named } from '../openapi.js';
import { configOf, SinkConfigSchema, type SinkConfig } from '../sinks/config.js';
import type { ServerDeps } from '../types.js';

/**
 * The `data_sinks` resource (after Nexla's): a destination of type Bugsnag — errors in Bugsnag changed by write-back —
 * with its credential (`data_credentials_id`), its input and operation (`data_sink_config`), and its runs.
 */

export const DataSinkConfigSchema = named('DataSinkConfig', SinkConfigSchema);

const name = z
  .string({ error: 'A destination needs a name.' })
  .meta({ description: `1–${NAME_MAX} characters, unique regardless of case.` });
const description = z
  .string()
  .nullish()
  .meta({ description: `At most ${DESCRIPTION_MAX} characters.` });
const credentialRef = z
  .string({ error: 'Choose the credential whose token makes the changes (data_credentials_id).' })
  .meta({ description: 'The credential (cred_… or its name) whose token makes the changes.' });

export const DataSinkCreate = named(
  'DataSinkCreate',
  z.strictObject(
    { name, description, data_credentials_id: credentialRef, data_sink_config: DataSinkConfigSchema },
    {
      error: (iss) =>
        iss.code === 'unrecognized_keys'
          ? 'A destination takes name, description, data_credentials_id and data_sink_config.'
          : undefined,
    },
  ),
);
export type DataSinkCreate = z.output<typeof DataSinkCreate>;

export const DataSinkUpdate = named(
  'DataSinkUpdate',
  z.strictObject(
    {
      name: name.optional(),
      description,
      data_credentials_id: credentialRef.optional(),
      data_sink_config: DataSinkConfigSchema.optional(),
    },
    {
      error: (iss) =>
        iss.code === 'unrecognized_keys'
          ? 'A destination takes name, description, data_credentials_id and data_sink_config.'
          : undefined,
    },
  ),
);
export type DataSinkUpdate = z.output<typeof DataSinkUpdate>;

const nullableString = z.string().nullable();
const Totals = z.object({ applied: z.number().int(), skipped: z.number().int(), failed: z.number().int() });

export const SinkRunRowSchema = named(
  'SinkRunRow',
  z.object({
    row: z.number().int().meta({ description: 'The input row (1-based; data lines for CSV, query rows in order).' }),
    project_id: z.string(),
    error_id: z.string(),
    operation: z.string(),
    outcome: z.enum(['applied', 'skipped', 'failed']),
    message: nullableString.meta({ description: "Why: Bugsnag's message for a failed row (403, 404…)." }),
    code: nullableString.meta({ description: 'A failed row: forbidden (403), not_found (404), aborted…' }),
  }),
);

export const SinkRunSchema = named(
  'SinkRun',
  z.object({
    id: z.string().regex(/^wbr_[0-9a-z]+$/),
    data_sink_id: z.string(),
    data_sink_name: nullableString,
    status: z.enum(['running', 'succeeded', 'partial', 'failed']),
    live: z.boolean().meta({ description: 'Applied by this server process now: events at links.events.' }),
    started_at: z.string(),
    finished_at: nullableString,
    plan: z.record(z.string(), z.unknown()).meta({ description: 'The plan it applied: per operation and project.' }),
    progress: z.object({ done: z.number().int(), total: z.number().int() }).nullable(),
    totals: Totals.nullable(),
    writes: z.number().int().nullable().meta({ description: 'Write requests sent.' }),
    attempt: z.number().int().nullable().meta({ description: 'How many times this input was applied (journal).' }),
    error: z.record(z.string(), z.unknown()).nullable(),
    rows: z.array(SinkRunRowSchema).optional().meta({ description: 'The per-row report (GET of one run).' }),
    links: z.object({ self: z.string(), events: z.string(), data_sink: z.string(), page: z.string() }),
  }),
);

export const DataSinkSchema = named(
  'DataSink',
  z.object({
    id: z.string().regex(/^snk_[0-9a-z]+$/),
    name: z.string(),
    description: nullableString,
    sink_type: z.literal('bugsnag'),
    connector_type: z.literal('bugsnag'),
    data_credentials_id: nullableString,
    data_credentials: z.object({ id: z.string(), name: z.string() }).nullable(),
    data_sink_config: z.record(z.string(), z.unknown()).meta({
      description: "The input and operation; an uploaded file's content is left out (its size and row count shown).",
    }),
    last_run: SinkRunSchema.nullable(),
    live_run_id: nullableString,
    created_at: z.string(),
    updated_at: z.string(),
  }),
);

export type DataSink = z.infer<typeof DataSinkSchema>;
export type SinkRunView = z.infer<typeof SinkRunSchema>;

/** The config as shown: an uploaded file's content is summarised, not echoed back (it can be megabytes). */
export function configView(config: SinkConfig): Record<string, unknown> {
  const input = config.input;
  const shown =
    input.type === 'file'
      ? {
          type: 'file',
          format: input.format,
          filename: input.filename ?? null,
          bytes: Buffer.byteLength(input.content),
          lines: input.content.split(/\r?\n/).filter((l) => l.trim() !== '').length,
        }
      : input;
  return { input: shown, operation: config.operation ?? null };
}

export async function toDataSink(deps: ServerDeps, s: DataSinkRecord): Promise<DataSink> {
  const { store } = deps.runtime;
  const credential = s.credential_id ? await store.credentials.get(s.credential_id) : null;
  // A run left `running` by a process that is gone is shown failed, not forever running.
  if (!deps.sinkRuns.liveFor(s.id)) await store.sinks.failStale(s.id);
  const last = s.last_run_id ? await store.sinks.getRun(s.last_run_id) : null;
  let config: Record<string, unknown>;
  try {
    config = configView(configOf(s));
  } catch {
    config = s.config;
  }
  return {
    id: s.id,
    name: s.name,
    description: s.description,
    sink_type: 'bugsnag',
    connector_type: 'bugsnag',
    data_credentials_id: s.credential_id,
    data_credentials: credential ? { id: credential.id, name: credential.name } : null,
    data_sink_config: config,
    last_run: last ? sinkRunView(deps, last, s.name, false) : null,
    live_run_id: deps.sinkRuns.liveFor(s.id)?.run.id ?? (last?.status === 'running' ? last.id : null),
    created_at: s.created_at,
    updated_at: s.updated_at,
  };
}

export function sinkRunView(
  deps: ServerDeps,
  r: SinkRunRecord,
  sinkName: string | null,
  withRows: boolean,
): SinkRunView {
  const live = deps.sinkRuns.get(r.id);
  const isLive = live !== undefined && !live.events.done;
  const progress = live?.events.history().findLast((e) => e.type === 'progress');
  const report = r.report as {
    totals?: SinkRunView['totals'];
    writes?: number;
    attempt?: number;
    rows?: unknown[];
  } | null;
  return {
    id: r.id,
    data_sink_id: r.sink_id,
    data_sink_name: sinkName,
    status: r.status,
    live: isLive,
    started_at: r.started_at,
    finished_at: r.finished_at,
    plan: r.plan,
    progress: progress?.type === 'progress' ? { done: progress.done, total: progress.total } : null,
    totals: report?.totals ?? null,
    writes: report?.writes ?? null,
    attempt: report?.attempt ?? null,
    error: r.error,
    ...(withRows ? { rows: (report?.rows ?? []) as NonNullable<SinkRunView['rows']> } : {}),
    links: {
      self: `/api/data_sinks/${r.sink_id}/runs/${r.id}`,
      events: `/api/data_sinks/${r.sink_id}/runs/${r.id}/events`,
      data_sink: `/api/data_sinks/${r.sink_id}`,
      page: `/destinations/${r.sink_id}/runs/${r.id}`,
    },
  };
}
