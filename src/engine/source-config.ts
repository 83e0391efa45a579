import { z } from 'zod';
import { isSnagError, SnagError } from '../core/errors.js';
import { parseDuration, resolveTime } from '../core/time.js';
import { parseDestinationUrl } from '../destinations/url.js';
import type { SourceConfig } from '../store/models.js';
import { STREAM_NAMES, STREAMS } from '../streams/catalog.js';
import { booleanOption, cliOptions, durationOption, integerOption, type IssueParams } from '../streams/options.js';
import type { SyncOptions } from '../streams/types.js';
import {
  parseFilterArgs,
  toBugsnagFilters,
  validateFilters,
  validateIds,
  validateStartDate,
  validateStreams,
  type StoredFilters,
} from './config.js';
import { isNoSchedule, parseSchedule } from './schedule.js';
import {
  INTERVAL_DEFAULTS,
  parseStreamIntervals,
  resolveStreamIntervals,
  type StoredStreamIntervals,
} from './stream-intervals.js';

/**
 * A source's configuration, declared once. Every face derives its part from these zod schemas:
 *  - the engine's input check (`createSource`/`updateSource`, so the CLI and the library) and the HTTP API's body
 *    validation: every problem at once, each on its field, with the engine's own messages and hints;
 *  - the OpenAPI schema of `source_config` (the API's route schemas, through z.toJSONSchema);
 *  - the CLI flags and their help (`sources create|update`, from `cliOptions` and the descriptions);
 *  - the wizard's option fields (the options with a `title`) and its Test, which validates like Save;
 *  - what a run resolves (`resolveSyncOptions`, defaults from the declarations).
 *
 * The options a stream owns are declared in that stream (`options` in its defineStream, built with
 * streams/options.ts) and composed here from the catalog. To add one: declare it there, then resolve it into
 * `SyncOptions` below and read it in the stream. Nothing else lists options.
 */

/** Runs an engine validator inside zod: its SnagError becomes an issue on the field, its hint in `params`. */
export function judged<T extends z.ZodType>(schema: T, check: (value: z.output<T>) => unknown): T {
  return schema.superRefine((value, ctx) => {
    try {
      check(value);
    } catch (err) {
      if (!isSnagError(err, 'config')) throw err;
      ctx.addIssue({
        code: 'custom',
        message: err.message,
        params: (err.hint ? { hint: err.hint } : {}) satisfies IssueParams,
      });
    }
  }) as T;
}

function cli<T extends z.ZodType>(schema: T, meta: { flag?: string; placeholder?: string }): T {
  cliOptions.add(schema, meta);
  return schema;
}

/**
 * Longest accepted string of each kind, far above any real value. A longer one is refused on its field before any
 * check reads it (`abort`), so no validator, message or log line ever handles a megabyte someone posted.
 */
const MAX = {
  /** An id, or an organization's name or slug. */
  id: 256,
  /** A stream name, or several joined by commas. */
  streams: 1_000,
  /** `2026-01-01T00:00:00.000+00:00` or `7d`. */
  time: 100,
  /** A filter field name. */
  filterField: 256,
  /** `FIELD=VALUE`, or one value (an error message may be a filter value). */
  filter: 4_096,
  /** A credential name (100 characters, up to 200 UTF-16 units) or id. */
  credential: 200,
  /** sqlite:PATH, jsonl:FOLDER or a PostgreSQL URL (PATH_MAX is 4,096). */
  destination: 4_096,
  schedule: 200,
  /** `release_groups=6h`. */
  streamInterval: 300,
} as const;

/** A string of at most `max` UTF-16 units; the message gives the length, never the value. */
function bounded(max: number): z.ZodString {
  return z.string().max(max, {
    abort: true,
    error: (iss) =>
      `too long (${String(iss.input).length.toLocaleString('en-US')} characters; at most ${max.toLocaleString('en-US')})`,
  });
}

const FilterValue = z.union([z.string(), z.object({ type: z.enum(['eq', 'ne', 'empty']), value: z.string() })]);
const FilterObject = z.record(z.string(), z.array(FilterValue));

/**
 * The filters' strings, bounded after the shape is known (a bound inside the union would only say "not in a form
 * snagsync takes"): a too-long field name or value is refused on `filters` before the filters are parsed.
 */
function filtersBounded(v: string[] | z.output<typeof FilterObject>, ctx: z.RefinementCtx): void {
  const tooLong = (text: string, max: number) => {
    if (text.length <= max) return false;
    ctx.addIssue({
      code: 'custom',
      continue: false,
      message: `filters: too long (${text.length.toLocaleString('en-US')} characters; at most ${max.toLocaleString('en-US')}).`,
    });
    return true;
  };
  if (Array.isArray(v)) {
    for (const arg of v) if (tooLong(arg, MAX.filter)) return;
    return;
  }
  for (const [field, values] of Object.entries(v)) {
    if (tooLong(field, MAX.filterField)) return;
    for (const one of values) if (tooLong(typeof one === 'string' ? one : one.value, MAX.filter)) return;
  }
}

const ids = (field: string) => judged(z.array(bounded(MAX.id)), (v) => validateIds(v, field));

/** The engine's own options (not owned by one stream). */
const ENGINE_SHAPE = {
  organizations: cli(
    z
      .array(bounded(MAX.id))
      .nullable()
      .optional()
      .meta({ description: 'Organizations to read, by id (or name); none: every organization the credential reaches' }),
    { flag: 'org', placeholder: '<id>' },
  ),
  projects: cli(
    ids('projects').nullable().optional().meta({ description: 'Only these projects, by id; none: every project' }),
    { flag: 'project', placeholder: '<id>' },
  ),
  exclude_projects: cli(
    ids('exclude_projects').nullable().optional().meta({ description: 'Projects to leave out, by id' }),
    { flag: 'exclude-project', placeholder: '<id>' },
  ),
  streams: cli(
    judged(z.array(bounded(MAX.streams).meta({ enum: [...STREAM_NAMES] })), (v) =>
      validateStreams(v.flatMap((s) => s.split(','))),
    )
      .nullable()
      .optional()
      .meta({ description: 'Streams to sync; none: the defaults, every stream but the heavy ones' }),
    { placeholder: '<a,b,…>' },
  ),
  start_date: cli(
    judged(bounded(MAX.time), (v) => (v.trim() === '' ? v : validateStartDate(v)))
      .nullable()
      .optional()
      .meta({
        title: 'Start date',
        description:
          'The oldest data to sync: an ISO 8601 time (2026-01-01) or a relative one (7d, 2w); none: all history',
      }),
    { placeholder: '<time>' },
  ),
  filters: cli(
    judged(z.union([z.array(z.string()), FilterObject]).superRefine(filtersBounded), (v) =>
      Array.isArray(v) ? parseFilterArgs(v) : validateFilters(v as StoredFilters),
    )
      .nullable()
      .optional()
      .meta({
        description:
          'Bugsnag filters, each FIELD=VALUE or FIELD!=VALUE (e.g. app.release_stage=production); none: everything',
      }),
    { flag: 'filter', placeholder: '<FIELD=VALUE>' },
  ),
  lookback: durationOption({
    description: 'How far each incremental pass reaches back for late arrivals',
    default: '15m',
  }),
  purge_deleted: booleanOption({
    description:
      'Remove the rows a completed full pass no longer finds in Bugsnag, instead of marking them with _deleted_at',
    default: false,
  }),
  models: booleanOption({
    description:
      'Create or replace the analytics views (error_lifecycle, mttr, errors_daily, release_health, top_errors_7d) in the destination after every successful sync; SQLite and PostgreSQL only',
    default: false,
  }),
  poll_share: cli(
    z
      .number({ error: 'Give a share of the budget from 0.1 to 1.' })
      .min(0.1, { error: 'Give a share of the budget from 0.1 to 1.' })
      .max(1, { error: 'Give a share of the budget from 0.1 to 1.' })
      .nullable()
      .optional()
      .meta({
        description:
          "With the continuous schedule: the share of the token's rate limit the poller spends (0.1 to 1), leaving the rest to syncs and other sources",
        default: 0.5,
      }),
    { placeholder: '<share>' },
  ),
  concurrency: integerOption(1, 8, {
    description: "Projects read at once (at most the token's in-flight cap)",
    default: 1,
  }),
  stream_intervals: cli(
    judged(
      z.union([
        z.array(bounded(MAX.streamInterval)).max(100),
        z.record(bounded(MAX.id), bounded(MAX.time)).refine((r) => Object.keys(r).length <= 100, 'too many entries'),
      ]),
      (v) => parseStreamIntervals(v),
    )
      .nullable()
      .optional()
      .meta({
        description: `How often a slowly changing stream is read, per stream, each STREAM=DURATION (0: by every sync); default ${Object.entries(
          INTERVAL_DEFAULTS,
        )
          .map(([s, d]) => `${s} ${d}`)
          .join(', ')}`,
      }),
    { flag: 'stream-interval', placeholder: '<STREAM=DURATION>' },
  ),
} as const;

/** Every stream's own options, in catalog order. A key declared twice is a bug, caught at load. */
function streamOptionShape(): Record<string, z.ZodType> {
  const out: Record<string, z.ZodType> = {};
  for (const s of STREAMS) {
    for (const [key, schema] of Object.entries(s.options?.shape ?? {})) {
      if (key in out || key in ENGINE_SHAPE)
        throw new Error(`source option ${key} is declared twice (stream ${s.name})`);
      out[key] = schema as z.ZodType;
    }
  }
  return out;
}

/** Every key of `source_config`, each with its type, check, description and CLI flag. */
export const SOURCE_CONFIG_SHAPE: Readonly<Record<string, z.ZodType>> = { ...ENGINE_SHAPE, ...streamOptionShape() };
export const SOURCE_CONFIG_KEYS: readonly string[] = Object.keys(SOURCE_CONFIG_SHAPE);
/** The keys that are only stored when set (the rest of the config view always shows the others). */
export const TUNING_KEYS: readonly string[] = SOURCE_CONFIG_KEYS.filter(
  (k) =>
    !['organizations', 'projects', 'exclude_projects', 'streams', 'start_date', 'filters', 'full_reports'].includes(k),
);

/** `source_config` as the HTTP API takes it: unknown keys are refused, each on its own field. */
export const SourceConfigSchema = z.strictObject(SOURCE_CONFIG_SHAPE, {
  error: (iss) =>
    iss.code === 'unrecognized_keys' ? `source_config takes ${SOURCE_CONFIG_KEYS.join(', ')}.` : undefined,
});

/** Where a source writes (where it may not is checked against the home when the source is saved: engine/sources.ts). */
export const SourceDestinationSchema = judged(bounded(MAX.destination), (url) => parseDestinationUrl(url)).meta({
  description:
    'sqlite:PATH, jsonl:FOLDER or postgres://USER@HOST:PORT/DATABASE?schema=NAME; default: sqlite:<home>/bugsnag.db',
  examples: ['sqlite:bugsnag.db', 'jsonl:bugsnag-data', 'postgres://loader@db.internal:5432/warehouse?schema=bugsnag'],
});

/** When it runs; null, "" or "none": only when run by hand. */
export const SourceScheduleSchema = judged(bounded(MAX.schedule), (v) => (isNoSchedule(v) ? v : parseSchedule(v)))
  .nullable()
  .meta({
    description:
      '"every 15m", "hourly", "daily", "every 6h"…, a five-field cron expression ("*/5 * * * *", UTC unless led by CRON_TZ=Area/City), or "continuous" (events polled between syncs within poll_share of the token); null or "none": only when run by hand',
  });

const SOURCE_FIELDS = {
  name: z.string().optional(),
  /** Credential name or id. */
  credential: bounded(MAX.credential).optional(),
  destination: SourceDestinationSchema.optional(),
  schedule: SourceScheduleSchema.optional(),
  status: z.enum(['active', 'paused']).optional(),
};
const TypedInput = z.object({ ...SOURCE_FIELDS, ...ENGINE_SHAPE });

/** The engine's input (CLI, library): the source's own fields and its flat config. */
export const SourceInputSchema = z.object({ ...SOURCE_FIELDS, ...SOURCE_CONFIG_SHAPE });
/** The stream-owned options are typed where they are used (`resolveSyncOptions`); here they are open keys. */
export type SourceInput = z.input<typeof TypedInput> & { [option: string]: unknown };
type ParsedSourceInput = z.output<typeof TypedInput> & { [option: string]: unknown };
/** Every problem of an engine input, by field (none: an empty object). */
export function sourceInputProblems(raw: unknown): Record<string, Problem> {
  const r = SourceInputSchema.safeParse(raw);
  return r.success ? {} : problemsOf(r.error.issues);
}
export function parseSourceInput(
  raw: unknown,
): { data: ParsedSourceInput; error: null } | { data: null; error: SnagError } {
  const r = SourceInputSchema.safeParse(raw);
  return r.success
    ? { data: r.data as ParsedSourceInput, error: null }
    : { data: null, error: problemsError(problemsOf(r.error.issues))! };
}

// ---------------------------------------------------------------------------------------------------------------
// Problems: zod issues → one message (and hint) per field, as every face reports them.

export interface Problem {
  message: string;
  hint?: string;
}

const KIND: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  array: 'an array',
  object: 'an object',
  record: 'an object',
  null: 'null',
};

/**
 * Every problem, keyed by field: a path inside `containers` (nested objects such as `source_config`) keeps two
 * levels (`source_config.streams`), any other keeps one; the first problem of a field wins.
 */
export function problemsOf(
  issues: readonly z.core.$ZodIssue[],
  containers: readonly string[] = [],
): Record<string, Problem> {
  const out: Record<string, Problem> = {};
  const put = (field: string, p: Problem) => {
    out[field] ??= p;
  };
  for (const iss of issues) {
    const path = iss.path.map(String);
    const depth = path.length > 1 && containers.includes(path[0]!) ? 2 : 1;
    const field = path.slice(0, depth).join('.') || 'body';
    if (iss.code === 'unrecognized_keys') {
      for (const key of iss.keys) {
        const name = [...path.slice(0, depth), key].join('.');
        put(name, { message: `Unknown field "${name}".`, hint: iss.message });
      }
      continue;
    }
    const hint = (iss as { params?: IssueParams }).params?.hint;
    if (iss.code === 'custom') put(field, hint ? { message: iss.message, hint } : { message: iss.message });
    else if (iss.code === 'invalid_type' && / received undefined$/.test(iss.message) && path.length <= depth)
      put(field, { message: `${field} is required.` });
    else if (iss.code === 'invalid_type' && !iss.message.startsWith('Give '))
      put(field, { message: `${field} must be ${expected(iss, path.length > depth)}.` });
    else if (iss.code === 'invalid_value')
      put(field, { message: `${field} must be ${iss.values.map((v) => JSON.stringify(v)).join(' or ')}.` });
    else if (iss.code === 'invalid_union')
      put(field, { message: `${field} is not in a form snagsync takes.`, hint: `See the description of ${field}.` });
    else
      put(field, {
        message: iss.message.startsWith('Give ') ? `${field}: ${iss.message}` : `${field}: ${iss.message}.`,
      });
  }
  return out;
}

function expected(iss: z.core.$ZodIssueInvalidType, inside: boolean): string {
  const kind = KIND[iss.expected] ?? iss.expected;
  return inside ? `a list of ${kind.replace(/^an? /, '')}s` : kind;
}

/** A config error carrying every problem (`details.fields`), the first one as the message. */
export function problemsError(problems: Readonly<Record<string, Problem>>): SnagError | null {
  const first = Object.keys(problems)[0];
  if (first === undefined) return null;
  const p = problems[first]!;
  return new SnagError('config', p.message, {
    ...(p.hint ? { hint: p.hint } : {}),
    details: { field: first, fields: { ...problems } },
  });
}

// ---------------------------------------------------------------------------------------------------------------
// What a run works with.

/** The documented default of an option (its declaration's `default`). */
export function optionDefault(key: string): unknown {
  const schema = SOURCE_CONFIG_SHAPE[key];
  return schema ? (schema.meta() as { default?: unknown } | undefined)?.default : undefined;
}

/** A config value, or its declared default when the source does not set it (or stores something malformed). */
export function optionValue<T>(config: SourceConfig, key: string): T {
  const v = config[key];
  const schema = SOURCE_CONFIG_SHAPE[key];
  if (v !== undefined && v !== null && schema?.safeParse(v).success) return v as T;
  return optionDefault(key) as T;
}

/** Times made absolute, durations in milliseconds, defaults applied. */
export function resolveSyncOptions(config: SourceConfig, now: Date): SyncOptions & { concurrency: number } {
  const ms = (key: string) =>
    parseDuration(optionValue<string>(config, key)) ?? parseDuration(optionDefault(key) as string)!;
  const start = typeof config.start_date === 'string' && config.start_date ? resolveTime(config.start_date, now) : null;
  return {
    startDate: start,
    filters: toBugsnagFilters(config.filters as StoredFilters | undefined),
    fullReports: optionValue<boolean>(config, 'full_reports') === true,
    lookbackMs: ms('lookback'),
    errorsFullPassMs: ms('errors_full_pass_interval'),
    errorsStatusPassMs: ms('errors_status_pass_interval'),
    purgeDeleted: optionValue<boolean>(config, 'purge_deleted') === true,
    releasesFullPassMs: ms('releases_full_pass_interval'),
    trendsResolution: optionValue<SyncOptions['trendsResolution']>(config, 'trends_resolution'),
    trendsDays: optionValue<number>(config, 'trends_days'),
    eventsBackfill: optionValue<'auto' | 'bulk' | 'list'>(config, 'events_backfill'),
    eventsBackfillThreshold: optionValue<number>(config, 'events_backfill_threshold'),
    concurrency: optionValue<number>(config, 'concurrency'),
    streamIntervalsMs: resolveStreamIntervals(config.stream_intervals as StoredStreamIntervals | null | undefined),
  };
}

/** The tuning options with their effective values (set, or the default), as `sources show` and the API print them. */
export function effectiveOptions(config: SourceConfig): Record<string, unknown> {
  return Object.fromEntries(TUNING_KEYS.map((k) => [k, optionValue(config, k)]));
}
