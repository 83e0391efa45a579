import type { EndUser, ErrorSeed, EventProto } from '../data/errors.js';
import { accountPlan } from '../data/errors.js';
import type { ErrorState } from '../data/project.js';

/**
 * The event fields of a project: ONE table that `/event_fields` lists and the filter engine (filters.ts) reads, so a
 * client that checks a name against `/event_fields` before filtering by it gets the filter it checked
 * (docs/bugsnag-api.md §12, §13). Each field has a canonical `display_id` and aliases; every name (canonical or
 * alias) is listed as a row of its own (a client such as SmartBear's MCP server checks `display_id` only, and filters
 * events by the bare `error`), and filters by any of them are the same filter.
 *
 * A name that is not in this table is ignored, as the real API ignores it ([CORSAIR] live, 2026: 200, unfiltered);
 * the simulator names it in `stats().ignoredFilters` so a test can tell (see UNKNOWN_FILTER_FIELD).
 */

/** The facts about an error group that error-level fields read. */
export interface ErrorFacts {
  seed: ErrorSeed;
  state: ErrorState;
  projectType: string;
  /** The first version the error was seen in. */
  introducedIn: string;
}

export interface FilterEnv {
  /** User index of the token making the request (for `error.assigned_to=me`). */
  tokenUser: number;
  collaboratorId(user: number): string;
  collaboratorEmail(user: number): string;
  endUser(n: number): EndUser;
  nowMs: number;
}

/** How a value is compared: exact, case-insensitive, substring (case-insensitive), `*`/`?` wildcards, or a boolean. */
export type MatchMode = 'exact' | 'iexact' | 'substring' | 'wildcard' | 'bool';

/**
 * What a field tests: a time bound (`event.since`/`event.before`: eq only), the assignee (several identities at
 * once), a value of the error group (cheap: counted per error), or a value of one occurrence.
 */
export type FieldTest =
  | { kind: 'time' }
  | { kind: 'assigned' }
  | { kind: 'error'; mode: MatchMode; get: (f: ErrorFacts, env: FilterEnv) => string | null }
  | { kind: 'event'; mode: MatchMode; get: (p: EventProto, env: FilterEnv) => string | null };

export interface EventFieldDef {
  id: string;
  name: string;
  description: string;
  /** Other names accepted for the same filter (each also listed by `/event_fields`). */
  aliases?: string[];
  /** Summarised by `/pivots` (a value function in data/pivots.ts is required). */
  pivot?: boolean;
  values?: Array<{ id: string; name: string }>;
  /** A project-defined field read from the event's metaData. */
  customPath?: string;
  test: FieldTest;
}

/** What the filter engine does with a field name this table does not hold: what the real API does. */
export const UNKNOWN_FILTER_FIELD = 'ignore' as const;

const options = (names: string[]) => names.map((s) => ({ id: s, name: s }));
const user = (p: EventProto, env: FilterEnv) => (p.user < 0 ? null : env.endUser(p.user));
const onError = (mode: MatchMode, get: (f: ErrorFacts, env: FilterEnv) => string | null): FieldTest => ({
  kind: 'error',
  mode,
  get,
});
const onEvent = (mode: MatchMode, get: (p: EventProto, env: FilterEnv) => string | null): FieldTest => ({
  kind: 'event',
  mode,
  get,
});

export const EVENT_FIELDS: readonly EventFieldDef[] = [
  {
    id: 'event.since',
    name: 'Since',
    description: 'Events received after this time (ISO 8601 or relative: 7d, 24h)',
    test: { kind: 'time' },
  },
  { id: 'event.before', name: 'Before', description: 'Events received before this time', test: { kind: 'time' } },
  {
    id: 'error.status',
    name: 'Error status',
    description: 'Workflow status of the error',
    values: options(['open', 'in progress', 'for_review', 'fixed', 'snoozed', 'ignored']),
    test: onError('exact', (f) => f.state.status),
  },
  {
    id: 'error.id',
    name: 'Error',
    description: 'Events of one error',
    aliases: ['error'],
    test: onError('exact', (f) => f.seed.id),
  },
  {
    id: 'error.assigned_to',
    name: 'Assigned to',
    description: 'me, anyone, a collaborator id or email',
    test: { kind: 'assigned' },
  },
  {
    id: 'error.has_issue',
    name: 'Has issue',
    description: 'Whether an issue was created or linked for the error (true or false)',
    test: onError('bool', (f) => String(f.state.linkedIssues.length > 0 || f.state.createdIssue !== null)),
  },
  {
    id: 'event.severity',
    name: 'Severity',
    description: 'Severity of the event',
    pivot: true,
    values: options(['error', 'warning', 'info']),
    test: onError('exact', (f) => f.seed.severity),
  },
  {
    id: 'event.class',
    name: 'Error class',
    description: 'Class of the exception',
    aliases: ['class'],
    test: onError('exact', (f) => f.seed.errorClass),
  },
  {
    id: 'event.message',
    name: 'Error message',
    description: 'Message of the exception (substring)',
    test: onError('substring', (f) => f.seed.message),
  },
  {
    id: 'event.file',
    name: 'File',
    description: 'File of the top stack frame (substring)',
    test: onError('substring', (f) => f.seed.file),
  },
  {
    id: 'event.method',
    name: 'Method',
    description: 'Method of the top stack frame (substring)',
    test: onError('substring', (f) => f.seed.method),
  },
  {
    id: 'app.release_stage',
    name: 'Release stage',
    description: 'Release stage the event came from',
    pivot: true,
    aliases: ['stage'],
    test: onEvent('exact', (p) => p.stage),
  },
  {
    id: 'app.context',
    name: 'Context',
    description: 'Context of the event (substring)',
    pivot: true,
    test: onError('substring', (f) => f.seed.context),
  },
  { id: 'app.type', name: 'App type', description: 'Type of the app', test: onError('exact', (f) => f.projectType) },
  {
    id: 'app.in_foreground',
    name: 'In foreground',
    description: 'Whether the app was in the foreground (true or false)',
    test: onEvent('bool', (p) => String(p.inForeground)),
  },
  {
    id: 'version.introduced_in',
    name: 'Introduced in version',
    description: 'App version the error was first seen in (wildcards * and ?)',
    test: onError('wildcard', (f) => f.introducedIn),
  },
  {
    id: 'version.seen_in',
    name: 'App version',
    description: 'App version (wildcards * and ?)',
    pivot: true,
    test: onEvent('wildcard', (p) => p.appVersion),
  },
  {
    id: 'release.introduced_in',
    name: 'Introduced in release',
    description: 'Release the error was first seen in (wildcards * and ?)',
    test: onError('wildcard', (f) => f.introducedIn),
  },
  {
    id: 'release.seen_in',
    name: 'Release',
    description: 'Release the event came from (wildcards * and ?)',
    test: onEvent('wildcard', (p) => p.appVersion),
  },
  {
    id: 'user.id',
    name: 'User ID',
    description: 'Id of the affected user',
    pivot: true,
    test: onEvent('exact', (p, env) => user(p, env)?.id ?? null),
  },
  {
    id: 'user.email',
    name: 'User email',
    description: 'Email of the affected user (substring)',
    pivot: true,
    test: onEvent('substring', (p, env) => user(p, env)?.email ?? null),
  },
  {
    id: 'user.name',
    name: 'User name',
    description: 'Name of the affected user (substring)',
    test: onEvent('substring', (p, env) => user(p, env)?.name ?? null),
  },
  {
    id: 'os.name',
    name: 'OS',
    description: 'Operating system name',
    pivot: true,
    test: onEvent('iexact', (p) => p.osName),
  },
  {
    id: 'os.version',
    name: 'OS version',
    description: 'Operating system version',
    test: onEvent('exact', (p) => p.osVersion),
  },
  {
    id: 'browser.name',
    name: 'Browser',
    description: 'Browser name',
    pivot: true,
    test: onEvent('iexact', (p) => p.browserName),
  },
  {
    id: 'browser.version',
    name: 'Browser version',
    description: 'Browser version',
    test: onEvent('exact', (p) => p.browserVersion),
  },
  {
    id: 'device.hostname',
    name: 'Hostname',
    description: 'Host that reported the event',
    pivot: true,
    test: onEvent('exact', (p) => p.hostname),
  },
  {
    id: 'device.manufacturer',
    name: 'Manufacturer',
    description: 'Device manufacturer',
    test: onEvent('iexact', (p) => p.manufacturer),
  },
  {
    id: 'device.model',
    name: 'Device model',
    description: 'Device model',
    pivot: true,
    test: onEvent('exact', (p) => p.model),
  },
  {
    id: 'device.jailbroken',
    name: 'Jailbroken',
    description: 'Whether the device was jailbroken (true or false)',
    test: onEvent('bool', (p) => String(p.jailbroken)),
  },
  {
    id: 'request.url',
    name: 'URL',
    description: 'Request URL (substring)',
    test: onEvent('substring', (p) => p.url),
  },
  { id: 'request.ip', name: 'IP address', description: 'Client IP address', test: onEvent('exact', (p) => p.ip) },
  {
    id: 'search',
    name: 'Search',
    description: 'Free text over the error class, message and context (once per request)',
    test: onError('substring', (f) => `${f.seed.errorClass} ${f.seed.message} ${f.seed.context}`),
  },
  {
    id: 'account.plan',
    name: 'Plan',
    description: 'Custom field from metaData.account.plan',
    pivot: true,
    customPath: 'metaData.account.plan',
    test: onEvent('exact', (p) => accountPlan(p.user)),
  },
];

const BY_NAME = new Map<string, EventFieldDef>();
for (const f of EVENT_FIELDS) {
  for (const name of [f.id, ...(f.aliases ?? [])]) {
    if (BY_NAME.has(name)) throw new Error(`event field name ${name} is declared twice`);
    BY_NAME.set(name, f);
  }
}

/** The field a filter name (canonical or alias) stands for, or undefined for a name the API ignores. */
export function eventField(name: string): EventFieldDef | undefined {
  return BY_NAME.get(name);
}

/** Every name the filter engine accepts, in `/event_fields` order. */
export function filterFieldNames(): string[] {
  return [...BY_NAME.keys()];
}

/** `/event_fields`: one row per accepted name; an alias row is the same field, not pivotable under its alias. */
export function eventFieldViews(): Array<Record<string, unknown>> {
  const rows: Array<Record<string, unknown>> = [];
  for (const f of EVENT_FIELDS) {
    const names = [f.id, ...(f.aliases ?? [])];
    for (const name of names) {
      const canonical = name === f.id;
      rows.push({
        custom: f.customPath !== undefined,
        display_id: name,
        ...(f.customPath ? { path: f.customPath } : {}),
        filter_options: {
          name: f.name,
          description: canonical ? f.description : `${f.description} (same as ${f.id})`,
          aliases: names.filter((n) => n !== name),
          hint_text: f.test.kind === 'time' ? 'Use ISO 8601 or a relative time such as 7d' : '',
          hint_url: f.customPath ? '' : 'https://docs.bugsnag.com/product/filtering/',
          match_types: f.test.kind === 'time' ? ['eq'] : ['eq', 'ne'],
          ...(f.values ? { values: f.values } : {}),
        },
        pivot_options: f.pivot && canonical ? pivotOptions(f.name) : {},
        reindex_in_progress: false,
        reindex_percentage: 100,
      });
    }
  }
  return rows;
}

function pivotOptions(name: string): Record<string, unknown> {
  return {
    name,
    fields: [
      { id: 'events', name: 'Events' },
      { id: 'users', name: 'Users' },
    ],
    aggregates: [{ id: 'count', name: 'Count' }],
    summary: true,
    values: true,
    cardinality: true,
    average: false,
    child_values: false,
    filterable: true,
  };
}
