import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isSnagError, SnagError } from '../../core/errors.js';
import type { Credential } from '../../store/index.js';
import { planView } from '../../writeback/index.js';
import { ERRORS, errorAnswers, named } from '../openapi.js';
import { lastEventId } from '../runs/event-feed.js';
import { checkSinkConfig, CONTENT_MAX, prepareSink, type SinkConfig } from '../sinks/config.js';
import { streamSinkRunEvents } from '../sinks/event-feed.js';
import { reportCsv, reportCsvFilename } from '../sinks/report-csv.js';
import type { ServerDeps } from '../types.js';
import { limitQuery } from './data-sources.js';
import {
  DataSinkCreate,
  DataSinkSchema,
  DataSinkUpdate,
  SinkRunSchema,
  sinkRunView,
  toDataSink,
} from './data-sink-resource.js';

/**
 * `/api/data_sinks` (after Nexla's): destinations of type Bugsnag, where write-back applies error workflow changes.
 * CRUD; `plan` reads the errors the input touches and answers what would change (nothing is sent); `apply` plans
 * again and starts applying in this server process (a run: live at `…/runs/{run_id}/events`, its per-row report at
 * `…/runs/{run_id}`). One apply per destination at a time (409).
 */

const TAG = ['Destinations'];
const params = z.object({ id: z.string().meta({ description: 'The destination id (snk_…) or its name.' }) });
const runParams = params.extend({ run_id: z.string().meta({ description: 'The run id (wbr_…).' }) });
/** Room for an uploaded input (CONTENT_MAX) and the JSON around it. */
const BODY_LIMIT = CONTENT_MAX * 2 + 64 * 1024;

const PlanGroup = z.object({
  project_id: z.string(),
  operation: z.string(),
  params: z.record(z.string(), z.unknown()),
  assignee: z.object({ kind: z.enum(['collaborator', 'team']), id: z.string() }).optional(),
  change: z.array(z.object({ row: z.number().int(), error_id: z.string() })),
  /** Rows not sent and why: already so, the comment already on the error (with its id and author), a duplicate row. */
  skip: z.array(z.object({ row: z.number().int(), error_id: z.string(), reason: z.string() })),
  missing: z.array(z.object({ row: z.number().int(), error_id: z.string(), message: z.string() })),
  requests: z.number().int(),
});
export const SinkPlanSchema = named(
  'SinkPlan',
  z.object({
    data_sink_id: z.string(),
    input_hash: z.string(),
    rows: z.number().int(),
    reads: z.number().int().meta({ description: 'Read requests made to plan.' }),
    writes: z.number().int().meta({ description: 'Write requests apply would make.' }),
    groups: z.array(PlanGroup).meta({
      description: 'Per operation and project: rows to change, rows already so (skip), rows Bugsnag does not show.',
    }),
    changed: z.literal(false).meta({ description: 'A plan changes nothing.' }),
    warnings: z.array(z.string()).meta({
      description:
        "What reading the input found worth knowing, e.g. a database role that could write (the input's query is still run read-only).",
    }),
  }),
);

const ApplyRequest = named(
  'SinkApplyRequest',
  z.strictObject(
    {
      confirm: z
        .boolean()
        .optional()
        .meta({ description: 'Needed when the plan discards errors (new events of a discarded error are dropped).' }),
    },
    { error: (iss) => (iss.code === 'unrecognized_keys' ? 'An apply takes confirm.' : undefined) },
  ),
);

async function credentialOf(deps: ServerDeps, ref: string): Promise<Credential> {
  try {
    return await deps.runtime.store.credentials.findByNameOrId(ref);
  } catch (err) {
    if (!isSnagError(err, 'missing')) throw err;
    throw new SnagError('config', `No credential with the name or id "${ref}".`, {
      hint: 'GET /api/data_credentials lists them.',
      details: { field: 'data_credentials_id' },
    });
  }
}

export const dataSinksApi: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const deps = () => app.snag;
  const store = () => app.snag.runtime.store;

  app.get(
    '/api/data_sinks',
    {
      schema: {
        tags: TAG,
        operationId: 'listDataSinks',
        summary: 'List destinations (Bugsnag write-back)',
        response: { 200: z.array(DataSinkSchema).describe('Every destination.'), ...errorAnswers(401) },
      },
    },
    async () => Promise.all((await store().sinks.list()).map((s) => toDataSink(deps(), s))),
  );

  app.post(
    '/api/data_sinks',
    {
      bodyLimit: BODY_LIMIT,
      schema: {
        tags: TAG,
        operationId: 'createDataSink',
        summary: 'Create a destination: a credential, an input and an operation (nothing is sent to Bugsnag)',
        body: DataSinkCreate,
        response: { 201: DataSinkSchema.describe('Saved.'), ...errorAnswers(400, 401, 409) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const credential = await credentialOf(deps(), body.data_credentials_id);
      await checkSinkConfig(deps().runtime, body.data_sink_config);
      const s = await store().sinks.create({
        name: body.name,
        description: body.description ?? null,
        credential_id: credential.id,
        config: body.data_sink_config as SinkConfig,
      });
      return reply
        .code(201)
        .header('location', `/api/data_sinks/${s.id}`)
        .send(await toDataSink(deps(), s));
    },
  );

  app.get(
    '/api/data_sinks/:id',
    {
      schema: {
        tags: TAG,
        operationId: 'getDataSink',
        summary: 'Get a destination',
        params,
        response: { 200: DataSinkSchema.describe('The destination.'), ...errorAnswers(401, 404) },
      },
    },
    async (request) => toDataSink(deps(), await store().sinks.findByNameOrId(request.params.id)),
  );

  app.put(
    '/api/data_sinks/:id',
    {
      bodyLimit: BODY_LIMIT,
      schema: {
        tags: TAG,
        operationId: 'updateDataSink',
        summary: 'Change a destination',
        params,
        body: DataSinkUpdate,
        response: { 200: DataSinkSchema.describe('Updated.'), ...errorAnswers(400, 401, 404, 409) },
      },
    },
    async (request) => {
      const s = await store().sinks.findByNameOrId(request.params.id);
      const body = request.body;
      const credential = body.data_credentials_id ? await credentialOf(deps(), body.data_credentials_id) : null;
      if (body.data_sink_config) await checkSinkConfig(deps().runtime, body.data_sink_config);
      const updated = await store().sinks.update(s.id, {
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.description !== undefined ? { description: body.description } : {}),
        ...(credential ? { credential_id: credential.id } : {}),
        ...(body.data_sink_config ? { config: body.data_sink_config as SinkConfig } : {}),
      });
      return toDataSink(deps(), updated);
    },
  );

  app.delete(
    '/api/data_sinks/:id',
    {
      schema: {
        tags: TAG,
        operationId: 'deleteDataSink',
        summary: 'Delete a destination and its run history (what was applied in Bugsnag stays)',
        params,
        response: {
          200: z.object({ removed: DataSinkSchema, note: z.string() }).describe('Deleted.'),
          ...errorAnswers(401, 404),
          409: ERRORS[409].describe('An apply of the destination is running.'),
        },
      },
    },
    async (request) => {
      const s = await store().sinks.findByNameOrId(request.params.id);
      const view = await toDataSink(deps(), s);
      await store().sinks.remove(s.id);
      return { removed: view, note: 'The destination and its runs are deleted; the changes made in Bugsnag stay.' };
    },
  );

  app.post(
    '/api/data_sinks/:id/plan',
    {
      schema: {
        tags: TAG,
        operationId: 'planDataSink',
        summary: 'What applying would change: reads the errors from Bugsnag, sends no write',
        params,
        response: { 200: SinkPlanSchema.describe('The plan.'), ...errorAnswers(400, 401, 404, 422, 429, 502) },
      },
    },
    async (request) => {
      const s = await store().sinks.findByNameOrId(request.params.id);
      const session = await prepareSink(deps().runtime, s);
      return { data_sink_id: s.id, ...planView(session.plan), changed: false as const, warnings: session.warnings };
    },
  );

  app.post(
    '/api/data_sinks/:id/apply',
    {
      schema: {
        tags: TAG,
        operationId: 'applyDataSink',
        summary: 'Plan again and apply (in the server process); follow it at /api/data_sinks/{id}/runs/{run_id}/events',
        params,
        body: ApplyRequest.nullish(),
        response: {
          202: SinkRunSchema.extend({ run_id: z.string() }).describe('Started: the run, with run_id.'),
          ...errorAnswers(400, 401, 404, 422, 429, 502),
          409: ERRORS[409].describe('An apply of this destination is already running.'),
        },
      },
    },
    async (request, reply) => {
      const s = await store().sinks.findByNameOrId(request.params.id);
      const live = await deps().sinkRuns.start(s, { confirm: request.body?.confirm === true });
      return reply
        .code(202)
        .header('location', `/api/data_sinks/${s.id}/runs/${live.run.id}`)
        .send({ run_id: live.run.id, ...sinkRunView(deps(), live.run, s.name, false) });
    },
  );

  app.get(
    '/api/data_sinks/:id/runs',
    {
      schema: {
        tags: TAG,
        operationId: 'listDataSinkRuns',
        summary: "The destination's runs, newest first (without their rows)",
        params,
        querystring: limitQuery,
        response: { 200: z.array(SinkRunSchema).describe('Runs.'), ...errorAnswers(400, 401, 404) },
      },
    },
    async (request) => {
      const s = await store().sinks.findByNameOrId(request.params.id);
      if (!deps().sinkRuns.liveFor(s.id)) await store().sinks.failStale(s.id);
      const runs = await store().sinks.listRuns(s.id, Number(request.query.limit ?? 50));
      return runs.map((r) => sinkRunView(deps(), r, s.name, false));
    },
  );

  app.get(
    '/api/data_sinks/:id/runs/:run_id',
    {
      schema: {
        tags: TAG,
        operationId: 'getDataSinkRun',
        summary: "One run with its per-row report: applied, skipped, or failed with Bugsnag's message",
        params: runParams,
        response: { 200: SinkRunSchema.describe('The run.'), ...errorAnswers(401, 404) },
      },
    },
    async (request) => {
      const { sink, run } = await runOf(deps(), request.params.id, request.params.run_id);
      return sinkRunView(deps(), run, sink.name, true);
    },
  );

  app.get(
    '/api/data_sinks/:id/runs/:run_id/report.csv',
    {
      schema: {
        tags: TAG,
        operationId: 'getDataSinkRunReportCsv',
        summary: "One run's per-row report as a CSV download",
        description:
          'Columns row, project_id, error_id, operation, outcome (applied, skipped, failed), message, status_code ' +
          "(Bugsnag's HTTP status for a failed row, when known). RFC 4180 quoting; a cell starting with = + - @ is " +
          'prefixed with a single quote so a spreadsheet never reads it as a formula.',
        params: runParams,
        response: {
          200: { description: 'The report.', content: { 'text/csv': { schema: z.string() } } },
          ...errorAnswers(401, 404),
        },
      },
    },
    async (request, reply) => {
      const { sink, run } = await runOf(deps(), request.params.id, request.params.run_id);
      const view = sinkRunView(deps(), run, sink.name, true);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${reportCsvFilename(run.id)}"`)
        .send(reportCsv(view.rows ?? []));
    },
  );

  app.get(
    '/api/data_sinks/:id/runs/:run_id/events',
    {
      schema: {
        tags: TAG,
        operationId: 'streamDataSinkRunEvents',
        summary: "The run's progress as server-sent events",
        description:
          'Server-sent events: `run-start` (rows, writes), `progress` (done, total) and `run-done` (status, totals, writes, error); ' +
          'each with `runId`, `seq` and `at`. Reconnect with Last-Event-ID (or ?last_event_id=); the stream ends after run-done.',
        params: runParams,
        querystring: z.object({ last_event_id: z.string().optional() }),
        response: {
          200: { description: 'The event stream.', content: { 'text/event-stream': { schema: z.string() } } },
          204: z.undefined().describe('The run has ended and the client has seen everything.'),
          ...errorAnswers(400, 401, 404),
        },
      },
    },
    async (request, reply) => {
      const after = lastEventId(request as Parameters<typeof lastEventId>[0]);
      const { run } = await runOf(deps(), request.params.id, request.params.run_id);
      await streamSinkRunEvents(deps(), request, reply, run, after);
      return reply;
    },
  );
};

async function runOf(deps: ServerDeps, sinkRef: string, runId: string) {
  const sink = await deps.runtime.store.sinks.findByNameOrId(sinkRef);
  if (!deps.sinkRuns.liveFor(sink.id)) await deps.runtime.store.sinks.failStale(sink.id);
  const run = await deps.runtime.store.sinks.getRun(runId);
  if (!run || run.sink_id !== sink.id) {
    throw new SnagError('missing', `No write-back run "${runId}" of the destination "${sink.name}".`, {
      hint: `GET /api/data_sinks/${sink.id}/runs lists its runs.`,
    });
  }
  return { sink, run };
}
