import { checkDestinationPath } from '../destinations/paths.js';
import { defaultDestinationUrl, parseDestinationUrl, formatDestinationUrl } from '../destinations/url.js';
import { REDACTED } from '../core/redact.js';
import type { Runtime } from '../runtime.js';
import type { Credential, Source, SourceConfig, SourceStatus } from '../store/models.js';
import { DEFAULT_STREAMS, STREAMS } from '../streams/catalog.js';
import {
  configError,
  parseFilterArgs,
  resolveOrganizations,
  unknownFilterFields,
  validateFilters,
  validateIds,
  validateStartDate,
  validateStreams,
  type StoredFilters,
} from './config.js';
import { firstRunAt, isNoSchedule, parseSchedule } from './schedule.js';
import {
  effectiveOptions,
  parseSourceInput,
  SOURCE_CONFIG_KEYS,
  SourceInputSchema,
  type SourceInput,
} from './source-config.js';

/**
 * Creating and changing sources, for every face (CLI, HTTP API, library): input is checked against the source
 * configuration's one declaration (source-config.ts), every problem at once, each a SnagError `config` field with
 * `details.field`; relative destination paths are made absolute once, a schedule sets the first `next_run_at`. The
 * CLI passes strings as typed; the API may pass filters as an object.
 */
export { SourceInputSchema, type SourceInput };

/** The config keys a source's own fields are not: the stream-owned and tuning options, copied as given. */
const CORE_CONFIG_KEYS = ['organizations', 'projects', 'exclude_projects', 'streams', 'start_date', 'filters'];
const OPTION_KEYS = SOURCE_CONFIG_KEYS.filter((k) => !CORE_CONFIG_KEYS.includes(k));
/** Which stream owns an option (an option of a stream not read has no effect). */
const OWNER = new Map(STREAMS.flatMap((st) => Object.keys(st.options?.shape ?? {}).map((k) => [k, st.name] as const)));

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

type ParsedInput = NonNullable<ReturnType<typeof parseSourceInput>['data']>;

function parseInput(input: unknown): ParsedInput {
  const r = parseSourceInput(input);
  if (r.error) throw r.error;
  return r.data;
}

export async function createSource(
  runtime: Runtime,
  raw: SourceInput,
  options: SourceServiceOptions = {},
): Promise<SourceResult> {
  const input = parseInput(raw);
  if (!input.name?.trim())
    throw configError('name', 'A source needs a name.', 'Give one with --name.', 'Give it a name.');
  if (!input.credential?.trim())
    throw configError(
      'credential',
      'A source needs a credential.',
      'Give its name or id with --credential (see `snagsync credentials list`).',
      'Pick one (data_credentials_id; GET /api/data_credentials lists them).',
    );
  const credential = await runtime.store.credentials.findByNameOrId(input.credential.trim());
  const warnings: string[] = [];
  const config = buildConfig({}, input, credential, warnings);
  const destination = input.destination
    ? normalizeDestination(input.destination, options.cwd, runtime.home)
    : defaultDestinationUrl(runtime.home);
  const schedule = scheduleOf(input.schedule);
  const source = await runtime.store.sources.create({
    name: input.name.trim(),
    credential_id: credential.id,
    status: input.status ?? 'active',
    config,
    destination,
    schedule,
    next_run_at: schedule ? firstRunAt(schedule, options.now ?? new Date()) : null,
  });
  return { source, warnings };
}

export async function updateSource(
  runtime: Runtime,
  ref: string,
  raw: SourceInput,
  options: SourceServiceOptions = {},
): Promise<SourceResult> {
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
  if (input.destination !== undefined)
    patch.destination = normalizeDestination(input.destination, options.cwd, runtime.home);
  if (input.schedule !== undefined) {
    const schedule = scheduleOf(input.schedule);
    patch.schedule = schedule;
    patch.next_run_at = schedule ? firstRunAt(schedule, options.now ?? new Date()) : null;
  }
  if (input.status !== undefined) {
    if (input.status === 'active' && !(patch.credential_id ?? current.credential_id)) {
      throw configError(
        'status',
        `The source "${current.name}" has no credential, so it cannot be activated.`,
        'Give it one with --credential.',
        'Give it a credential first (data_credentials_id, or the credential picker on its page).',
      );
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
  input: ParsedInput,
  credential: Credential | null,
  warnings: string[],
): SourceConfig {
  const config: SourceConfig = { ...base };
  if (input.organizations !== undefined)
    config.organizations = resolveOrganizations(input.organizations ?? [], credential?.organizations ?? []);
  if (input.projects !== undefined) config.projects = validateIds(input.projects ?? [], 'projects');
  if (input.exclude_projects !== undefined)
    config.exclude_projects = validateIds(input.exclude_projects ?? [], 'exclude_projects');
  if (input.streams !== undefined) {
    if (input.streams === null || input.streams.length === 0) delete config.streams;
    else config.streams = validateStreams(input.streams.flatMap((s) => s.split(',')));
  }
  if (input.start_date !== undefined) {
    if (input.start_date === null || input.start_date === '') config.start_date = null;
    else config.start_date = validateStartDate(input.start_date);
  }
  if (input.filters !== undefined) {
    const raw = input.filters ?? [];
    const filters = Array.isArray(raw) ? parseFilterArgs(raw) : validateFilters(raw as StoredFilters);
    if (Object.keys(filters).length) config.filters = filters;
    else delete config.filters;
    for (const f of unknownFilterFields(filters)) {
      warnings.push(
        `"${f}" is not one of Bugsnag's documented filter fields; Bugsnag silently ignores unknown fields. Check the project's event_fields if it is a custom one.`,
      );
    }
  }
  // Options were judged by the schema already: set (trimmed), or cleared with null.
  for (const key of OPTION_KEYS) {
    const v = input[key];
    if (v === undefined) continue;
    if (v === null) delete config[key];
    else config[key] = typeof v === 'string' ? v.trim() : v;
  }
  const streams = config.streams ?? DEFAULT_STREAMS;
  for (const key of OPTION_KEYS) {
    const owner = OWNER.get(key);
    const v = input[key];
    if (owner && v !== undefined && v !== null && v !== false && !streams.includes(owner))
      warnings.push(`${key} has no effect: the ${owner} stream is not selected.`);
  }
  return config;
}

/**
 * The stored form of a destination (absolute paths), refused at once where a sync would refuse it (the store, the
 * home, system folders… see destinations/paths.ts), and never a URL whose password was hidden for display.
 */
function normalizeDestination(url: string, cwd: string | undefined, home: string): string {
  if (url.includes(`:${REDACTED}@`)) {
    throw configError(
      'destination',
      `The destination URL holds a hidden password (${REDACTED}).`,
      'Give the URL with its real password, or none (PGPASSWORD or ~/.pgpass where snagsync runs).',
    );
  }
  const target = parseDestinationUrl(url, cwd ? { cwd } : {});
  checkDestinationPath(target, { home });
  return formatDestinationUrl(target);
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
      ...effectiveOptions(c),
    },
  };
}
