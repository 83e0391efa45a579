import { parseTimestamp } from '../../core/time.js';
import type { EventProto } from '../data/errors.js';
import { type ErrorFacts, eventField, type FilterEnv, type MatchMode } from './fields.js';
import { isHash, type QHash, type QValue } from './params.js';

export type { ErrorFacts, FilterEnv } from './fields.js';

/**
 * Bugsnag's event filters (docs/bugsnag-api.md §12): `filters[<field>][][type]=eq|ne|empty&filters[<field>][][value]=…`.
 * Which names are fields, their aliases and what each tests come from the one table of query/fields.ts, which
 * `/event_fields` lists too.
 *
 * Fields are split by what they depend on, because that decides how the simulator can count matches cheaply:
 *   - time fields (event.since / event.before) become an index range;
 *   - error-level fields depend only on the error group (its class, status, assignee…);
 *   - event-level fields depend on one occurrence, which is a function of (error, occurrence mod period), so a filter
 *     becomes a set of matching residues per error and counts stay arithmetic.
 * A name the table does not hold is ignored silently, as the real API does (the server counts it in its stats).
 */
export class FilterError extends Error {}

type Cmp = { type: 'eq' | 'ne' | 'empty'; value: string };

/** `error.assigned_to` compares against several things at once, so it has its own matcher. */
function assignedMatches(f: ErrorFacts, v: string, env: FilterEnv): boolean {
  const a = f.state.assignee;
  if (v === 'me') return a === env.tokenUser;
  if (v === 'anyone') return a >= 0;
  if (a < 0) return false;
  return env.collaboratorId(a) === v || env.collaboratorEmail(a).toLowerCase() === v.toLowerCase();
}

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
  // Names of one field (an alias and its canonical name) are one filter: their comparisons are read together.
  const byField = new Map<string, { def: NonNullable<ReturnType<typeof eventField>>; cmps: Cmp[] }>();
  for (const [name, value] of Object.entries(raw ?? {})) {
    // Unknown names are ignored whatever their shape, exactly like the real API (checked before parsing them).
    const def = eventField(name);
    if (!def) continue;
    const entry = byField.get(def.id) ?? { def, cmps: [] };
    entry.cmps.push(...comparisons(name, value));
    byField.set(def.id, entry);
  }
  for (const [field, { def, cmps }] of byField) {
    const test = def.test;
    if (test.kind === 'time') {
      const sec = timeBound(field, cmps, env.nowMs);
      if (sec === null) continue;
      if (field === 'event.since') since = since === null ? sec : Math.max(since, sec);
      else before = before === null ? sec : Math.min(before, sec);
      continue;
    }
    keyParts.push(`${field}=${JSON.stringify(cmps)}`);
    if (test.kind === 'assigned') {
      errorTests.push(
        combine<ErrorFacts, ErrorFacts>(
          cmps,
          (f, c) => assignedMatches(f, c, env),
          (f) => (f.state.assignee < 0 ? null : f),
        ),
      );
    } else if (test.kind === 'error') {
      const { mode, get } = test;
      errorTests.push(
        combine<ErrorFacts, string>(
          cmps,
          (v, c) => matchValue(mode, v, c),
          (f) => get(f, env),
        ),
      );
    } else {
      const { mode, get } = test;
      eventTests.push(
        combine<EventProto, string>(
          cmps,
          (v, c) => matchValue(mode, v, c),
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

function matchValue(mode: MatchMode, s: string, c: string): boolean {
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
