import { SnagError } from '../../core/errors.js';
import { DEFAULT_STREAMS, type SourceInput } from '../../engine/index.js';
import type { Run, Source } from '../../store/models.js';
import type { FieldProblem } from '../errors.js';
import { descriptionOf, type SourceRequest } from '../sources/save.js';
import { REDACTED } from '../../core/redact.js';
import { displayDestinationUrl } from '../../destinations/url.js';

/**
 * The `data_sources` resource (after Nexla's): what the API returns for a source, and how a request body becomes
 * the source service's input. Statuses are upper case as in Nexla (ACTIVE, PAUSED; DISABLED when its credential was
 * deleted); the schedule is `poll_schedule`; what to read is `source_config`.
 */

export type DataSourceStatus = 'ACTIVE' | 'PAUSED' | 'DISABLED';

export interface SourceConfigView {
  organizations: string[];
  projects: string[];
  exclude_projects: string[];
  streams: string[] | null;
  start_date: string | null;
  full_reports: boolean;
  filters: Record<string, unknown[]>;
  /** Tuning options, present only when the source sets them (else the engine's defaults apply). */
  lookback?: string;
  errors_full_pass_interval?: string;
  releases_full_pass_interval?: string;
  concurrency?: number;
}

export interface LastRunView {
  id: string;
  status: Run['status'];
  trigger: Run['trigger'];
  started_at: string;
  finished_at: string | null;
  records_read: number;
  records_written: number;
  error: { error: string; message: string } | null;
}

export interface DataSource {
  id: string;
  name: string;
  description: string | null;
  status: DataSourceStatus;
  status_reason: string | null;
  source_type: 'bugsnag';
  connector_type: 'bugsnag';
  ingest_method: 'POLL';
  data_credentials_id: string | null;
  data_credentials: { id: string; name: string } | null;
  source_config: SourceConfigView;
  /** The streams a run reads (the defaults when `source_config.streams` is null). */
  effective_streams: string[];
  destination: string;
  poll_schedule: string | null;
  next_run_at: string | null;
  last_run: LastRunView | null;
  /** The run in progress, if any (started by this server or another process). */
  live_run_id: string | null;
  /** The newest runs first (at most 20). */
  run_ids: Array<{ id: string; created_at: string }>;
  created_at: string;
  updated_at: string;
}

export const STATUS_OUT: Record<Source['status'], DataSourceStatus> = { active: 'ACTIVE', paused: 'PAUSED', disabled: 'DISABLED' };

/** The tuning options a source sets explicitly (the store keeps them as loose config keys). */
function tuning(c: Source['config']): Pick<SourceConfigView, 'lookback' | 'errors_full_pass_interval' | 'releases_full_pass_interval' | 'concurrency'> {
  const out: Pick<SourceConfigView, 'lookback' | 'errors_full_pass_interval' | 'releases_full_pass_interval' | 'concurrency'> = {};
  for (const k of ['lookback', 'errors_full_pass_interval', 'releases_full_pass_interval'] as const) {
    const v = c[k];
    if (typeof v === 'string') out[k] = v;
  }
  if (typeof c.concurrency === 'number') out.concurrency = c.concurrency;
  return out;
}

export function toDataSource(
  s: Source,
  extra: { credentialName: string | null; lastRun: Run | null; runs: readonly Run[]; liveRunId: string | null },
): DataSource {
  const c = s.config;
  return {
    id: s.id,
    name: s.name,
    description: descriptionOf(s),
    status: STATUS_OUT[s.status],
    status_reason: s.status_reason,
    source_type: 'bugsnag',
    connector_type: 'bugsnag',
    ingest_method: 'POLL',
    data_credentials_id: s.credential_id,
    data_credentials: s.credential_id && extra.credentialName !== null ? { id: s.credential_id, name: extra.credentialName } : null,
    source_config: {
      organizations: c.organizations ?? [],
      projects: c.projects ?? [],
      exclude_projects: c.exclude_projects ?? [],
      streams: c.streams?.length ? [...c.streams] : null,
      start_date: c.start_date ?? null,
      full_reports: c.full_reports === true,
      filters: (c.filters ?? {}) as Record<string, unknown[]>,
      ...tuning(c),
    },
    effective_streams: c.streams?.length ? [...c.streams] : [...DEFAULT_STREAMS],
    destination: displayDestinationUrl(s.destination),
    poll_schedule: s.schedule,
    next_run_at: s.status === 'active' ? s.next_run_at : null,
    last_run: extra.lastRun ? lastRunView(extra.lastRun) : null,
    live_run_id: extra.liveRunId,
    run_ids: extra.runs.map((r) => ({ id: r.id, created_at: r.started_at })),
    created_at: s.created_at,
    updated_at: s.updated_at,
  };
}

export function lastRunView(r: Run): LastRunView {
  return {
    id: r.id,
    status: r.status,
    trigger: r.trigger,
    started_at: r.started_at,
    finished_at: r.finished_at,
    records_read: r.totals.records_read,
    records_written: r.totals.records_written,
    error: r.error ? { error: r.error.error, message: r.error.message } : null,
  };
}

/** Fields a client may send back unchanged from a GET (ignored on PUT). */
const READ_ONLY = new Set([
  'id', 'status_reason', 'connector_type', 'ingest_method', 'data_credentials', 'effective_streams', 'next_run_at', 'last_run',
  'live_run_id', 'run_ids', 'created_at', 'updated_at',
]);
const WRITABLE = ['name', 'description', 'data_credentials_id', 'source_type', 'source_config', 'destination', 'poll_schedule', 'status'];
const CONFIG_KEYS = [
  'organizations', 'projects', 'exclude_projects', 'streams', 'start_date', 'full_reports', 'filters', 'lookback', 'errors_full_pass_interval',
  'releases_full_pass_interval', 'concurrency',
];

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** `["production", {"type": "ne", "value": "fixed"}]`: the stored form of one filter field's values. */
const isFilterValues = (v: unknown): boolean =>
  Array.isArray(v) &&
  v.every((x) => typeof x === 'string' || (isObject(x) && typeof x.value === 'string' && ['eq', 'ne', 'empty'].includes(String(x.type))));

export interface ParsedDataSourceRequest {
  request: SourceRequest;
  /** Problems with the envelope (unknown keys, wrong JSON types), by API field name. */
  problems: Record<string, FieldProblem>;
}

/**
 * Checks the envelope (an object, known keys, each value of the right JSON type) and maps it to the source
 * service's input; the values themselves are judged by the service. Problems are returned, not thrown, so that the
 * caller can report them together with the values' own problems.
 */
export function parseDataSourceRequest(body: unknown, mode: 'create' | 'update'): ParsedDataSourceRequest {
  if (!isObject(body)) {
    throw new SnagError('config', 'The request body must be a JSON object.', {
      hint: 'e.g. {"name": "production", "data_credentials_id": "cred_…", "source_config": {"streams": ["errors", "events"]}, "poll_schedule": "every 1h"}',
    });
  }
  const problems: Record<string, FieldProblem> = {};
  const wrongType = (field: string, what: string) => (problems[field] = { message: `${field} must be ${what}.` });
  for (const k of Object.keys(body)) {
    if (WRITABLE.includes(k) || (mode === 'update' && READ_ONLY.has(k))) continue;
    problems[k] = { message: `Unknown field "${k}".`, hint: `A data source takes ${WRITABLE.join(', ')}.` };
  }
  const input: SourceInput = {};
  const str = (k: string, nullable: boolean): string | null | undefined => {
    const v = body[k];
    if (v === undefined) return undefined;
    if (v === null && nullable) return null;
    if (typeof v !== 'string') {
      wrongType(k, nullable ? 'a string or null' : 'a string');
      return undefined;
    }
    return v;
  };
  const name = str('name', false);
  if (name !== undefined && name !== null) input.name = name;
  else if (mode === 'create' && problems.name === undefined) input.name = '';
  const credential = str('data_credentials_id', false);
  if (credential !== undefined && credential !== null) input.credential = credential;
  const description = str('description', true);
  const destination = str('destination', false);
  // A destination sent back as this API shows it (password hidden) is the stored one, unchanged on update.
  const shownHidden = destination?.includes(`:${REDACTED}@`) === true;
  if (shownHidden && mode === 'create') problems.destination = { message: 'The destination URL holds a hidden password ([REDACTED]).', hint: 'Send the URL with its real password, or none (PGPASSWORD or ~/.pgpass on the server).' };
  else if (destination !== undefined && destination !== null && !shownHidden) input.destination = destination;
  const schedule = str('poll_schedule', true);
  if (schedule !== undefined) input.schedule = schedule;
  if (body.source_type !== undefined && body.source_type !== 'bugsnag') problems.source_type = { message: 'source_type must be "bugsnag".' };
  const status = body.status;
  if (status !== undefined) {
    const s = typeof status === 'string' ? status.toUpperCase() : '';
    if (s === 'ACTIVE' || s === 'PAUSED') input.status = s === 'ACTIVE' ? 'active' : 'paused';
    // Sent back unchanged from a GET of a disabled source: not a change.
    else if (!(mode === 'update' && s === 'DISABLED')) problems.status = { message: 'status must be ACTIVE or PAUSED.', hint: 'Or use PUT /api/data_sources/{id}/activate and /pause.' };
  }
  const config = body.source_config;
  if (config !== undefined && !isObject(config)) wrongType('source_config', 'an object');
  else if (isObject(config)) parseConfig(config, input, problems);
  return { request: { input, ...(description !== undefined ? { description } : {}) }, problems };
}

function parseConfig(config: Record<string, unknown>, input: SourceInput, problems: Record<string, FieldProblem>): void {
  const field = (k: string) => `source_config.${k}`;
  for (const k of Object.keys(config)) {
    if (!CONFIG_KEYS.includes(k)) problems[field(k)] = { message: `Unknown field "source_config.${k}".`, hint: `source_config takes ${CONFIG_KEYS.join(', ')}.` };
  }
  for (const k of ['organizations', 'projects', 'exclude_projects'] as const) {
    const v = config[k];
    if (v === undefined) continue;
    if (v === null) input[k] = [];
    else if (isStringArray(v)) input[k] = v;
    else problems[field(k)] = { message: `source_config.${k} must be an array of ids.` };
  }
  const streams = config.streams;
  if (streams === null) input.streams = null;
  else if (isStringArray(streams)) input.streams = streams;
  else if (streams !== undefined) problems[field('streams')] = { message: 'source_config.streams must be an array of stream names (or null for the defaults).' };
  const start = config.start_date;
  if (start === null || typeof start === 'string') input.start_date = start;
  else if (start !== undefined) problems[field('start_date')] = { message: 'source_config.start_date must be a time (ISO 8601, or relative like 7d) or null.' };
  const full = config.full_reports;
  if (typeof full === 'boolean') input.full_reports = full;
  else if (full !== undefined) problems[field('full_reports')] = { message: 'source_config.full_reports must be true or false.' };
  const filters = config.filters;
  if (filters === null) input.filters = {};
  else if (isStringArray(filters)) input.filters = filters;
  else if (isObject(filters) && Object.values(filters).every(isFilterValues)) input.filters = filters as SourceInput['filters'];
  else if (filters !== undefined) problems[field('filters')] = { message: 'source_config.filters must be ["FIELD=VALUE", …] or {"FIELD": ["VALUE", …]}.' };
  for (const k of ['lookback', 'errors_full_pass_interval', 'releases_full_pass_interval'] as const) {
    const v = config[k];
    if (typeof v === 'string') input[k] = v;
    else if (v !== undefined) problems[field(k)] = { message: `source_config.${k} must be a duration such as 15m or 1d.` };
  }
  const concurrency = config.concurrency;
  if (typeof concurrency === 'number' && Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 8) input.concurrency = concurrency;
  else if (concurrency !== undefined) problems[field('concurrency')] = { message: 'source_config.concurrency must be a whole number from 1 to 8.' };
}
