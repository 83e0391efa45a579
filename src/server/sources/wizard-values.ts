import { join } from 'node:path';
import { REDACTED } from '../../core/redact.js';
import { DEFAULT_SQLITE_FILE, displayDestinationUrl, parseDestinationUrl } from '../../destinations/url.js';
import { DEFAULT_STREAMS, parseSchedule, SOURCE_CONFIG_SHAPE, STREAMS, type SourceInput } from '../../engine/index.js';
import type { Source } from '../../store/models.js';
import { descriptionOf, type SourceRequest } from './save.js';

/**
 * The source wizard's form: what it holds (`WizardValues`, re-rendered after a failed step), how a POSTed body
 * becomes those values, and how they become the source service's input. One form for every step, so the wizard
 * works as one long page without JavaScript; app.js shows it one step at a time.
 */

export type ProjectMode = 'all' | 'include' | 'exclude';
export type DestinationKind = 'sqlite' | 'jsonl' | 'postgres';
export const SCHEDULE_PRESETS = ['', 'every 15m', 'hourly', 'daily'] as const;
export const CUSTOM_SCHEDULE = 'custom';
/** "Custom (cron)": a five-field cron expression, UTC unless led by CRON_TZ=Area/City. */
export const CRON_SCHEDULE = 'cron';

/**
 * The stream-owned options the wizard offers: those declared with a `title` (streams/options.ts). Giving an
 * option a title is all it takes to put it in the wizard.
 */
export interface WizardOption {
  key: string;
  title: string;
  description: string;
  kind: 'boolean' | 'number' | 'text';
}

export const WIZARD_OPTIONS: readonly WizardOption[] = STREAMS.flatMap((st) =>
  Object.keys(st.options?.shape ?? {}).flatMap((key): WizardOption[] => {
    const schema = SOURCE_CONFIG_SHAPE[key]!;
    const meta = (schema.meta() ?? {}) as { title?: string; description?: string };
    if (!meta.title) return [];
    const probe = (v: unknown) => schema.safeParse(v).success;
    const kind = probe(true) ? 'boolean' : probe(1) ? 'number' : 'text';
    return [{ key, title: meta.title, description: meta.description ?? '', kind }];
  }),
);

export interface WizardValues {
  connector: string;
  name: string;
  description: string;
  credential_id: string;
  organizations: string[];
  project_mode: ProjectMode;
  project_ids: string[];
  streams: string[];
  start_date: string;
  /** WIZARD_OPTIONS' values, by key: booleans for checkboxes, text otherwise ('' for unset). */
  options: Record<string, string | boolean>;
  filters: string;
  /** The filters as first rendered: unchanged text leaves the stored filters as they are. */
  filters_original: string;
  destination_kind: DestinationKind;
  destination_path: string;
  /** A PostgreSQL destination's URL; a stored one is shown with its password hidden (as the API answers it). */
  destination_url: string;
  schedule_preset: string;
  schedule_custom: string;
  schedule_cron: string;
  test_stream: string;
  run_now: boolean;
}

export function defaultWizardValues(): WizardValues {
  return {
    connector: 'bugsnag',
    name: '',
    description: '',
    credential_id: '',
    organizations: [],
    project_mode: 'all',
    project_ids: [],
    streams: [...DEFAULT_STREAMS],
    start_date: '',
    options: Object.fromEntries(WIZARD_OPTIONS.map((o) => [o.key, o.kind === 'boolean' ? false : ''])),
    filters: '',
    filters_original: '',
    destination_kind: 'sqlite',
    destination_path: '',
    destination_url: '',
    schedule_preset: 'hourly',
    schedule_custom: '',
    schedule_cron: '',
    test_stream: 'errors',
    run_now: false,
  };
}

type Body = Record<string, unknown>;

const one = (v: unknown): string =>
  typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '';
const many = (v: unknown): string[] =>
  typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

export function wizardValuesFromBody(body: Body): WizardValues {
  const mode = one(body.project_mode);
  const kind = one(body.destination_kind);
  return {
    connector: one(body.connector) || 'bugsnag',
    name: one(body.name),
    description: one(body.description),
    credential_id: one(body.credential_id),
    organizations: many(body.organizations),
    project_mode: mode === 'include' || mode === 'exclude' ? mode : 'all',
    project_ids: many(body.project_ids),
    streams: many(body.streams),
    start_date: one(body.start_date),
    options: Object.fromEntries(
      WIZARD_OPTIONS.map((o) => [o.key, o.kind === 'boolean' ? one(body[o.key]) !== '' : one(body[o.key])]),
    ),
    filters: one(body.filters),
    filters_original: one(body.filters_original),
    destination_kind: kind === 'jsonl' || kind === 'postgres' ? kind : 'sqlite',
    destination_path: one(body.destination_path),
    destination_url: one(body.destination_url),
    schedule_preset: one(body.schedule_preset),
    schedule_custom: one(body.schedule_custom),
    schedule_cron: one(body.schedule_cron),
    test_stream: one(body.test_stream) || 'errors',
    run_now: one(body.run_now) !== '',
  };
}

export function wizardValuesFromSource(s: Source, home: string): WizardValues {
  const c = s.config;
  const dest = destinationParts(s.destination, home);
  const filters = filterLines(c.filters);
  const presets: readonly string[] = SCHEDULE_PRESETS;
  return {
    ...defaultWizardValues(),
    name: s.name,
    description: descriptionOf(s) ?? '',
    credential_id: s.credential_id ?? '',
    organizations: c.organizations ?? [],
    project_mode: c.projects?.length ? 'include' : c.exclude_projects?.length ? 'exclude' : 'all',
    project_ids: c.projects?.length ? c.projects : (c.exclude_projects ?? []),
    streams: c.streams?.length ? c.streams : [...DEFAULT_STREAMS],
    start_date: c.start_date ?? '',
    options: Object.fromEntries(
      WIZARD_OPTIONS.map((o) => [
        o.key,
        o.kind === 'boolean' ? c[o.key] === true : c[o.key] === undefined || c[o.key] === null ? '' : String(c[o.key]),
      ]),
    ),
    filters,
    filters_original: filters,
    destination_kind: dest.kind,
    destination_path: dest.kind === 'postgres' ? '' : dest.path,
    destination_url: dest.kind === 'postgres' ? dest.path : '',
    schedule_preset:
      s.schedule === null
        ? ''
        : presets.includes(s.schedule)
          ? s.schedule
          : isCron(s.schedule)
            ? CRON_SCHEDULE
            : CUSTOM_SCHEDULE,
    schedule_custom: s.schedule !== null && !presets.includes(s.schedule) && !isCron(s.schedule) ? s.schedule : '',
    schedule_cron: s.schedule !== null && isCron(s.schedule) ? s.schedule : '',
  };
}

function destinationParts(url: string, home: string): { kind: DestinationKind; path: string } {
  try {
    const t = parseDestinationUrl(url, { cwd: home });
    if (t.kind === 'jsonl') return { kind: 'jsonl', path: t.dir };
    if (t.kind === 'sqlite') return { kind: 'sqlite', path: t.path };
    // The URL is shown with its password hidden, and kept as stored when it comes back unchanged.
    if (t.kind === 'postgres') return { kind: 'postgres', path: displayDestinationUrl(url) };
  } catch {
    // A stored URL snagsync cannot read any more: shown as it is, for the user to fix.
  }
  return { kind: 'sqlite', path: url.replace(/^sqlite:/, '') };
}

/** Where a source saved without a destination path writes: the engine's default destination file. */
export function defaultSqlitePath(home: string): string {
  return join(home, DEFAULT_SQLITE_FILE);
}

function filterLines(filters: Source['config']['filters']): string {
  const lines: string[] = [];
  for (const [field, values] of Object.entries(filters ?? {})) {
    for (const v of values) {
      if (typeof v === 'string') lines.push(`${field}=${v}`);
      else if (v.type === 'ne') lines.push(`${field}!=${v.value}`);
      else if (v.type === 'eq') lines.push(`${field}=${v.value}`);
      else lines.push(`${field} empty=${v.value}`);
    }
  }
  return lines.join('\n');
}

/** The source service's input. `editing`: values the form cannot express are left as they are when unchanged. */
export function sourceRequestFromWizard(v: WizardValues, editing: boolean): SourceRequest {
  const input: SourceInput = {
    name: v.name,
    credential: v.credential_id,
    organizations: v.organizations,
    projects: v.project_mode === 'include' ? v.project_ids : [],
    exclude_projects: v.project_mode === 'exclude' ? v.project_ids : [],
    streams: v.streams,
    start_date: v.start_date.trim() === '' ? null : v.start_date,
    schedule: scheduleOf(v),
  };
  for (const o of WIZARD_OPTIONS) {
    const value = v.options[o.key];
    if (typeof value === 'boolean') input[o.key] = value;
    else if (value === undefined || value.trim() === '') {
      if (editing) input[o.key] = null;
    } else input[o.key] = o.kind === 'number' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  }
  const filtersChanged = !editing || normalizeLines(v.filters) !== normalizeLines(v.filters_original);
  if (filtersChanged)
    input.filters = v.filters
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean);
  const path = v.destination_kind === 'postgres' ? v.destination_url.trim() : v.destination_path.trim();
  // An empty SQLite path is the default file in the home (when creating); on edit the form always holds a path.
  if (/^postgres(ql)?:\/\//i.test(path)) {
    // A URL shown with its password hidden is the stored one, unchanged; a URL typed in is taken as it is.
    if (!path.includes(REDACTED)) input.destination = path;
  } else if (path !== '' || v.destination_kind === 'jsonl') input.destination = `${v.destination_kind}:${path}`;
  return { input, description: v.description };
}

export function scheduleOf(v: WizardValues): string | null {
  if (v.schedule_preset === CUSTOM_SCHEDULE) return v.schedule_custom.trim() === '' ? 'custom' : v.schedule_custom;
  if (v.schedule_preset === CRON_SCHEDULE) return v.schedule_cron.trim() === '' ? 'cron' : v.schedule_cron;
  return v.schedule_preset === '' ? null : v.schedule_preset;
}

function isCron(schedule: string): boolean {
  try {
    return parseSchedule(schedule).cron !== undefined;
  } catch {
    return false;
  }
}

function normalizeLines(text: string): string {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .join('\n');
}
