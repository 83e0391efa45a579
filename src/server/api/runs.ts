import type { FastifyInstance } from 'fastify';
import { SnagError } from '../../core/errors.js';
import { RunStatus } from '../../store/models.js';
import { lastEventId, streamRunEvents } from '../runs/event-feed.js';
import { runView } from '../runs/view.js';
import { parseLimit } from './data-sources.js';

/**
 * `/api/runs`: the run history of every source (newest first), one run with its streams, warnings and error, its
 * progress as server-sent events, and cancelling a run this server is executing.
 */

type IdParams = { Params: { id: string } };

export function registerRunsApi(app: FastifyInstance): void {
  const deps = () => app.snag;
  const store = () => app.snag.runtime.store;

  app.get<{ Querystring: { source?: string; status?: string; limit?: string } }>('/api/runs', async (request) => {
    const q = request.query;
    const limit = parseLimit(q.limit, 50, 500);
    let status: RunStatus | undefined;
    if (q.status !== undefined && q.status !== '') {
      const parsed = RunStatus.safeParse(q.status);
      if (!parsed.success) {
        throw new SnagError('config', `"${q.status}" is not a run status.`, { hint: `One of ${RunStatus.options.join(', ')}.`, details: { field: 'status' } });
      }
      status = parsed.data;
    }
    const source = q.source ? await store().sources.findByNameOrId(q.source) : undefined;
    await store().runs.failStale();
    const runs = await store().runs.list({ limit, ...(source ? { sourceId: source.id } : {}), ...(status ? { status } : {}) });
    return Promise.all(runs.map((r) => runView(deps(), r)));
  });

  app.get<IdParams>('/api/runs/:id', async (request) => runView(deps(), await store().runs.findById(request.params.id)));

  app.get<IdParams & { Querystring: { last_event_id?: string } }>('/api/runs/:id/events', async (request, reply) => {
    const after = lastEventId(request);
    await streamRunEvents(deps(), request, reply, request.params.id, after);
    return reply;
  });

  app.post<IdParams>('/api/runs/:id/cancel', async (request, reply) => {
    const run = await store().runs.findById(request.params.id);
    if (run.status !== 'running') {
      throw new SnagError('conflict', `Run ${run.id} is not running (it ${run.status}).`, { hint: 'Only a running sync can be cancelled.' });
    }
    if (!deps().runs.cancel(run.id)) {
      throw new SnagError('conflict', `Run ${run.id} is being run by another process (pid ${run.pid ?? '?'} on ${run.hostname ?? '?'}), not by this server.`, {
        hint: 'Stop it where it runs (Ctrl-C in its terminal).',
      });
    }
    return reply.code(202).send({ run_id: run.id, cancelling: true, note: 'The page in flight is abandoned; everything committed stays; the run ends cancelled.' });
  });
}
