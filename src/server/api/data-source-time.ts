import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { existsSync } from 'node:fs';
import { SnagError, toSnagError } from '../../core/errors.js';
import type { ApplyModelsResult } from '../../destinations/models/index.js';
import { parseDestinationUrl } from '../../destinations/url.js';
import { applySourceModels } from '../../engine/models.js';
import { pollerStatus } from '../../engine/poller/index.js';
import { isContinuous } from '../../engine/schedule.js';
import { DEFAULT_MAX_ATTEMPTS } from '../../engine/webhooks/inbox.js';
import type { Source } from '../../store/models.js';
import { errorAnswers, named } from '../openapi.js';
import { errorHistory } from '../overview/history.js';
import { streamFreshness } from '../overview/freshness.js';
import type { ServerDeps } from '../types.js';
import { dataSourceOf } from './data-sources.js';

/**
 * What is new about time, per source: `freshness` (per stream the age of the newest row in the destination, whether
 * webhooks feed it, and the webhook's counts), an error's `history` (its intervals in `error_history`), and `models`,
 * which creates or replaces the analytics views in the destination (what the Overview's time to fix reads).
 */

/** The streams Bugsnag's webhook messages write (docs/webhooks.md, What each trigger writes). */
export const WEBHOOK_STREAMS: readonly string[] = ['errors', 'events', 'comments', 'releases'];

const WebhookFreshness = z.object({
  enabled: z.boolean().meta({ description: "Whether the source's webhook accepts messages." }),
  receiving: z.boolean().meta({ description: 'Whether this server receives webhooks at all.' }),
  last_received_at: z.string().nullable().meta({ description: 'The newest message still in the inbox.' }),
  received: z.number().int().meta({ description: 'Messages in the inbox (applied ones are kept 7 days).' }),
  failed: z.number().int().meta({ description: 'Messages that failed to apply and are not applied yet.' }),
});

const PollerFreshness = z.object({
  in_this_server: z.boolean().meta({
    description:
      "Whether this server's scheduler runs the source's poller; false: another process polls (schedule daemon, a server with its scheduler off), and its figures are not seen here (the others are null).",
  }),
  state: z.enum(['starting', 'polling', 'standing-aside', 'waiting', 'stopped']).nullable(),
  share: z.number().nullable().meta({ description: "poll_share: the share of the token's budget it may spend (0–1)." }),
  requests_per_window: z.number().nullable().meta({ description: 'What the share comes to: requests per window.' }),
  limit_per_window: z.number().nullable().meta({ description: "The token's limit per window." }),
  window_ms: z.number().nullable().meta({ description: "The rate limit's window (60,000 ms against Bugsnag)." }),
  looks: z.number().int().nullable(),
  failed_looks: z.number().int().nullable(),
  requests: z.number().int().nullable().meta({ description: 'Requests its looks made since it started.' }),
  events_written: z.number().int().nullable(),
  started_at: z.string().nullable(),
  last_error: z.string().nullable(),
});

export const FreshnessSchema = named(
  'DataSourceFreshness',
  z.object({
    source_id: z.string(),
    checked_at: z.string().meta({ description: 'When the destination was read.' }),
    streams: z.array(
      z.object({
        stream: z.string(),
        column: z.string().meta({
          description:
            "The column read: the stream's indexed timestamp (events.received_at, errors.last_seen_unfiltered) or _synced_at (when a sync last wrote a row).",
        }),
        newest_at: z.string().nullable().meta({ description: 'Its newest value; null: no rows yet.' }),
        age_seconds: z.number().nullable().meta({ description: 'Seconds from newest_at to checked_at.' }),
        webhooks: z.boolean().meta({
          description: 'Whether webhook messages feed this stream: it is one they write, and some have arrived.',
        }),
      }),
    ),
    webhook: WebhookFreshness.nullable().meta({
      description: "The source's webhook and its inbox counts; null: no webhook URL was made for it yet.",
    }),
    poller: PollerFreshness.nullable().meta({
      description:
        "The continuous poller and its share of the token's budget; null when the source's schedule is not continuous.",
    }),
    error: z.string().nullable().meta({ description: 'Why the destination could not be read; null when it was.' }),
  }),
);

const Interval = z.object({
  status: z.string().nullable(),
  severity: z.string().nullable(),
  assigned_collaborator_id: z.string().nullable(),
  assigned_team_id: z.string().nullable(),
  valid_from: z.string().meta({ description: 'When the state began.' }),
  valid_to: z.string().nullable().meta({ description: 'When the next began; null for the current state.' }),
  observed_by: z
    .string()
    .nullable()
    .meta({ description: 'incremental, full_pass, status_pass, webhook or writeback.' }),
  run_id: z.string().nullable().meta({ description: 'The run that observed it (_snagsync_runs.run_id).' }),
});

export const ErrorHistorySchema = named(
  'ErrorHistory',
  z.object({
    source_id: z.string(),
    project_id: z.string(),
    error_id: z.string(),
    error_class: z.string().nullable(),
    message: z.string().nullable(),
    kept: z.boolean().meta({
      description:
        'Whether the destination keeps error_history (false: nothing synced yet, or no errors stream, or JSONL files too large to read here).',
    }),
    intervals: z.array(Interval).meta({ description: 'Oldest first; empty when nothing was observed.' }),
  }),
);

export const ModelsResultSchema = named(
  'DataSourceModels',
  z.object({
    source_id: z.string(),
    kind: z.enum(['sqlite', 'postgres']),
    location: z.string().meta({ description: 'The file, or the URL without its password and the schema.' }),
    views: z.array(
      z.object({
        name: z.string(),
        status: z.enum(['created', 'skipped']),
        reason: z.string().optional().meta({ description: 'Why it was skipped (a table not synced yet…).' }),
      }),
    ),
  }),
);

const TAG = ['Sources'];
const params = z.object({ id: z.string().meta({ description: 'The source id (src_…) or its name.' }) });
const historyParams = params.extend({
  project_id: z.string().min(1).max(200),
  error_id: z.string().min(1).max(200),
});

export async function freshnessOf(deps: ServerDeps, s: Source): Promise<z.infer<typeof FreshnessSchema>> {
  const view = await dataSourceOf(deps, s);
  const { store } = deps.runtime;
  const settings = await store.webhooks.get(s.id);
  const counts = settings
    ? await store.webhooks.counts(s.id, deps.webhooks.inbox?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS)
    : null;
  const webhook =
    settings && counts
      ? {
          enabled: settings.enabled,
          receiving: deps.webhooks.enabled,
          last_received_at: counts.last_received_at,
          received: counts.received,
          failed: counts.failed,
        }
      : null;
  const now = deps.now();
  let rows: Awaited<ReturnType<typeof streamFreshness>> = [];
  let error: string | null = null;
  try {
    rows = await streamFreshness(s.destination, view.effective_streams);
  } catch (err) {
    error = toSnagError(err).message;
  }
  const fed = webhook?.enabled === true && webhook.receiving && webhook.received > 0;
  return {
    source_id: s.id,
    checked_at: new Date(now).toISOString(),
    streams: rows.map((r) => ({
      ...r,
      age_seconds: r.newest_at ? Math.max(0, Math.round((now - Date.parse(r.newest_at)) / 1000)) : null,
      webhooks: fed && WEBHOOK_STREAMS.includes(r.stream),
    })),
    webhook,
    poller: pollerOf(s),
    error,
  };
}

/**
 * The views over a source's destination, as `models apply` makes them. A SQLite file not made yet is a state to wait
 * out (409: run the source first), not the server's failure.
 */
export async function applyModelsFor(deps: ServerDeps, s: Source): Promise<ApplyModelsResult> {
  const target = parseDestinationUrl(s.destination);
  if (target.kind === 'sqlite' && !existsSync(target.path))
    throw new SnagError('conflict', `Nothing was synced into ${target.path} yet: the views are made over its tables.`, {
      hint: 'Run the source first, then create the views.',
    });
  return applySourceModels(deps.runtime, s);
}

/** The poller's figures when this process runs it (engine/poller keeps the live ones by source). */
function pollerOf(s: Source): z.infer<typeof PollerFreshness> | null {
  if (!isContinuous(s.schedule)) return null;
  const p = pollerStatus(s.id);
  return {
    in_this_server: p !== undefined,
    state: p?.state ?? null,
    share: p?.share ?? null,
    requests_per_window: p?.requests_per_window ?? null,
    limit_per_window: p?.limit_per_window ?? null,
    window_ms: p?.window_ms ?? null,
    looks: p?.looks ?? null,
    failed_looks: p?.failed_looks ?? null,
    requests: p?.requests ?? null,
    events_written: p?.events_written ?? null,
    started_at: p?.started_at ?? null,
    last_error: p?.last_error ?? null,
  };
}

export const dataSourceTimeApi: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const deps = () => app.snag;
  const sourceOf = (ref: string) => app.snag.runtime.store.sources.findByNameOrId(ref);

  app.get(
    '/api/data_sources/:id/freshness',
    {
      schema: {
        tags: TAG,
        operationId: 'getDataSourceFreshness',
        summary: "How fresh the source's data is: per stream the newest row's age, and whether webhooks arrive",
        params,
        response: { 200: FreshnessSchema.describe('Per stream, and the webhook.'), ...errorAnswers(401, 404) },
      },
    },
    async (request) => freshnessOf(deps(), await sourceOf(request.params.id)),
  );

  app.get(
    '/api/data_sources/:id/errors/:project_id/:error_id/history',
    {
      schema: {
        tags: TAG,
        operationId: 'getErrorHistory',
        summary: "An error's observed states (status, severity, assignment) as intervals, from the destination",
        params: historyParams,
        response: { 200: ErrorHistorySchema.describe('The intervals, oldest first.'), ...errorAnswers(401, 404) },
      },
    },
    async (request) => {
      const s = await sourceOf(request.params.id);
      const { project_id, error_id } = request.params;
      const h = await errorHistory(s.destination, project_id, error_id);
      return {
        source_id: s.id,
        project_id,
        error_id,
        error_class: h?.error?.error_class ?? null,
        message: h?.error?.message ?? null,
        kept: h !== null,
        intervals: (h?.intervals ?? []).map(({ project_id: _p, error_id: _e, ...i }) => i),
      };
    },
  );

  app.post(
    '/api/data_sources/:id/models',
    {
      schema: {
        tags: TAG,
        operationId: 'applyDataSourceModels',
        summary:
          "Create or replace the analytics views (error_lifecycle, mttr, errors_daily, release_health, top_errors_7d) in the source's destination",
        description:
          'In one transaction; a view whose tables are not synced yet is skipped with the reason. A JSONL destination holds files, not views: 400.',
        params,
        response: {
          200: ModelsResultSchema.describe('What became of each view.'),
          ...errorAnswers(400, 401, 404, 409),
        },
      },
    },
    async (request) => {
      const s = await sourceOf(request.params.id);
      return { source_id: s.id, ...(await applyModelsFor(deps(), s)) };
    },
  );
};
