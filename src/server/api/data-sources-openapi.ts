import { STREAM_NAMES } from '../../engine/index.js';
import type { JsonSchema, OpenApiModule } from '../openapi.js';

/** The OpenAPI description of `/api/data_sources`. */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const err = (name: string) => ({ $ref: `#/components/responses/${name}` });
const nullable = (type: string) => ({ type: [type, 'null'] });
const strings = { type: 'array', items: { type: 'string' } };

const FILTERS: JsonSchema = {
  description:
    'Bugsnag filters: ["FIELD=VALUE", "FIELD!=VALUE", …] or {"FIELD": ["VALUE" | {"type": "eq|ne|empty", "value": "…"}]} (e.g. app.release_stage=production).',
  oneOf: [
    strings,
    {
      type: 'object',
      additionalProperties: {
        type: 'array',
        items: { oneOf: [{ type: 'string' }, { type: 'object', required: ['type', 'value'], properties: { type: { enum: ['eq', 'ne', 'empty'] }, value: { type: 'string' } } }] },
      },
    },
  ],
};

const SOURCE_CONFIG_IN: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'What the source reads. Absent keys keep their value on update; empty lists mean "all".',
  properties: {
    organizations: { ...strings, description: 'Organization ids (or names) to read; empty: every organization the credential reaches.' },
    projects: { ...strings, description: 'Only these project ids; empty: every project.' },
    exclude_projects: { ...strings, description: 'Project ids to leave out.' },
    streams: { type: ['array', 'null'], items: { enum: STREAM_NAMES }, description: 'Streams to sync; null: the defaults (every stream but the heavy ones).' },
    start_date: { ...nullable('string'), description: 'The oldest data to sync: ISO 8601, or relative (7d, 2w); null: all history.' },
    full_reports: { type: 'boolean', description: 'Events as full reports (threads, breadcrumbs, metaData) rather than summaries.' },
    filters: FILTERS,
    lookback: { type: 'string', description: 'Look-back window for late arrivals (default 15m).' },
    errors_full_pass_interval: { type: 'string', description: 'How often errors get a full pass besides the incremental one (default 1d).' },
    releases_full_pass_interval: { type: 'string', description: 'How often releases get a full pass to refresh their session counts (default 1d).' },
    concurrency: { type: 'integer', minimum: 1, maximum: 8, description: 'Projects read at once (default 1).' },
  },
};

function requestSchema(mode: 'create' | 'update'): JsonSchema {
  return {
    type: 'object',
    additionalProperties: mode === 'update',
    ...(mode === 'create' ? { required: ['name', 'data_credentials_id'] } : {}),
    description:
      mode === 'create'
        ? 'A new source. Relative destination paths are taken from the snagsync home.'
        : 'Fields to change; absent ones stay. Read-only fields of the resource are ignored, so a GET body can be sent back.',
    properties: {
      name: { type: 'string', maxLength: 100 },
      description: { ...nullable('string'), maxLength: 1000 },
      data_credentials_id: { type: 'string', description: 'The credential to read with (id, or name).' },
      source_type: { const: 'bugsnag' },
      source_config: SOURCE_CONFIG_IN,
      destination: { type: 'string', description: 'sqlite:PATH or jsonl:FOLDER; default sqlite:<home>/bugsnag.db.', examples: ['sqlite:bugsnag.db', 'jsonl:bugsnag-data'] },
      poll_schedule: { ...nullable('string'), description: '"every 15m", "hourly", "daily", "every 6h"…; null or "none": only on demand.' },
      status: { enum: ['ACTIVE', 'PAUSED'], description: 'Default ACTIVE. A paused source is not run by the scheduler.' },
    },
  };
}

const LAST_RUN: JsonSchema = {
  type: ['object', 'null'],
  required: ['id', 'status', 'trigger', 'started_at', 'finished_at', 'records_read', 'records_written', 'error'],
  properties: {
    id: { type: 'string' },
    status: { enum: ['running', 'succeeded', 'failed', 'cancelled', 'partial'] },
    trigger: { enum: ['cli', 'schedule', 'api'] },
    started_at: { type: 'string' },
    finished_at: nullable('string'),
    records_read: { type: 'integer' },
    records_written: { type: 'integer' },
    error: { type: ['object', 'null'], properties: { error: { type: 'string' }, message: { type: 'string' } } },
  },
};

const DATA_SOURCE: JsonSchema = {
  type: 'object',
  required: [
    'id', 'name', 'description', 'status', 'status_reason', 'source_type', 'connector_type', 'ingest_method', 'data_credentials_id',
    'data_credentials', 'source_config', 'effective_streams', 'destination', 'poll_schedule', 'next_run_at', 'last_run', 'live_run_id', 'run_ids',
    'created_at', 'updated_at',
  ],
  properties: {
    id: { type: 'string', pattern: '^src_[0-9a-z]+$' },
    name: { type: 'string' },
    description: nullable('string'),
    status: { enum: ['ACTIVE', 'PAUSED', 'DISABLED'], description: 'DISABLED: its credential was deleted; give it another to activate it.' },
    status_reason: nullable('string'),
    source_type: { const: 'bugsnag' },
    connector_type: { const: 'bugsnag' },
    ingest_method: { const: 'POLL' },
    data_credentials_id: nullable('string'),
    data_credentials: { type: ['object', 'null'], required: ['id', 'name'], properties: { id: { type: 'string' }, name: { type: 'string' } } },
    source_config: {
      type: 'object',
      required: ['organizations', 'projects', 'exclude_projects', 'streams', 'start_date', 'full_reports', 'filters'],
      properties: {
        organizations: strings,
        projects: strings,
        exclude_projects: strings,
        streams: { type: ['array', 'null'], items: { type: 'string' } },
        start_date: nullable('string'),
        full_reports: { type: 'boolean' },
        filters: { type: 'object' },
        lookback: { type: 'string', description: 'Present when the source sets it.' },
        errors_full_pass_interval: { type: 'string', description: 'Present when the source sets it.' },
        releases_full_pass_interval: { type: 'string', description: 'Present when the source sets it.' },
        concurrency: { type: 'integer', description: 'Present when the source sets it.' },
      },
    },
    effective_streams: strings,
    destination: { type: 'string' },
    poll_schedule: nullable('string'),
    next_run_at: { ...nullable('string'), description: 'When the scheduler runs it next (null: no schedule, or not active).' },
    last_run: LAST_RUN,
    live_run_id: { ...nullable('string'), description: 'The run in progress, if any.' },
    run_ids: { type: 'array', items: { type: 'object', required: ['id', 'created_at'], properties: { id: { type: 'string' }, created_at: { type: 'string' } } } },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
    warnings: { ...strings, description: 'Create/update only: things worth knowing that are not errors (an unknown filter field…).' },
  },
};

const PREVIEW: JsonSchema = {
  type: 'object',
  required: ['stream', 'partition', 'records', 'requests', 'saved'],
  properties: {
    stream: { type: 'string' },
    partition: {
      type: 'object',
      required: ['kind', 'key', 'name'],
      properties: { kind: { enum: ['global', 'organization', 'project'] }, key: { type: 'string' }, name: nullable('string') },
    },
    records: { type: 'array', items: { type: 'object' } },
    requests: { type: 'integer' },
    saved: { const: false, description: 'A preview never saves anything.' },
  },
};

const REMOVED: JsonSchema = {
  type: 'object',
  required: ['removed', 'runs_removed', 'destination_kept', 'note'],
  properties: { removed: ref('DataSource'), runs_removed: { type: 'integer' }, destination_kept: { type: 'string' }, note: { type: 'string' } },
};

const idParam = { name: 'id', in: 'path', required: true, description: 'The source id (src_…) or its name.', schema: { type: 'string' } };
const TAG = 'Sources';

const PREVIEW_OPTIONS = {
  stream: { enum: STREAM_NAMES, default: 'errors', description: 'The stream to read a few records of.' },
  limit: { type: 'integer', minimum: 1, maximum: 20, default: 5 },
};

const statusOperation = (action: 'activate' | 'pause') => ({
  put: {
    tags: [TAG],
    operationId: `${action}DataSource`,
    summary: action === 'activate' ? 'Activate a source (the scheduler runs it on its schedule)' : 'Pause a source (the scheduler leaves it alone)',
    parameters: [idParam],
    responses: {
      200: { description: 'The source with its new status.', content: json(ref('DataSource')) },
      401: err('Unauthorized'),
      404: err('NotFound'),
      409: err('Conflict'),
    },
  },
});

export const dataSourcesOpenApi: OpenApiModule = {
  tag: { name: TAG, description: 'Sources (`data_sources`): what to read from Bugsnag with a credential, where to write it, and when.' },
  schemas: {
    DataSource: DATA_SOURCE,
    DataSourceCreate: requestSchema('create'),
    DataSourceUpdate: requestSchema('update'),
    DataSourceRemoved: REMOVED,
    Preview: PREVIEW,
    RunRequest: {
      type: 'object',
      additionalProperties: false,
      properties: {
        full_refresh: { type: 'boolean', description: 'Forget the checkpoints first: read every stream\'s whole history again (upserted).' },
        streams: { type: 'array', items: { enum: STREAM_NAMES }, description: 'Only these streams this time (parents are added).' },
      },
    },
  },
  paths: {
    '/api/data_sources': {
      get: {
        tags: [TAG],
        operationId: 'listDataSources',
        summary: 'List sources',
        responses: { 200: { description: 'Every source.', content: json({ type: 'array', items: ref('DataSource') }) }, 401: err('Unauthorized') },
      },
      post: {
        tags: [TAG],
        operationId: 'createDataSource',
        summary: 'Create a source',
        requestBody: { required: true, content: json(ref('DataSourceCreate')) },
        responses: {
          201: { description: 'Saved.', content: json(ref('DataSource')) },
          400: err('BadRequest'),
          401: err('Unauthorized'),
          409: err('Conflict'),
        },
      },
    },
    '/api/data_sources/preview': {
      post: {
        tags: [TAG],
        operationId: 'previewDataSourceDraft',
        summary: 'Read a few records with a draft source (the wizard\'s Test): nothing is saved',
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['data_credentials_id'],
            additionalProperties: false,
            properties: { data_credentials_id: { type: 'string' }, source_config: SOURCE_CONFIG_IN, ...PREVIEW_OPTIONS },
          }),
        },
        responses: {
          200: { description: 'The records, and where they were read.', content: json(ref('Preview')) },
          400: err('BadRequest'),
          401: err('Unauthorized'),
          404: err('NotFound'),
          422: err('Unprocessable'),
          429: err('RateLimited'),
          502: err('Upstream'),
        },
      },
    },
    '/api/data_sources/{id}': {
      get: {
        tags: [TAG],
        operationId: 'getDataSource',
        summary: 'Get a source',
        parameters: [idParam],
        responses: { 200: { description: 'The source.', content: json(ref('DataSource')) }, 401: err('Unauthorized'), 404: err('NotFound') },
      },
      put: {
        tags: [TAG],
        operationId: 'updateDataSource',
        summary: 'Change a source',
        parameters: [idParam],
        requestBody: { required: true, content: json(ref('DataSourceUpdate')) },
        responses: {
          200: { description: 'Updated.', content: json(ref('DataSource')) },
          400: err('BadRequest'),
          401: err('Unauthorized'),
          404: err('NotFound'),
          409: err('Conflict'),
        },
      },
      delete: {
        tags: [TAG],
        operationId: 'deleteDataSource',
        summary: 'Delete a source and its run history (the destination and its data are kept)',
        parameters: [idParam],
        responses: {
          200: { description: 'Deleted.', content: json(ref('DataSourceRemoved')) },
          401: err('Unauthorized'),
          404: err('NotFound'),
          409: { description: 'A sync of the source is running: cancel it or wait.', content: json(ref('Error')) },
        },
      },
    },
    '/api/data_sources/{id}/activate': statusOperation('activate'),
    '/api/data_sources/{id}/pause': statusOperation('pause'),
    '/api/data_sources/{id}/runs': {
      post: {
        tags: [TAG],
        operationId: 'startDataSourceRun',
        summary: 'Sync the source now (in the server process); follow it at /api/runs/{run_id}/events',
        parameters: [idParam],
        requestBody: { required: false, content: json(ref('RunRequest')) },
        responses: {
          202: { description: 'Started: the run as GET /api/runs/{id} shows it, with run_id.', content: json({ allOf: [ref('Run'), { type: 'object', required: ['run_id'], properties: { run_id: { type: 'string' } } }] }) },
          400: err('BadRequest'),
          401: err('Unauthorized'),
          404: err('NotFound'),
          409: { description: 'A run of the source is already live, or the source is disabled.', content: json(ref('Error')) },
        },
      },
      get: {
        tags: [TAG],
        operationId: 'listDataSourceRuns',
        summary: "The source's runs, newest first",
        parameters: [idParam, { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } }],
        responses: {
          200: { description: 'Runs.', content: json({ type: 'array', items: ref('Run') }) },
          400: err('BadRequest'),
          401: err('Unauthorized'),
          404: err('NotFound'),
        },
      },
    },
    '/api/data_sources/{id}/preview': {
      post: {
        tags: [TAG],
        operationId: 'previewDataSource',
        summary: 'Read a few records with a saved source: nothing is saved',
        parameters: [idParam],
        requestBody: { required: false, content: json({ type: 'object', additionalProperties: false, properties: PREVIEW_OPTIONS }) },
        responses: {
          200: { description: 'The records.', content: json(ref('Preview')) },
          400: err('BadRequest'),
          401: err('Unauthorized'),
          404: err('NotFound'),
          422: err('Unprocessable'),
          429: err('RateLimited'),
          502: err('Upstream'),
        },
      },
    },
  },
};
