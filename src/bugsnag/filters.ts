import { SnagError } from '../core/errors.js';
import { isBugsnagRelativeTime, parseDuration, parseTimestamp, toIsoSeconds } from '../core/time.js';

/**
 * Bugsnag filters (docs/bugsnag-api.md §12): an event field's display id mapped to comparisons `{type, value}`. Encoded as
 * `filters[field][][type]=eq&filters[field][][value]=…`, each type right next to its value — with the `[]` marker,
 * or Rails keeps only the last pair and silently drops the rest; all types before all values gives 400.
 */
export type FilterType = 'eq' | 'ne' | 'empty';
export type FilterScalar = string | number | boolean | Date;

export interface FilterComparison {
  type: FilterType;
  value: FilterScalar;
}

/** A bare value means `eq`. Several comparisons per field are allowed (eq ORed, ne ANDed). */
export type FilterInput = FilterScalar | FilterComparison | ReadonlyArray<FilterScalar | FilterComparison>;
export type Filters = Readonly<Record<string, FilterInput>>;

const TIME_FIELDS = new Set(['event.since', 'event.before']);
const FIELD = /^[A-Za-z0-9_.\-:$@]+$/;

/** Query pairs (unencoded), in order: type, value, type, value… per field. */
export function filterPairs(filters: Filters | undefined, now: Date = new Date()): Array<[string, string]> {
  if (!filters) return [];
  const pairs: Array<[string, string]> = [];
  for (const [field, input] of Object.entries(filters)) {
    if (!FIELD.test(field)) {
      throw new SnagError('config', `"${field}" is not a Bugsnag filter field name.`, {
        hint: "Use an event field display id such as event.since, error.status or user.email (see the project's event fields).",
      });
    }
    const list: ReadonlyArray<FilterScalar | FilterComparison> = Array.isArray(input)
      ? input
      : [input as FilterScalar | FilterComparison];
    if (list.length === 0) continue;
    const comparisons = list.map((c) => toComparison(field, c));
    if (TIME_FIELDS.has(field)) {
      if (comparisons.length > 1) {
        throw new SnagError('config', `The ${field} filter takes a single time.`, { hint: 'Give one value.' });
      }
      if (comparisons[0]!.type !== 'eq') {
        throw new SnagError('config', `The ${field} filter only supports "eq".`, {
          hint: `Bugsnag rejects "${comparisons[0]!.type}" on time filters; use event.since / event.before to bound the range.`,
        });
      }
    }
    for (const c of comparisons) {
      const value = TIME_FIELDS.has(field) ? filterTime(c.value, field, now) : scalarText(field, c);
      pairs.push([`filters[${field}][][type]`, c.type]);
      pairs.push([`filters[${field}][][value]`, value]);
    }
  }
  return pairs;
}

function toComparison(field: string, c: FilterScalar | FilterComparison): FilterComparison {
  if (c instanceof Date || typeof c !== 'object' || c === null) {
    if (c === null || c === undefined) throw badValue(field);
    return { type: 'eq', value: c };
  }
  if (c.type !== 'eq' && c.type !== 'ne' && c.type !== 'empty') {
    throw new SnagError('config', `Unknown filter type "${String(c.type)}" on ${field}.`, {
      hint: 'Use eq, ne or empty.',
    });
  }
  if (c.value === null || c.value === undefined || Array.isArray(c.value)) throw badValue(field);
  return c;
}

function badValue(field: string): SnagError {
  return new SnagError('config', `The ${field} filter needs a value (a string, number, boolean or time).`, {
    hint: 'Give one value per comparison; repeat the comparison for several values.',
  });
}

function scalarText(field: string, c: FilterComparison): string {
  if (c.type === 'empty') {
    const v = String(c.value).toLowerCase();
    if (v !== 'true' && v !== 'false') {
      throw new SnagError('config', `The "empty" comparison on ${field} takes true or false.`, {
        hint: 'empty=true: the field has no value; empty=false: it has some value.',
      });
    }
    return v;
  }
  return c.value instanceof Date ? toIsoSeconds(c.value) : String(c.value);
}

/**
 * A time filter value. Bugsnag's own relative times (`7d`, `24h`) pass through as Bugsnag evaluates them; absolute
 * times in any format are normalised to `YYYY-MM-DDTHH:MM:SSZ`; other durations (`2w`, `30m`) become absolute times,
 * since Bugsnag only understands hours and days.
 */
export function filterTime(value: FilterScalar, field = 'event.since', now: Date = new Date()): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw badTime(String(value), field);
    return toIsoSeconds(value);
  }
  const text = String(value).trim();
  if (isBugsnagRelativeTime(text)) return text;
  const abs = parseTimestamp(text);
  if (abs) return toIsoSeconds(abs);
  const ms = parseDuration(text);
  if (ms !== null) return toIsoSeconds(now.getTime() - ms);
  throw badTime(text, field);
}

function badTime(text: string, field: string): SnagError {
  return new SnagError('config', `"${text}" is not a time for the ${field} filter.`, {
    hint: 'Use an ISO 8601 time such as 2024-05-01T00:00:00Z, or a relative time such as 24h or 7d.',
  });
}

/**
 * The same filters as a JSON object (`{"event.since": [{"type": "eq", "value": "7d"}]}`), for the endpoints that take
 * them in a body (event data requests, docs/bugsnag-api.md §4.5). Built from filterPairs, so both spellings check
 * and normalise values the same way; every value is a string, as Bugsnag expects.
 */
export function filterObject(
  filters: Filters | undefined,
  now: Date = new Date(),
): Record<string, Array<{ type: FilterType; value: string }>> {
  const out: Record<string, Array<{ type: FilterType; value: string }>> = {};
  const pairs = filterPairs(filters, now);
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const field = /^filters\[(.+)\]\[\]\[type\]$/.exec(pairs[i]![0])![1]!;
    (out[field] ??= []).push({ type: pairs[i]![1] as FilterType, value: pairs[i + 1]![1] });
  }
  return out;
}
