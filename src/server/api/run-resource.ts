import { z } from 'zod';
import { named } from '../openapi.js';

/** The schemas of a run as the API shows it (runs/view.ts builds it): routes' answers and the OpenAPI document. */

const int = z.number().int().min(0);
const nullableString = z.string().nullable();
const RunStatusSchema = z.enum(['running', 'succeeded', 'failed', 'cancelled', 'partial']);

export const RunStreamSchema = named(
  'RunStream',
  z.object({
    stream: z.string(),
    partition: z.string().meta({ description: 'project:<id>, organization:<id>, or "" for global streams.' }),
    partition_label: nullableString.meta({
      description:
        '"Project name (organization name)" or "Organization name", as the run read them; null when unknown (global streams, older runs).',
    }),
    records_read: int,
    records_written: int,
    pages: int,
    requests: int,
    retries: int,
    wait_ms: int.meta({ description: 'Time spent waiting for the rate limit.' }),
    duration_ms: int,
    outcome: z
      .enum(['ok', 'skipped', 'failed'])
      .nullable()
      .meta({ description: 'null while the stream is being read.' }),
    message: nullableString,
    started_at: z.string(),
    finished_at: nullableString,
  }),
);

export const RunSchema = named(
  'Run',
  z.object({
    id: z.string().regex(/^run_[0-9a-z]+$/),
    source_id: z.string(),
    source_name: nullableString,
    status: RunStatusSchema,
    trigger: z.enum(['cli', 'schedule', 'api']),
    full_refresh: z.boolean(),
    streams_requested: z.array(z.string()).nullable(),
    started_at: z.string(),
    finished_at: nullableString,
    duration_ms: int,
    live: z.boolean().meta({ description: 'Run by this server process now: live events at links.events.' }),
    totals: z.object({
      records_read: int,
      records_written: int,
      requests: int,
      pages: int,
      retries: int,
      rate_limit_wait_ms: int,
      rate_limit_waits: z.number().int().nullable().meta({ description: 'null for a run of another process.' }),
    }),
    streams: z.array(RunStreamSchema),
    warnings: z.array(
      z.object({
        stream: z.string(),
        partition: z.string(),
        partition_label: nullableString,
        code: nullableString,
        message: z.string(),
      }),
    ),
    error: z
      .object({
        error: z.string(),
        message: z.string(),
        hint: z.string().optional(),
        exit_code: z.number().int().optional(),
      })
      .nullable(),
    links: z.object({ self: z.string(), events: z.string(), source: z.string(), page: z.string() }),
  }),
);

export const RUN_STATUSES = RunStatusSchema.options;

export const EVENTS_DESCRIPTION = [
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
