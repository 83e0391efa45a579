import { parseTimestamp } from '../../core/time.js';
import type { EndUser, ErrorSeed, EventProto } from '../data/errors.js';
import type { ErrorState } from '../data/project.js';
import { isHash, type QHash, type QValue } from './params.js';

/**
 * Bugsnag's event filters (docs/bugsnag-api.md §12): `filters[<field>][][type]=eq|ne|empty&filters[<field>][][value]=…`.
 *
 * Fields are split by what they depend on, because that decides how the simulator can count matches cheaply:
 *   - time fields (event.since / event.before) become an index range;
 *   - error-level fields depend only on the error group (its class, status, assignee…);
 *   - event-level fields depend on one occurrence, which is a function of (error, occurrence mod period), so a filter
 *     becomes a set of matching residues per error and counts stay arithmetic.
 * Unknown fields are ignored silently, as the real API does.
 */
export class FilterError extends Error {}

type Cmp = { type: 'eq' | 'ne' | 'empty'; value: string };
type Mode = 'exact' | 'iexact' | 'substring' | 'wildcard' | 'bool';

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

type ErrorGetter = (f: ErrorFacts, env: FilterEnv) => string | null;
type EventGetter = (p: EventProto, env: FilterEnv) => string | null;

interface FieldDef {
  mode: Mode;
  error?: ErrorGetter;
  event?: EventGetter;
}

const user = (p: EventProto, env: FilterEnv) => (p.user < 0 ? null : env.endUser(p.user));

const FIELDS: Record<string, FieldDef> = {
  'error.id': { mode: 'exact', error: (f) => f.seed.id },
  'error.status': { mode: 'exact', error: (f) => f.state.status },
  'error.has_issue': {
    mode: 'bool',
    error: (f) => String(f.state.linkedIssues.length > 0 || f.state.createdIssue !== null),
  },
  'event.class': { mode: 'exact', error: (f) => f.seed.errorClass },
  'event.message': { mode: 'substring', error: (f) => f.seed.message },
  'event.file': { mode: 'substring', error: (f) => f.seed.file },
  'event.method': { mode: 'substring', error: (f) => f.seed.method },
  'event.severity': { mode: 'exact', error: (f) => f.seed.severity },
  'app.context': { mode: 'substring', error: (f) => f.seed.context },
  'app.type': { mode: 'exact', error: (f) => f.projectType },
  'version.introduced_in': { mode: 'wildcard', error: (f) => f.introducedIn },
  'release.introduced_in': { mode: 'wildcard', error: (f) => f.introducedIn },
  search: { mode: 'substring', error: (f) => `${f.seed.errorClass} ${f.seed.message} ${f.seed.context}` },
  'app.release_stage': { mode: 'exact', event: (p) => p.stage },
  'user.id': { mode: 'exact', event: (p, env) => user(p, env)?.id ?? null },
  'user.email': { mode: 'substring', event: (p, env) => user(p, env)?.email ?? null },
  'user.name': { mode: 'substring', event: (p, env) => user(p, env)?.name ?? null },
  'version.seen_in': { mode: 'wildcard', event: (p) => p.appVersion },
  'release.seen_in': { mode: 'wildcard', event: (p) => p.appVersion },
  'browser.name': { mode: 'iexact', event: (p) => p.browserName },
  'browser.version': { mode: 'exact', event: (p) => p.browserVersion },
  'os.name': { mode: 'iexact', event: (p) => p.osName },
  'os.version': { mode: 'exact', event: (p) => p.osVersion },
  'device.hostname': { mode: 'exact', event: (p) => p.hostname },
  'device.manufacturer': { mode: 'iexact', event: (p) => p.manufacturer },
  'device.model': { mode: 'exact', event: (p) => p.model },
  'request.url': { mode: 'substring', event: (p) => p.url },
  'request.ip': { mode: 'exact', event: (p) => p.ip },
  'device.jailbroken': { mode: 'bool', event: (p) => String(p.jailbroken) },
  'app.in_foreground': { mode: 'bool', event: (p) => String(p.inForeground) },
};

/** `error.assigned_to` compares against several things at once, so it has its own matcher. */
function assignedMatches(f: ErrorFacts, v: string, env: FilterEnv): boolean {
  const a = f.state.assignee;
  if (v === 'me') return a === env.tokenUser;
  if (v === 'anyone') return a >= 0;
  if (a < 0) return false;
  return env.collaboratorId(a) === v || env.collaboratorEmail(a).toLowerCase() === v.toLowerCase();
}

const TIME_FIELDS = new Set(['event.since', 'event.before']);
export const KNOWN_FILTER_FIELDS = [...Object.keys(FIELDS), 'error.assigned_to', ...TIME_FIELDS];

export interface CompiledFilters {
  /** Inclusive lower bound, in seconds. */
  since: number | null;
  /** Exclusive upper bound, in seconds. */
  before: number | null;
  hasErrorLevel: boolean;
  hasEventLevel: boolean;
  matchesError(f: ErrorFacts): boolean;
  matchesEvent(p: EventProto): boolean;
  /** The filters hash as received (normalized), re-encoded in next links. */
  raw: QHash | undefined;
  /** Canonical form of what takes effect, for cache keys. */
  key: string;
}

export function compileFilters(raw: QValue | undefined, env: FilterEnv): CompiledFilters {
  if (raw !== undefined && !isHash(raw)) throw new FilterError('filters must be a hash of field names');
  const errorTests: Array<(f: ErrorFacts) => boolean> = [];
  const eventTests: Array<(p: EventProto) => boolean> = [];
  let since: number | null = null;
  let before: number | null = null;
  const keyParts: string[] = [];
  for (const [field, value] of Object.entries(raw ?? {})) {
    // Unknown fields are ignored whatever their shape, exactly like the real API (checked before parsing them).
    if (!TIME_FIELDS.has(field) && field !== 'error.assigned_to' && !FIELDS[field]) continue;
    const cmps = comparisons(field, value);
    if (TIME_FIELDS.has(field)) {
      const sec = timeBound(field, cmps, env.nowMs);
      if (sec === null) continue;
      if (field === 'event.since') since = since === null ? sec : Math.max(since, sec);
      else before = before === null ? sec : Math.min(before, sec);
      continue;
    }
    if (field === 'error.assigned_to') {
      errorTests.push(
        combine<ErrorFacts, ErrorFacts>(
          cmps,
          (f, c) => assignedMatches(f, c, env),
          (f) => (f.state.assignee < 0 ? null : f),
        ),
      );
      keyParts.push(`${field}=${JSON.stringify(cmps)}`);
      continue;
    }
    const def = FIELDS[field]!;
    keyParts.push(`${field}=${JSON.stringify(cmps)}`);
    if (def.error) {
      const get = def.error;
      errorTests.push(
        combine<ErrorFacts, string>(
          cmps,
          (v, c) => matchValue(def.mode, v, c),
          (f) => get(f, env),
        ),
      );
    } else if (def.event) {
      const get = def.event;
      eventTests.push(
        combine<EventProto, string>(
          cmps,
          (v, c) => matchValue(def.mode, v, c),
          (p) => get(p, env),
        ),
      );
    }
  }
  keyParts.sort();
  return {
    since,
    before,
    hasErrorLevel: errorTests.length > 0,
    hasEventLevel: eventTests.length > 0,
    matchesError: (f) => errorTests.every((t) => t(f)),
    matchesEvent: (p) => eventTests.every((t) => t(p)),
    raw: raw as QHash | undefined,
    key: `${since ?? ''}|${before ?? ''}|${keyParts.join('&')}`,
  };
}

/** Read one field's comparisons, enforcing the shapes the real API accepts. */
function comparisons(field: string, value: QValue): Cmp[] {
  let items: QValue[];
  if (Array.isArray(value)) items = value;
  else if (isHash(value)) {
    // `filters[f][type]=…&filters[f][value]=…` (no []): Rails kept only the last pair; `filters[f][0][type]`: indexed.
    const keys = Object.keys(value);
    items = keys.length > 0 && keys.every((k) => /^\d+$/.test(k)) ? keys.map((k) => value[k]!) : [value];
  } else {
    throw new FilterError(`Invalid filter for ${field}: use filters[${field}][][type] and filters[${field}][][value]`);
  }
  return items.map((item) => {
    if (!isHash(item) || typeof item.type !== 'string' || typeof item.value !== 'string') {
      throw new FilterError(`Invalid filter for ${field}: each comparison needs a type and a value`);
    }
    const type = item.type;
    if (type !== 'eq' && type !== 'ne' && type !== 'empty') {
      throw new FilterError(`Invalid filter type "${type}" for ${field}: use eq, ne or empty`);
    }
    return { type, value: item.value };
  });
}

function timeBound(field: string, cmps: Cmp[], nowMs: number): number | null {
  let out: number | null = null;
  for (const c of cmps) {
    if (c.type !== 'eq') throw new FilterError(`${field} only supports the eq filter type`);
    const ms = parseFilterTime(c.value, nowMs);
    if (ms === null) throw new FilterError(`${field} must be an ISO 8601 time or a relative time such as 7d or 24h`);
    out = Math.ceil(ms / 1000);
  }
  return out;
}

/** ISO 8601, or `<n>h` / `<n>d` back from now. */
export function parseFilterTime(value: string, nowMs: number): number | null {
  const rel = /^(\d+)([hd])$/.exec(value.trim());
  if (rel) return nowMs - Number(rel[1]) * (rel[2] === 'h' ? 3_600_000 : 86_400_000);
  return parseTimestamp(value)?.getTime() ?? null;
}

/**
 * docs/bugsnag-api.md §12: eq values are ORed (empty:true ORed in, empty:false ignored); ne values are ANDed and dropped when an
 * eq is present (empty:false ANDed in, empty:true ignored); empty alone: true wins over false.
 */
function combine<T, V>(
  cmps: Cmp[],
  match: (v: V, c: string) => boolean,
  get: (x: T) => V | null | '',
): (x: T) => boolean {
  const eqs = cmps.filter((c) => c.type === 'eq').map((c) => c.value);
  const nes = cmps.filter((c) => c.type === 'ne').map((c) => c.value);
  const empties = cmps.filter((c) => c.type === 'empty').map((c) => c.value.trim().toLowerCase() !== 'false');
  const wantEmpty = empties.includes(true);
  const wantPresent = empties.includes(false);
  return (x: T) => {
    const v = get(x);
    if (v === null || v === '') {
      if (eqs.length > 0) return wantEmpty;
      if (nes.length > 0) return !wantPresent;
      return empties.length === 0 || wantEmpty;
    }
    if (eqs.length > 0) return eqs.some((c) => match(v, c));
    if (nes.length > 0) return nes.every((c) => !match(v, c));
    return empties.length === 0 || !wantEmpty;
  };
}

function matchValue(mode: Mode, s: string, c: string): boolean {
  switch (mode) {
    case 'exact':
      return s === c;
    case 'iexact':
      return s.toLowerCase() === c.toLowerCase();
    case 'substring':
      return s.toLowerCase().includes(c.toLowerCase());
    case 'bool':
      return s === (c.trim().toLowerCase() === 'true' ? 'true' : 'false');
    case 'wildcard': {
      const re = new RegExp(
        `^${c
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
        'i',
      );
      return re.test(s);
    }
  }
}
