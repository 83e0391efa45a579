import { SnagError } from '../core/errors.js';
import { parseTimestamp, toIsoSeconds } from '../core/time.js';
import { filterPairs, type FilterInput, type Filters } from './filters.js';

/** Shared option handling for lists that take a time window and filters. */
export interface WindowOptions {
  /** Event-level and error-level filters (docs/bugsnag-api.md §12). */
  filters?: Filters;
  /** Shorthand for `filters['event.since']`: ISO time, Date, or relative (`7d`, `24h`). */
  since?: string | Date;
  /** Shorthand for `filters['event.before']`. */
  before?: string | Date;
}

export function windowFilters(options: WindowOptions, now: Date): Array<[string, string]> {
  const filters: Record<string, FilterInput> = { ...(options.filters ?? {}) };
  for (const [key, value] of [
    ['event.since', options.since],
    ['event.before', options.before],
  ] as const) {
    if (value === undefined) continue;
    if (key in filters) {
      throw new SnagError('config', `Both "${key}" in filters and its shorthand option were given.`, {
        hint: 'Give the time once.',
      });
    }
    filters[key] = value;
  }
  return filterPairs(filters, now);
}

/** `base` (and similar absolute times) as Bugsnag writes them: `2017-12-12T11:55:26Z`. */
export function absoluteTime(value: string | Date | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const d = value instanceof Date ? value : parseTimestamp(value);
  if (!d || Number.isNaN(d.getTime())) {
    throw new SnagError('config', `"${String(value)}" is not a valid time for ${name}.`, {
      hint: 'Use an ISO 8601 time such as 2024-05-01T00:00:00Z.',
    });
  }
  return toIsoSeconds(d);
}
