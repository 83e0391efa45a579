import { z } from 'zod';
import { defaultDestinationUrl, parseDestinationUrl, formatDestinationUrl } from '../destinations/url.js';
import type { Runtime } from '../runtime.js';
import type { Credential, Source, SourceConfig, SourceStatus } from '../store/models.js';
import { DEFAULT_STREAMS } from '../streams/catalog.js';
import {
  configError,
  DEFAULT_ERRORS_FULL_PASS,
  DEFAULT_LOOKBACK,
  DEFAULT_RELEASES_FULL_PASS,
  parseFilterArgs,
  resolveOrganizations,
  unknownFilterFields,
  validateDuration,
  validateFilters,
  validateIds,
  validateStartDate,
  validateStreams,
  type StoredFilters,
} from './config.js';
import { isNoSchedule, parseSchedule } from './schedule.js';

/**
 * Creating and changing sources, for every face (CLI, HTTP API, library): input is validated field by field (a
 * SnagError `config` with `details.field`), relative destination paths are made absolute once, a schedule sets the
 * first `next_run_at`. The CLI passes strings as typed; the API may pass filters as an object.
 */
const FilterObject = z.record(
  z.string(),
  z.array(z.union([z.string(), z.object({ type: z.enum(['eq', 'ne', 'empty']), value: z.string() })])),
);

export const SourceInputSchema = z.object({
  name: z.string().optional(),
  /** Credential name or id. */
  credential: z.string().optional(),
  organizations: z.array(z.string()).optional(),
  projects: z.array(z.string()).optional(),
  exclude_projects: z.array(z.string()).optional(),
  streams: z.array(z.string()).nullable().optional(),
  start_date: z.string().nullable().optional(),
  full_reports: z.boolean().optional(),
  /** `["FIELD=VALUE", "FIELD!=VALUE"]`, or `{field: [value | {type, value}]}`. */
  filters: z.union([z.array(z.string()), FilterObject]).optional(),
  destination: z.string().optional(),
  schedule: z.string().nullable().optional(),
  lookback: z.string().optional(),
  errors_full_pass_interval: z.string().optional(),
  releases_full_pass_interval: z.string().optional(),
  concurrency: z.number().int().min(1).max(8).optional(),
  status: z.enum(['active', 'paused']).optional(),
});
export type SourceInput = z.input<typeof SourceInputSchema>;

export interface SourceResult {
  source: Source;
  /** Things worth telling the user that are not errors (a filter field Bugsnag may not know…). */
  warnings: string[];
}

export interface SourceServiceOptions {
  /** Against which relative destination paths are resolved (default: the current directory). */
  cwd?: string;
  now?: Date;
}

function parseInput(input: unknown): z.infer<typeof SourceInputSchema> {
  const r = SourceInputSchema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = String(issue?.path[0] ?? 'source');
  throw configError(field, `Invalid ${field}: ${issue?.message ?? 'malformed'}.`);
}

export async function createSource(runtime: Runtime, raw: SourceInput, options: SourceServiceOptions = {}): Promise<SourceResult> {
  const input = parseInput(raw);
  if (!input.name?.trim()) throw configError('name', 'A source needs a name.', 'Give one with --name.');
  if (!input.credential?.trim()) throw configError('credential', 'A source needs a credential.', 'Give its name or id with --credential (see `snagsync credentials list`).');
  const credential = await runtime.store.credentials.findByNameOrId(input.credential.trim());
  const warnings: string[] = [];
  const config = buildConfig({}, input, credential, warnings);
  const destination = input.destination ? normalizeDestination(input.destination, options.cwd) : defaultDestinationUrl(runtime.home);
  const schedule = scheduleOf(input.schedule);
  const source = await runtime.store.sources.create({
    name: input.name.trim(),
    credential_id: credential.id,
    status: input.status ?? 'active',
    config,
    destination,
    schedule,
    next_run_at: schedule ? (options.now ?? new Date()) : null,
  });
  return { source, warnings };
}

export async function updateSource(runtime: Runtime, ref: string, raw: SourceInput, options: SourceServiceOptions = {}): Promise<SourceResult> {
  const input = parseInput(raw);
  const current = await runtime.store.sources.findByNameOrId(ref);
  const credential = input.credential
    ? await runtime.store.credentials.findByNameOrId(input.credential.trim())
    : current.credential_id
      ? await runtime.store.credentials.findByNameOrId(current.credential_id)
      : null;
  const warnings: string[] = [];
  const config = buildConfig(current.config, input, credential, warnings);
  const patch: Parameters<Runtime['store']['sources']['update']>[1] = { config };
  if (input.name !== undefined) {
    if (!input.name.trim()) throw configError('name', 'A source needs a name.');
    patch.name = input.name.trim();
  }
  if (input.credential !== undefined && credential) {
    patch.credential_id = credential.id;
    // A source disabled because its credential was removed comes back once it has a credential again.
    if (current.status === 'disabled' && input.status === undefined) patch.status = 'active';
  }
  if (input.destination !== undefined) patch.destination = normalizeDestination(input.destination, options.cwd);
  if (input.schedule !== undefined) {
    const schedule = scheduleOf(input.schedule);
    patch.schedule = schedule;
    patch.next_run_at = schedule ? (options.now ?? new Date()) : null;
  }
  if (input.status !== undefined) {
    if (input.status === 'active' && !(patch.credential_id ?? current.credential_id)) {
      throw configError('status', `The source "${current.name}" has no credential, so it cannot be activated.`, 'Give it one with --credential.');
    }
    patch.status = input.status as SourceStatus;
    patch.status_reason = null;
  }
  const source = await runtime.store.sources.update(current.id, patch);
  return { source, warnings };
}

/** A config validated as `createSource` would, without saving anything (the wizard's "Test"). */
export async function sourceDraft(
  runtime: Runtime,
  credentialRef: string,
  raw: SourceInput,
): Promise<{ credential: Credential; config: SourceConfig; warnings: string[] }> {
  const input = parseInput(raw);
  const credential = await runtime.store.credentials.findByNameOrId(credentialRef);
  const warnings: string[] = [];
  return { credential, config: buildConfig({}, input, credential, warnings), warnings };
}

export async function removeSource(runtime: Runtime, ref: string): Promise<Source> {
  const s = await runtime.store.sources.findByNameOrId(ref);
  return runtime.store.sources.remove(s.id);
}

function buildConfig(
  base: SourceConfig,
  input: z.infer<typeof SourceInputSchema>,
  credential: Credential | null,
  warnings: string[],
): SourceConfig {
  const config: SourceConfig = { ...base };
  if (input.organizations !== undefined) config.organizations = resolveOrganizations(input.organizations, credential?.organizations ?? []);
  if (input.projects !== undefined) config.projects = validateIds(input.projects, 'projects');
  if (input.exclude_projects !== undefined) config.exclude_projects = validateIds(input.exclude_projects, 'exclude_projects');
  if (input.streams !== undefined) {
    if (input.streams === null || input.streams.length === 0) delete config.streams;
    else config.streams = validateStreams(input.streams.flatMap((s) => s.split(',')));
  }
  if (input.start_date !== undefined) {
    if (input.start_date === null || input.start_date === '') config.start_date = null;
    else config.start_date = validateStartDate(input.start_date);
  }
  if (input.full_reports !== undefined) config.full_reports = input.full_reports;
  if (input.filters !== undefined) {
    const filters = Array.isArray(input.filters) ? parseFilterArgs(input.filters) : validateFilters(input.filters as StoredFilters);
    if (Object.keys(filters).length) config.filters = filters;
    else delete config.filters;
    for (const f of unknownFilterFields(filters)) {
      warnings.push(`"${f}" is not one of Bugsnag's documented filter fields; Bugsnag silently ignores unknown fields. Check the project's event_fields if it is a custom one.`);
    }
  }
  if (input.lookback !== undefined) config.lookback = validateDuration(input.lookback, 'lookback');
  if (input.errors_full_pass_interval !== undefined) config.errors_full_pass_interval = validateDuration(input.errors_full_pass_interval, 'errors_full_pass_interval');
  if (input.releases_full_pass_interval !== undefined) {
    config.releases_full_pass_interval = validateDuration(input.releases_full_pass_interval, 'releases_full_pass_interval');
  }
  if (input.concurrency !== undefined) config.concurrency = input.concurrency;
  const streams = config.streams ?? DEFAULT_STREAMS;
  if (config.full_reports && !streams.includes('events')) warnings.push('full_reports has no effect: the events stream is not selected.');
  return config;
}

function normalizeDestination(url: string, cwd: string | undefined): string {
  return formatDestinationUrl(parseDestinationUrl(url, cwd ? { cwd } : {}));
}

function scheduleOf(value: string | null | undefined): string | null {
  if (value === undefined || value === null || isNoSchedule(value)) return null;
  return parseSchedule(value).text;
}

/** What `sources show` prints and the API returns: the source with its config's effective values spelled out. */
export function describeSource(source: Source): Record<string, unknown> {
  const c = source.config;
  return {
    ...source,
    effective: {
      streams: c.streams?.length ? c.streams : DEFAULT_STREAMS,
      organizations: c.organizations?.length ? c.organizations : 'all the credential reaches',
      projects: c.projects?.length ? c.projects : 'all',
      exclude_projects: c.exclude_projects ?? [],
      start_date: c.start_date ?? 'all history',
      full_reports: c.full_reports === true,
      lookback: (c.lookback as string | undefined) ?? DEFAULT_LOOKBACK,
      errors_full_pass_interval: c.errors_full_pass_interval ?? DEFAULT_ERRORS_FULL_PASS,
      releases_full_pass_interval: (c.releases_full_pass_interval as string | undefined) ?? DEFAULT_RELEASES_FULL_PASS,
    },
  };
}
