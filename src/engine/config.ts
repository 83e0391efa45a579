import type { FilterComparison, FilterInput, Filters } from '../bugsnag/filters.js';
import { SnagError } from '../core/errors.js';
import { resolveTime } from '../core/time.js';
import type { CredentialOrganization, SourceConfig } from '../store/models.js';
import { DEFAULT_STREAMS, findStream, STREAM_NAMES } from '../streams/catalog.js';

/**
 * The engine's validators for a source's configuration values (each throws a SnagError `config` naming its field).
 * The configuration itself is declared once, in source-config.ts, which runs these inside its zod schema.
 */

/** Filter field names Bugsnag documents (docs/bugsnag-api.md §13); projects may add custom ones, so others only warn. */
export const KNOWN_FILTER_FIELDS: readonly string[] = [
  'user.id',
  'user.email',
  'user.name',
  'error.id',
  // The bare name SmartBear's own client filters events by (an error's id): docs/bugsnag-api.md §5.
  'error',
  'error.status',
  'error.assigned_to',
  'error.has_issue',
  'app.release_stage',
  'app.context',
  'app.type',
  'version.introduced_in',
  'version.seen_in',
  'version_code.introduced_in',
  'version_code.seen_in',
  'release.introduced_in',
  'release.seen_in',
  'feature_flag.seen_in',
  'feature_flag.exclusive_to',
  'event.class',
  'event.message',
  'event.file',
  'event.method',
  'event.severity',
  'browser.name',
  'browser.version',
  'os.name',
  'os.version',
  'device.hostname',
  'device.manufacturer',
  'device.model',
  'request.url',
  'request.ip',
  'device.jailbroken',
  'app.in_foreground',
  'search',
];

const FIELD_NAME = /^[A-Za-z0-9_.\-:$@]+$/;
const TIME_FIELDS = new Set(['event.since', 'event.before']);

type StoredFilterValue = string | { type: 'eq' | 'ne' | 'empty'; value: string };
export type StoredFilters = Record<string, StoredFilterValue[]>;

/** `serverHint`: the API's and the web UI's advice, when `hint` names a CLI command. */
export function configError(field: string, message: string, hint?: string, serverHint?: string): SnagError {
  return new SnagError('config', message, {
    ...(hint ? { hint } : {}),
    ...(serverHint ? { serverHint } : {}),
    details: { field },
  });
}

/** `FIELD=VALUE` (eq) or `FIELD!=VALUE` (ne), several per field allowed (eq values are ORed, ne values ANDed). */
export function parseFilterArgs(args: readonly string[]): StoredFilters {
  const out: StoredFilters = {};
  for (const arg of args) {
    const m = /^\s*([^=!\s]+)\s*(!=|=)(.*)$/.exec(arg);
    if (!m || m[3]!.trim() === '') {
      throw configError(
        'filters',
        `"${arg}" is not a filter snagsync understands.`,
        'Write FIELD=VALUE or FIELD!=VALUE, e.g. app.release_stage=production or error.status!=fixed.',
      );
    }
    const field = m[1]!;
    const value = m[3]!.trim();
    const list = (out[field] ??= []);
    list.push(m[2] === '!=' ? { type: 'ne', value } : value);
  }
  return validateFilters(out);
}

export function validateFilters(filters: StoredFilters): StoredFilters {
  for (const [field, values] of Object.entries(filters)) {
    if (!FIELD_NAME.test(field)) {
      throw configError(
        'filters',
        `"${field}" is not a Bugsnag filter field name.`,
        'Use an event field display id such as app.release_stage, error.status or user.email (see the event_fields stream).',
      );
    }
    if (TIME_FIELDS.has(field)) {
      throw configError(
        'filters',
        `The ${field} filter is set by snagsync itself (it is how syncs stay incremental).`,
        "Set the source's start date instead: it is the oldest data to sync.",
      );
    }
    if (!Array.isArray(values) || values.length === 0)
      throw configError('filters', `The ${field} filter has no value.`);
    for (const v of values) {
      const value = typeof v === 'string' ? v : v.value;
      if (typeof value !== 'string' || value === '')
        throw configError('filters', `The ${field} filter has an empty value.`);
      if (typeof v !== 'string' && v.type === 'empty' && value !== 'true' && value !== 'false') {
        throw configError('filters', `The "empty" comparison on ${field} takes true or false.`);
      }
    }
  }
  return filters;
}

export function unknownFilterFields(filters: StoredFilters | undefined): string[] {
  return Object.keys(filters ?? {}).filter(
    (f) => !KNOWN_FILTER_FIELDS.includes(f) && !f.startsWith('metaData.') && !f.startsWith('custom.'),
  );
}

export function toBugsnagFilters(filters: StoredFilters | undefined): Filters {
  const out: Record<string, FilterInput> = {};
  for (const [field, values] of Object.entries(filters ?? {})) {
    out[field] = values.map((v): string | FilterComparison =>
      typeof v === 'string' ? v : { type: v.type, value: v.value },
    );
  }
  return out;
}

export function validateStreams(names: readonly string[], field = 'streams'): string[] {
  const out: string[] = [];
  for (const raw of names) {
    const name = raw.trim();
    if (name === '') continue;
    if (!findStream(name)) {
      throw configError(
        field,
        `"${name}" is not a stream.`,
        `Streams: ${STREAM_NAMES.join(', ')} (see \`snagsync streams\`).`,
        `Streams: ${STREAM_NAMES.join(', ')} (the source schema in /api/openapi.json lists them).`,
      );
    }
    if (!out.includes(name)) out.push(name);
  }
  if (out.length === 0)
    throw configError(field, 'No stream was given.', `Name at least one of: ${STREAM_NAMES.join(', ')}.`);
  for (const name of out) {
    const parent = findStream(name)!.parent;
    if (parent && !out.includes(parent)) {
      throw configError(
        field,
        `The ${name} stream is read through the ${parent} stream, which is not selected.`,
        `Add ${parent}: --streams ${[...out, parent].join(',')}.`,
      );
    }
  }
  return out;
}

export function validateStartDate(value: string): string {
  try {
    resolveTime(value);
  } catch (err) {
    if (err instanceof SnagError) throw configError('start_date', err.message, err.hint);
    throw err;
  }
  return value.trim();
}

/**
 * `--org` values: ids (or names and slugs, as a convenience) of organizations the credential reaches, as recorded
 * when it was verified. A credential never verified has no list; its ids are checked at sync time instead.
 */
export function resolveOrganizations(values: readonly string[], known: readonly CredentialOrganization[]): string[] {
  const out: string[] = [];
  for (const raw of values) {
    const v = raw.trim();
    if (!v) continue;
    if (known.length === 0) {
      out.push(v);
      continue;
    }
    const hit =
      known.find((o) => o.id === v) ?? known.find((o) => o.name.toLowerCase() === v.toLowerCase() || o.slug === v);
    if (!hit) {
      throw configError(
        'organizations',
        `The credential does not reach an organization "${v}".`,
        `Its organizations: ${known.map((o) => `${o.id} (${o.name})`).join(', ')}.`,
      );
    }
    if (!out.includes(hit.id)) out.push(hit.id);
  }
  return out;
}

export function validateIds(values: readonly string[], field: string): string[] {
  const out: string[] = [];
  for (const raw of values) {
    const v = raw.trim();
    if (!v) continue;
    if (/[/?#\s\\]/.test(v))
      throw configError(
        field,
        `"${v}" is not a Bugsnag id.`,
        'Give ids as Bugsnag shows them, e.g. 5a2fc37fd1befa003981d5b9.',
      );
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

/** The streams a run reads: the ones asked for (else the source's, else the defaults), with their parents. */
export function selectStreams(config: SourceConfig, requested?: readonly string[]): string[] {
  const base = requested?.length
    ? validateStreams(requested, 'stream')
    : config.streams?.length
      ? [...config.streams]
      : [...DEFAULT_STREAMS];
  for (const name of [...base]) {
    const parent = findStream(name)?.parent;
    if (parent && !base.includes(parent)) base.push(parent);
  }
  for (const name of base)
    if (!findStream(name))
      throw configError(
        'streams',
        `The source names a stream snagsync does not know: "${name}".`,
        'Update the source with --streams.',
      );
  return base;
}
