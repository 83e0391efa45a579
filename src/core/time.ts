import { SnagError } from './errors.js';

/**
 * Bugsnag sends timestamps in several shapes (docs/bugsnag-api.md §15):
 *   2017-12-12T10:58:55.000Z · 2021-07-08T14:26:55+00:00 · 2017-12-12T10:58:49Z · 2022-10-17 15:30:00 +0000
 * `parseTimestamp` accepts all of them and returns null for anything else.
 */
const SPACED = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) ?([+-]\d{2}):?(\d{2})$/;
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

export function parseTimestamp(value: unknown): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value === 'number') return Number.isFinite(value) ? new Date(value) : null;
  if (typeof value !== 'string') return null;
  const s = value.trim();
  const spaced = SPACED.exec(s);
  if (spaced) return valid(new Date(`${spaced[1]}T${spaced[2]}${spaced[3]}:${spaced[4]}`));
  if (!ISO.test(s)) return null;
  let normal = s.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  // A date or date-time without a zone is taken as UTC, as Bugsnag means it.
  if (/T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/i.test(normal)) normal += 'Z';
  if (/^\d{4}-\d{2}-\d{2}$/.test(normal)) normal += 'T00:00:00Z';
  return valid(new Date(normal));
}

function valid(d: Date): Date | null {
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Canonical form used in stored records and filters: `2017-12-12T10:58:55.000Z`. */
export function toIso(d: Date | number): string {
  return new Date(d).toISOString();
}

/** Seconds precision, as Bugsnag writes `base` and filter values: `2017-12-12T10:58:55Z`. */
export function toIsoSeconds(d: Date | number): string {
  return new Date(d).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `15m`, `24h`, `7d`, `2w`, `30s` → milliseconds; null when not a duration. */
export function parseDuration(value: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$/i.exec(value);
  if (!m) return null;
  return Math.round(Number(m[1]) * UNIT_MS[m[2]!.toLowerCase()]!);
}

/** A Bugsnag relative time (`<n>h` or `<n>d`), which the API accepts as-is in time filters. */
export function isBugsnagRelativeTime(value: string): boolean {
  return /^\d+[hd]$/.test(value.trim());
}

/** A user-given point in time: ISO (any format above) or a relative duration back from `now` (`7d`, `24h`). */
export function resolveTime(value: string, now: Date = new Date()): Date {
  const abs = parseTimestamp(value);
  if (abs) return abs;
  const ms = parseDuration(value);
  if (ms !== null) return new Date(now.getTime() - ms);
  throw new SnagError('config', `${quoteExcerpt(value)} is not a time snagsync understands.`, {
    hint: 'Use an ISO 8601 time such as 2024-05-01T00:00:00Z, or a relative time such as 24h, 7d or 2w.',
  });
}

/** Longest part of a bad value quoted back in a message: enough to recognise it, never a megabyte echoed. */
const EXCERPT_MAX = 40;

/** `"value"`, or for a long one its start and its length: `"aaaa…" (60,000 characters)`. */
export function quoteExcerpt(value: string): string {
  if (value.length <= EXCERPT_MAX) return `"${value}"`;
  const head = value.slice(0, EXCERPT_MAX);
  // Never cut a surrogate pair in two.
  const cut = /[\ud800-\udbff]$/.test(head) ? head.slice(0, -1) : head;
  return `"${cut}…" (${value.length.toLocaleString('en-US')} characters)`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s % 60);
  if (m < 60) return `${m} min ${rest} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
