import type { FastifyInstance } from 'fastify';
import { isSnagError, SnagError } from '../../core/errors.js';
import { removeSource, STREAM_NAMES, updateSource, type PreviewTarget } from '../../engine/index.js';
import type { Source } from '../../store/models.js';
import { API_FIELDS, relabel } from '../sources/fields.js';
import { previewFor, PREVIEW_LIMIT_MAX } from '../sources/preview.js';
import { asStateConflict, createSourceFrom, updateSourceFrom } from '../sources/save.js';
import { problemsError } from '../sources/validate.js';
import type { ServerDeps } from '../types.js';
import { runView } from '../runs/view.js';
import { parseDataSourceRequest, toDataSource, type DataSource } from './data-source-resource.js';

/**
 * `/api/data_sources`: create, list, get, update, delete; `activate` and `pause`; `runs` to start a sync now (it runs
 * in this server process; progress at `/api/runs/{id}/events`) and to list a source's run history; `preview` to read
 * a few records without saving anything (the wizard's Test), for a saved source or a draft. Errors name the API's
 * fields (`data_credentials_id`, `poll_schedule`, `source_config.streams`…).
 */

type IdParams = { Params: { id: string } };

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
  const lastRun = s.last_run_id ? ((runs.find((r) => r.id === s.last_run_id) ?? (await store.runs.get(s.last_run_id))) ?? null) : null;
  const live = deps.runs.liveFor(s.id)?.handle.runId ?? (lastRun?.status === 'running' ? lastRun.id : null);
  return toDataSource(s, { credentialName: credential?.name ?? null, lastRun, runs, liveRunId: live });
}

export function registerDataSourcesApi(app: FastifyInstance): void {
  const deps = () => app.snag;
  const store = () => app.snag.runtime.store;

  app.get('/api/data_sources', async () => {
    const sources = await store().sources.list();
    return Promise.all(sources.map((s) => dataSourceOf(deps(), s)));
  });

  app.post('/api/data_sources', async (request, reply) =>
    api(async () => {
      const { request: req, problems } = parseDataSourceRequest(request.body, 'create');
      const r = await createSourceFrom(deps().runtime, req, problems);
      return reply
        .code(201)
        .header('location', `/api/data_sources/${r.source.id}`)
        .send({ ...(await dataSourceOf(deps(), r.source)), warnings: r.warnings });
    }),
  );

  app.get<IdParams>('/api/data_sources/:id', async (request) => dataSourceOf(deps(), await store().sources.findByNameOrId(request.params.id)));

  app.put<IdParams>('/api/data_sources/:id', async (request) =>
    api(async () => {
      const { request: req, problems } = parseDataSourceRequest(request.body, 'update');
      const r = await updateSourceFrom(deps().runtime, request.params.id, req, problems);
      return { ...(await dataSourceOf(deps(), r.source)), warnings: r.warnings };
    }),
  );

  app.delete<IdParams>('/api/data_sources/:id', async (request) => {
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
  });

  for (const action of ['activate', 'pause'] as const) {
    app.put<IdParams>(`/api/data_sources/:id/${action}`, async (request) =>
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
  app.post<IdParams>('/api/data_sources/:id/runs', async (request, reply) => {
    const s = await store().sources.findByNameOrId(request.params.id);
    const { fullRefresh, streams } = parseRunRequest(request.body);
    let runId: string;
    try {
      runId = (await deps().runs.start(s.id, { trigger: 'api', fullRefresh, streams })).handle.runId;
    } catch (err) {
      throw asStateConflict(err);
    }
    const run = await store().runs.findById(runId);
    return reply
      .code(202)
      .header('location', `/api/runs/${runId}`)
      .send({ run_id: runId, ...(await runView(deps(), run, s)) });
  });

  app.get<IdParams & { Querystring: { limit?: string } }>('/api/data_sources/:id/runs', async (request) => {
    const s = await store().sources.findByNameOrId(request.params.id);
    const limit = parseLimit(request.query.limit, 50, 500);
    await store().runs.failStale();
    const runs = await store().runs.list({ sourceId: s.id, limit });
    return Promise.all(runs.map((r) => runView(deps(), r, s)));
  });

  app.post('/api/data_sources/preview', async (request) =>
    api(async () => {
      const body = objectBody(request.body);
      const { stream, limit } = parsePreviewOptions(body);
      const { data_credentials_id: _c, source_config: _sc, stream: _s, limit: _l, ...rest } = body;
      for (const k of Object.keys(rest)) throw badField(k, `Unknown field "${k}".`, 'A preview takes data_credentials_id, source_config, stream and limit.');
      const { request: req, problems } = parseDataSourceRequest({ data_credentials_id: body.data_credentials_id, source_config: body.source_config ?? {} }, 'update');
      const envelope = problemsError(problems);
      if (envelope) throw envelope;
      if (!req.input.credential) throw badField('data_credentials_id', 'A preview needs data_credentials_id.', 'Give the id of the credential to read with.');
      const { credential, ...config } = req.input;
      const target: PreviewTarget = { credential, config };
      return previewAnswer(await previewFor(deps().runtime, target, stream, limit));
    }),
  );

  app.post<IdParams>('/api/data_sources/:id/preview', async (request) =>
    api(async () => {
      const s = await store().sources.findByNameOrId(request.params.id);
      const body = objectBody(request.body ?? {});
      const { stream, limit } = parsePreviewOptions(body);
      return previewAnswer(await previewFor(deps().runtime, s.id, stream, limit));
    }),
  );
}

function previewAnswer(p: Awaited<ReturnType<typeof previewFor>>) {
  return { stream: p.stream, partition: p.partition, records: p.records, requests: p.requests, saved: false };
}

function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new SnagError('config', 'The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

function badField(field: string, message: string, hint?: string): SnagError {
  return new SnagError('config', message, { ...(hint ? { hint } : {}), details: { field } });
}

function parsePreviewOptions(body: Record<string, unknown>): { stream: string; limit: number } {
  const stream = body.stream ?? 'errors';
  if (typeof stream !== 'string' || !STREAM_NAMES.includes(stream)) {
    throw badField('stream', `"${String(stream)}" is not a stream.`, `Streams: ${STREAM_NAMES.join(', ')}.`);
  }
  const limit = body.limit ?? 5;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > PREVIEW_LIMIT_MAX) {
    throw badField('limit', `limit must be a whole number from 1 to ${PREVIEW_LIMIT_MAX}.`);
  }
  return { stream, limit };
}

function parseRunRequest(body: unknown): { fullRefresh: boolean; streams: string[] } {
  const b = objectBody(body);
  for (const k of Object.keys(b)) {
    if (k !== 'full_refresh' && k !== 'streams') throw badField(k, `Unknown field "${k}".`, 'A run takes full_refresh and streams.');
  }
  if (b.full_refresh !== undefined && typeof b.full_refresh !== 'boolean') throw badField('full_refresh', 'full_refresh must be true or false.');
  const streams = b.streams ?? [];
  if (!Array.isArray(streams) || !streams.every((s) => typeof s === 'string')) throw badField('streams', 'streams must be an array of stream names.');
  for (const s of streams) if (!STREAM_NAMES.includes(s)) throw badField('streams', `"${s}" is not a stream.`, `Streams: ${STREAM_NAMES.join(', ')}.`);
  return { fullRefresh: b.full_refresh === true, streams };
}

export function parseLimit(raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw badField('limit', `limit must be a whole number from 1 to ${max}.`);
  return n;
}
