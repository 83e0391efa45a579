import type { JsonSchema, OpenApiModule } from '../openapi.js';

/** The OpenAPI description of `/api/runs`, and of the progress events a run sends over SSE. */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const err = (name: string) => ({ $ref: `#/components/responses/${name}` });
const nullable = (type: string) => ({ type: [type, 'null'] });
const int = { type: 'integer', minimum: 0 };

const RUN_STREAM: JsonSchema = {
  type: 'object',
  required: ['stream', 'partition', 'partition_label', 'records_read', 'records_written', 'pages', 'requests', 'retries', 'wait_ms', 'duration_ms', 'outcome', 'message', 'started_at', 'finished_at'],
  properties: {
    stream: { type: 'string' },
    partition: { type: 'string', description: 'project:<id>, organization:<id>, or "" for global streams.' },
    partition_label: { ...nullable('string'), description: '"Project name (organization name)" or "Organization name", as the run read them; null when unknown (global streams, older runs).' },
    records_read: int,
    records_written: int,
    pages: int,
    requests: int,
    retries: int,
    wait_ms: { ...int, description: 'Time spent waiting for the rate limit.' },
    duration_ms: int,
    outcome: { enum: ['ok', 'skipped', 'failed', null], description: 'null while the stream is being read.' },
    message: nullable('string'),
    started_at: { type: 'string' },
    finished_at: nullable('string'),
  },
};

const RUN: JsonSchema = {
  type: 'object',
  required: [
    'id', 'source_id', 'source_name', 'status', 'trigger', 'full_refresh', 'streams_requested', 'started_at', 'finished_at', 'duration_ms', 'live',
    'totals', 'streams', 'warnings', 'error', 'links',
  ],
  properties: {
    id: { type: 'string', pattern: '^run_[0-9a-z]+$' },
    source_id: { type: 'string' },
    source_name: nullable('string'),
    status: { enum: ['running', 'succeeded', 'failed', 'cancelled', 'partial'] },
    trigger: { enum: ['cli', 'schedule', 'api'] },
    full_refresh: { type: 'boolean' },
    streams_requested: { type: ['array', 'null'], items: { type: 'string' } },
    started_at: { type: 'string' },
    finished_at: nullable('string'),
    duration_ms: int,
    live: { type: 'boolean', description: 'Run by this server process now: live events at links.events.' },
    totals: {
      type: 'object',
      required: ['records_read', 'records_written', 'requests', 'pages', 'retries', 'rate_limit_wait_ms', 'rate_limit_waits'],
      properties: {
        records_read: int,
        records_written: int,
        requests: int,
        pages: int,
        retries: int,
        rate_limit_wait_ms: int,
        rate_limit_waits: { type: ['integer', 'null'], description: 'null for a run of another process.' },
      },
    },
    streams: { type: 'array', items: ref('RunStream') },
    warnings: {
      type: 'array',
      items: {
        type: 'object',
        required: ['stream', 'partition', 'partition_label', 'code', 'message'],
        properties: { stream: { type: 'string' }, partition: { type: 'string' }, partition_label: nullable('string'), code: nullable('string'), message: { type: 'string' } },
      },
    },
    error: {
      type: ['object', 'null'],
      required: ['error', 'message'],
      properties: { error: { type: 'string' }, message: { type: 'string' }, hint: { type: 'string' }, exit_code: { type: 'integer' } },
    },
    links: {
      type: 'object',
      required: ['self', 'events', 'source', 'page'],
      properties: { self: { type: 'string' }, events: { type: 'string' }, source: { type: 'string' }, page: { type: 'string' } },
    },
  },
};

const idParam = { name: 'id', in: 'path', required: true, description: 'The run id (run_…).', schema: { type: 'string' } };
const TAG = 'Runs';

const EVENTS_DESCRIPTION = [
  'Server-sent events (text/event-stream). Each event is `id: <sequence number>`, `event: <type>`, `data: <JSON>`; the',
  'JSON carries `type`, `runId`, `seq` and `at` besides its own fields. Types: `run-start` (streams, trigger, destination),',
  '`plan` (organizations, projects), `stream-start` (stream, partition, and `partitionLabel`, its name, when known),',
  '`page` (stream, partition, records, recordsRead, pages, estimate from X-Total-Count; at most four a second per',
  'stream and partition), `rate-limit-wait` (ms, reason), `retry`, `warning`,',
  '`stream-done` (outcome, records, requests, waitMs, durationMs, error) and `run-done` (status, error, summary). A run of',
  'another process sends `snapshot` events (the run as GET /api/runs/{id} shows it) every second instead.',
  'Comment lines (`: heartbeat`) keep the connection open. Reconnect with `Last-Event-ID` (or `?last_event_id=`) to get',
  'only what came after; the stream ends after `run-done`. A finished run sends its `run-done` and ends; asked again with',
  'a Last-Event-ID at or past the end, it answers 204 (EventSource stops reconnecting).',
].join(' ');

export const runsOpenApi: OpenApiModule = {
  tag: { name: TAG, description: 'Runs: the history of every sync, and the live progress of the ones in progress.' },
  schemas: { Run: RUN, RunStream: RUN_STREAM },
  paths: {
    '/api/runs': {
      get: {
        tags: [TAG],
        operationId: 'listRuns',
        summary: 'The runs of every source, newest first',
        parameters: [
          { name: 'source', in: 'query', required: false, description: 'Only this source (id or name).', schema: { type: 'string' } },
          { name: 'status', in: 'query', required: false, schema: { enum: ['running', 'succeeded', 'failed', 'cancelled', 'partial'] } },
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
        ],
        responses: {
          200: { description: 'Runs.', content: json({ type: 'array', items: ref('Run') }) },
          400: err('BadRequest'),
          401: err('Unauthorized'),
          404: err('NotFound'),
        },
      },
    },
    '/api/runs/{id}': {
      get: {
        tags: [TAG],
        operationId: 'getRun',
        summary: 'One run: status, totals, streams and partitions, warnings, error',
        parameters: [idParam],
        responses: { 200: { description: 'The run.', content: json(ref('Run')) }, 401: err('Unauthorized'), 404: err('NotFound') },
      },
    },
    '/api/runs/{id}/events': {
      get: {
        tags: [TAG],
        operationId: 'streamRunEvents',
        summary: 'The run\'s progress as server-sent events',
        description: EVENTS_DESCRIPTION,
        parameters: [
          idParam,
          { name: 'Last-Event-ID', in: 'header', required: false, description: 'Resume after this sequence number.', schema: { type: 'integer', minimum: 0 } },
          { name: 'last_event_id', in: 'query', required: false, description: 'The same, for a first connection (EventSource cannot set the header).', schema: { type: 'integer', minimum: 0 } },
        ],
        responses: {
          200: { description: 'The event stream.', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          204: { description: 'The run has ended and the client has seen everything.' },
          400: err('BadRequest'),
          401: err('Unauthorized'),
          404: err('NotFound'),
        },
      },
    },
    '/api/runs/{id}/cancel': {
      post: {
        tags: [TAG],
        operationId: 'cancelRun',
        summary: 'Stop a run this server is executing (what it committed stays; it ends cancelled)',
        parameters: [idParam],
        responses: {
          202: {
            description: 'Cancelling.',
            content: json({ type: 'object', required: ['run_id', 'cancelling'], properties: { run_id: { type: 'string' }, cancelling: { const: true }, note: { type: 'string' } } }),
          },
          401: err('Unauthorized'),
          404: err('NotFound'),
          409: { description: 'Not running, or run by another process.', content: json(ref('Error')) },
        },
      },
    },
  },
};
