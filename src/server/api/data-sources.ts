import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isSnagError } from '../../core/errors.js';
import { removeSource, SourceConfigSchema, updateSource, type PreviewTarget } from '../../engine/index.js';
import type { Source } from '../../store/models.js';
import { API_FIELDS, relabel } from '../sources/fields.js';
import { ERRORS, errorAnswers, named } from '../openapi.js';
import { previewFor } from '../sources/preview.js';
import { asStateConflict, createSourceFrom, updateSourceFrom } from '../sources/save.js';
import type { ServerDeps } from '../types.js';
import { runView } from '../runs/view.js';
import { attachedProblems, validationError, validationProblems } from '../validation.js';
import {
  DataSourceCreate,
  DataSourceRemoved,
  DataSourceSchema,
  DataSourceUpdate,
  PREVIEW_OPTIONS,
  PreviewSchema,
  sourceRequestOf,
  StreamName,
  toDataSource,
  type DataSource,
} from './data-source-resource.js';
import { RunSchema } from './run-resource.js';

/**
 * `/api/data_sources`: create, list, get, update, delete; `activate` and `pause`; `runs` to start a sync now (it runs
 * in this server process; progress at `/api/runs/{id}/events`) and to list a source's run history; `preview` to read
 * a few records without saving anything (the wizard's Test), for a saved source or a draft. Errors name the API's
 * fields (`data_credentials_id`, `poll_schedule`, `source_config.streams`…).
 */

/** Engine errors re-labelled with the API's field names. */
async function api<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw isSnagError(err) ? relabel(err, API_FIELDS) : err;
  }
}

export async function dataSourceOf(deps: ServerDeps, s: Source): Promise<DataSource> {
  const { store } = deps.runtime;
  const credential = s.credential_id ? await store.credentials.get(s.credential_id) : null;
  const runs = await store.runs.list({ sourceId: s.id, limit: 20 });
  const lastRun = s.last_run_id
    ? (runs.find((r) => r.id === s.last_run_id) ?? (await store.runs.get(s.last_run_id)) ?? null)
    : null;
  const live = deps.runs.liveFor(s.id)?.handle.runId ?? (lastRun?.status === 'running' ? lastRun.id : null);
  return toDataSource(s, { credentialName: credential?.name ?? null, lastRun, runs, liveRunId: live });
}

const TAG = ['Sources'];
const PREVIEW_DESCRIPTION = [
  'Reads a few records of one stream (`stream`, default errors; `limit`, default 5) from the first organization or',
  'project the source would read, and saves nothing: no run, no checkpoint, no destination.',
  'For the `events` stream the answer also has `first_sync` (unless the body says `"estimate": false`): how long the',
  "first sync would take by each path at the credential's rate limit (the limit Bugsnag announced to it, else the",
  'assumed 30 requests a minute) — the events list, 30 events a request, or event data requests (bulk exports) —',
  "and which path the source's `events_backfill` setting picks per project. Request time only: a bulk export also",
  'waits for Bugsnag to prepare it, and for its download. The estimate costs the organization and project lists and',
  'one request per project (at most 50; `projects_not_counted` says how many more there are), on the same rate limit',
  'as syncs; when it cannot be made (the limit is used up for now…) the records are still answered, and',
  "`first_sync_error` says why. `requests` counts the estimate's requests too.",
].join(' ');
const params = z.object({ id: z.string().meta({ description: 'The source id (src_…) or its name.' }) });
const LIMIT_ERROR = 'limit must be a whole number from 1 to 500.';
export const limitQuery = z.object({
  // A number in the document (a generated client sends one); the query string's text is coerced.
  limit: z.coerce
    .number({ error: LIMIT_ERROR })
    .int({ error: LIMIT_ERROR })
    .min(1, { error: LIMIT_ERROR })
    .max(500, { error: LIMIT_ERROR })
    .optional()
    .meta({ description: 'How many (1–500, default 50).' }),
});

export const RunRequest = named(
  'RunRequest',
  z.strictObject(
    {
      full_refresh: z
        .boolean()
        .optional()
        .meta({ description: "Forget the checkpoints first: read every stream's whole history again (upserted)." }),
      streams: z
        .array(StreamName)
        .optional()
        .meta({ description: 'Only these streams this time (parents are added).' }),
    },
    { error: (iss) => (iss.code === 'unrecognized_keys' ? 'A run takes full_refresh and streams.' : undefined) },
  ),
);

export const dataSourcesApi: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const deps = () => app.snag;
  const store = () => app.snag.runtime.store;

  app.get(
    '/api/data_sources',
    {
      schema: {
        tags: TAG,
        operationId: 'listDataSources',
        summary: 'List sources',
        response: { 200: z.array(DataSourceSchema).describe('Every source.'), ...errorAnswers(401) },
      },
    },
    async () => Promise.all((await store().sources.list()).map((s) => dataSourceOf(deps(), s))),
  );

  app.post(
    '/api/data_sources',
    {
      // The schema's problems are reported with the ones only the handler can find (an unknown credential).
      attachValidation: true,
      schema: {
        tags: TAG,
        operationId: 'createDataSource',
        summary: 'Create a source',
        body: DataSourceCreate,
        response: { 201: DataSourceSchema.describe('Saved.'), ...errorAnswers(400, 401, 409) },
      },
    },
    async (request, reply) =>
      api(async () => {
        bodyMustBeObject(request.validationError);
        const r = await createSourceFrom(deps().runtime, sourceRequestOf(request.body), attachedProblems(request));
        return reply
          .code(201)
          .header('location', `/api/data_sources/${r.source.id}`)
          .send({ ...(await dataSourceOf(deps(), r.source)), warnings: r.warnings });
      }),
  );

  app.get(
    '/api/data_sources/:id',
    {
      schema: {
        tags: TAG,
        operationId: 'getDataSource',
        summary: 'Get a source',
        params,
        response: { 200: DataSourceSchema.describe('The source.'), ...errorAnswers(401, 404) },
      },
    },
    async (request) => dataSourceOf(deps(), await store().sources.findByNameOrId(request.params.id)),
  );

  app.put(
    '/api/data_sources/:id',
    {
      attachValidation: true,
      schema: {
        tags: TAG,
        operationId: 'updateDataSource',
        summary: 'Change a source',
        params,
        body: DataSourceUpdate,
        response: {
          200: DataSourceSchema.describe('Updated.'),
          ...errorAnswers(400, 401, 404, 409),
        },
      },
    },
    async (request) =>
      api(async () => {
        bodyMustBeObject(request.validationError);
        const r = await updateSourceFrom(
          deps().runtime,
          request.params.id,
          sourceRequestOf(request.body, 'update'),
          attachedProblems(request),
        );
        return { ...(await dataSourceOf(deps(), r.source)), warnings: r.warnings };
      }),
  );

  app.delete(
    '/api/data_sources/:id',
    {
      schema: {
        tags: TAG,
        operationId: 'deleteDataSource',
        summary: 'Delete a source and its run history (the destination and its data are kept)',
        params,
        response: {
          200: DataSourceRemoved.describe('Deleted.'),
          ...errorAnswers(401, 404),
          409: ERRORS[409].describe('A sync of the source is running: cancel it or wait.'),
        },
      },
    },
    async (request) => {
      const s = await store().sources.findByNameOrId(request.params.id);
      const runs = await store().runs.list({ sourceId: s.id, limit: 10_000 });
      const resource = await dataSourceOf(deps(), s);
      await removeSource(deps().runtime, s.id);
      return {
        removed: resource,
        runs_removed: runs.length,
        destination_kept: s.destination,
        note: 'The source and its run history are deleted. The destination and the data synced into it are kept.',
      };
    },
  );

  for (const action of ['activate', 'pause'] as const) {
    app.put(
      `/api/data_sources/:id/${action}`,
      {
        schema: {
          tags: TAG,
          operationId: `${action}DataSource`,
          summary:
            action === 'activate'
              ? 'Activate a source (the scheduler runs it on its schedule)'
              : 'Pause a source (the scheduler leaves it alone)',
          params,
          response: {
            200: DataSourceSchema.describe('The source with its new status.'),
            ...errorAnswers(401, 404, 409),
          },
        },
      },
      async (request) =>
        api(async () => {
          const s = await store().sources.findByNameOrId(request.params.id);
          try {
            const r = await updateSource(deps().runtime, s.id, { status: action === 'activate' ? 'active' : 'paused' });
            return dataSourceOf(deps(), r.source);
          } catch (err) {
            throw asStateConflict(err);
          }
        }),
    );
  }

  // Not through api(): `streams` here is the run's own field, not the source's.
  app.post(
    '/api/data_sources/:id/runs',
    {
      schema: {
        tags: TAG,
        operationId: 'startDataSourceRun',
        summary:
          'Sync the source now (executed by this server, in a process of its own); follow it at /api/runs/{run_id}/events',
        params,
        body: RunRequest.nullish(),
        response: {
          202: RunSchema.extend({ run_id: z.string() }).describe(
            'Started: the run as GET /api/runs/{id} shows it, with run_id.',
          ),
          ...errorAnswers(400, 401, 404),
          409: ERRORS[409].describe('A run of the source is already live, or the source is disabled.'),
        },
      },
    },
    async (request, reply) => {
      const s = await store().sources.findByNameOrId(request.params.id);
      const body = request.body ?? {};
      let runId: string;
      try {
        runId = (
          await deps().runs.start(s.id, {
            trigger: 'api',
            fullRefresh: body.full_refresh === true,
            streams: body.streams ?? [],
          })
        ).handle.runId;
      } catch (err) {
        throw asStateConflict(err);
      }
      const run = await store().runs.findById(runId);
      return reply
        .code(202)
        .header('location', `/api/runs/${runId}`)
        .send({ run_id: runId, ...(await runView(deps(), run, s)) });
    },
  );

  app.get(
    '/api/data_sources/:id/runs',
    {
      schema: {
        tags: TAG,
        operationId: 'listDataSourceRuns',
        summary: "The source's runs, newest first",
        params,
        querystring: limitQuery,
        response: { 200: z.array(RunSchema).describe('Runs.'), ...errorAnswers(400, 401, 404) },
      },
    },
    async (request) => {
      const s = await store().sources.findByNameOrId(request.params.id);
      await store().runs.failStale();
      const runs = await store().runs.list({ sourceId: s.id, limit: Number(request.query.limit ?? 50) });
      return Promise.all(runs.map((r) => runView(deps(), r, s)));
    },
  );

  app.post(
    '/api/data_sources/preview',
    {
      schema: {
        tags: TAG,
        operationId: 'previewDataSourceDraft',
        summary: "Read a few records with a draft source (the wizard's Test): nothing is saved",
        description: PREVIEW_DESCRIPTION,
        body: z.strictObject(
          {
            ...PREVIEW_OPTIONS,
            data_credentials_id: z.string({
              error: 'A preview needs data_credentials_id: the id of the credential to read with.',
            }),
            source_config: SourceConfigSchema.optional(),
          },
          {
            error: (iss) =>
              iss.code === 'unrecognized_keys'
                ? 'A preview takes data_credentials_id, source_config, stream, limit and estimate.'
                : undefined,
          },
        ),
        response: {
          200: PreviewSchema.describe('The records, and where they were read.'),
          ...errorAnswers(400, 401, 404, 422, 429, 502),
        },
      },
    },
    async (request) =>
      api(async () => {
        const { input } = sourceRequestOf({
          data_credentials_id: request.body.data_credentials_id,
          source_config: request.body.source_config ?? {},
        });
        const { credential, ...config } = input;
        const target: PreviewTarget = { credential: credential!, config };
        return previewAnswer(
          await previewFor(deps().runtime, target, request.body.stream ?? 'errors', {
            limit: request.body.limit ?? 5,
            estimate: request.body.estimate ?? true,
          }),
        );
      }),
  );

  app.post(
    '/api/data_sources/:id/preview',
    {
      schema: {
        tags: TAG,
        operationId: 'previewDataSource',
        summary: 'Read a few records with a saved source: nothing is saved',
        description: PREVIEW_DESCRIPTION,
        params,
        body: z
          .strictObject(PREVIEW_OPTIONS, {
            error: (iss) =>
              iss.code === 'unrecognized_keys' ? 'A preview takes stream, limit and estimate.' : undefined,
          })
          .nullish(),
        response: {
          200: PreviewSchema.describe('The records.'),
          ...errorAnswers(400, 401, 404, 422, 429, 502),
        },
      },
    },
    async (request) =>
      api(async () => {
        const s = await store().sources.findByNameOrId(request.params.id);
        return previewAnswer(
          await previewFor(deps().runtime, s.id, request.body?.stream ?? 'errors', {
            limit: request.body?.limit ?? 5,
            estimate: request.body?.estimate ?? true,
          }),
        );
      }),
  );
};

function previewAnswer(p: Awaited<ReturnType<typeof previewFor>>) {
  return {
    stream: p.stream,
    partition: p.partition,
    records: p.records,
    requests: p.requests,
    saved: false as const,
    ...(p.first_sync ? { first_sync: p.first_sync } : {}),
    ...(p.first_sync_error ? { first_sync_error: p.first_sync_error } : {}),
  };
}

/** A body that is not an object at all has nothing to report field by field. */
function bodyMustBeObject(error: Error | undefined): void {
  if (!error) return;
  const problems = validationProblems(error);
  if (problems.body) throw validationError(error)!;
}
