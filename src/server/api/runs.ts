import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SnagError } from '../../core/errors.js';
import { ERRORS, errorAnswers } from '../openapi.js';
import { lastEventId, streamRunEvents } from '../runs/event-feed.js';
import { runView } from '../runs/view.js';
import { limitQuery } from './data-sources.js';
import { EVENTS_DESCRIPTION, RUN_STATUSES, RunSchema } from './run-resource.js';

/**
 * `/api/runs`: the run history of every source (newest first), one run with its streams, warnings and error, its
 * progress as server-sent events, and cancelling a run this server is executing.
 */

const TAG = ['Runs'];
const params = z.object({ id: z.string().meta({ description: 'The run id (run_…).' }) });

const statusQuery = z
  .string()
  .superRefine((v, ctx) => {
    if (v !== '' && !(RUN_STATUSES as readonly string[]).includes(v)) {
      ctx.addIssue({
        code: 'custom',
        message: `"${v}" is not a run status.`,
        params: { hint: `One of ${RUN_STATUSES.join(', ')}.` },
      });
    }
  })
  .optional()
  .meta({ enum: [...RUN_STATUSES] });

export const runsApi: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const deps = () => app.snag;
  const store = () => app.snag.runtime.store;

  app.get(
    '/api/runs',
    {
      schema: {
        tags: TAG,
        operationId: 'listRuns',
        summary: 'The runs of every source, newest first',
        querystring: limitQuery.extend({
          source: z.string().optional().meta({ description: 'Only this source (id or name).' }),
          status: statusQuery,
        }),
        response: { 200: z.array(RunSchema).describe('Runs.'), ...errorAnswers(400, 401, 404) },
      },
    },
    async (request) => {
      const q = request.query;
      const status = q.status ? (q.status as (typeof RUN_STATUSES)[number]) : undefined;
      const source = q.source ? await store().sources.findByNameOrId(q.source) : undefined;
      await store().runs.failStale();
      const runs = await store().runs.list({
        limit: Number(q.limit ?? 50),
        ...(source ? { sourceId: source.id } : {}),
        ...(status ? { status } : {}),
      });
      return Promise.all(runs.map((r) => runView(deps(), r)));
    },
  );

  app.get(
    '/api/runs/:id',
    {
      schema: {
        tags: TAG,
        operationId: 'getRun',
        summary: 'One run: status, totals, streams and partitions, warnings, error',
        params,
        response: { 200: RunSchema.describe('The run.'), ...errorAnswers(401, 404) },
      },
    },
    async (request) => runView(deps(), await store().runs.findById(request.params.id)),
  );

  app.get(
    '/api/runs/:id/events',
    {
      schema: {
        tags: TAG,
        operationId: 'streamRunEvents',
        summary: "The run's progress as server-sent events",
        description: EVENTS_DESCRIPTION,
        params,
        headers: z.looseObject({
          'last-event-id': z.string().optional().meta({ description: 'Resume after this sequence number.' }),
        }),
        querystring: z.object({
          last_event_id: z
            .string()
            .optional()
            .meta({ description: 'The same, for a first connection (EventSource cannot set the header).' }),
        }),
        response: {
          200: { description: 'The event stream.', content: { 'text/event-stream': { schema: z.string() } } },
          204: z.undefined().describe('The run has ended and the client has seen everything.'),
          ...errorAnswers(400, 401, 404),
        },
      },
    },
    async (request, reply) => {
      const after = lastEventId(request as Parameters<typeof lastEventId>[0]);
      await streamRunEvents(deps(), request, reply, request.params.id, after);
      return reply;
    },
  );

  app.post(
    '/api/runs/:id/cancel',
    {
      schema: {
        tags: TAG,
        operationId: 'cancelRun',
        summary: 'Stop a run this server is executing (what it committed stays; it ends cancelled)',
        params,
        response: {
          202: z.object({ run_id: z.string(), cancelling: z.literal(true), note: z.string() }).describe('Cancelling.'),
          ...errorAnswers(401, 404),
          409: ERRORS[409].describe('Not running, or run by another process.'),
        },
      },
    },
    async (request, reply) => {
      const run = await store().runs.findById(request.params.id);
      if (run.status !== 'running') {
        throw new SnagError('conflict', `Run ${run.id} is not running (it ${run.status}).`, {
          hint: 'Only a running sync can be cancelled.',
        });
      }
      if (!deps().runs.cancel(run.id) && !(await deps().runs.cancelElsewhere(run))) {
        throw new SnagError(
          'conflict',
          `Run ${run.id} is being run by another process (pid ${run.pid ?? '?'} on ${run.hostname ?? '?'}), not by this server.`,
          {
            hint: 'Stop it where it runs (Ctrl-C in its terminal).',
          },
        );
      }
      return reply.code(202).send({
        run_id: run.id,
        cancelling: true,
        note: 'The page in flight is abandoned; everything committed stays; the run ends cancelled.',
      });
    },
  );
};
