import { SnagError } from '../core/errors.js';
import { parseDuration, quoteExcerpt } from '../core/time.js';
import { STREAMS } from '../streams/catalog.js';
import type { StreamDefinition } from '../streams/types.js';

/**
 * How often each stream is worth reading (docs/sync.md, Stream intervals). A stream that changes slowly declares a
 * `refreshEvery` (fields, saved searches, teams: a day; trends: an hour); a source may set another per stream, or 0 to
 * read it by every sync. A sync within that time of the stream's last completed pass skips it, so a sync with nothing
 * new costs the incremental lists only (errors and events: two requests per project).
 */

/** The streams that have an interval, with their declared default. */
export const INTERVAL_DEFAULTS: Readonly<Record<string, string>> = Object.fromEntries(
  STREAMS.filter((s): s is StreamDefinition & { refreshEvery: string } => s.refreshEvery !== undefined).map((s) => [
    s.name,
    s.refreshEvery,
  ]),
);

/** As stored: `{stream: duration}` (API, wizard) or `["stream=duration", …]` (the CLI's repeated flag). */
export type StoredStreamIntervals = Record<string, string> | string[];

/** Every interval as `{stream: ms}`, or a config error naming the entry at fault. 0 ms: read by every sync. */
export function parseStreamIntervals(value: StoredStreamIntervals): Record<string, number> {
  const entries: Array<[string, string]> = Array.isArray(value)
    ? value.map((arg) => {
        const eq = arg.indexOf('=');
        if (eq < 0)
          throw new SnagError('config', `stream_intervals: ${quoteExcerpt(arg)} is not STREAM=DURATION.`, {
            hint: 'Write it as release_groups=6h (0: read by every sync).',
          });
        return [arg.slice(0, eq).trim(), arg.slice(eq + 1).trim()];
      })
    : Object.entries(value);
  const out: Record<string, number> = {};
  for (const [stream, duration] of entries) {
    if (!(stream in INTERVAL_DEFAULTS))
      throw new SnagError('config', `stream_intervals: ${quoteExcerpt(stream)} has no interval.`, {
        hint: `Streams with one: ${Object.keys(INTERVAL_DEFAULTS).join(', ')}. The others are read by every sync.`,
      });
    const ms = /^\s*0+\s*$/.test(duration) ? 0 : parseDuration(duration);
    if (ms === null)
      throw new SnagError('config', `stream_intervals: ${quoteExcerpt(duration)} (${stream}) is not a duration.`, {
        hint: 'Write it as 15m, 6h or 1d; 0 reads the stream by every sync.',
      });
    out[stream] = ms;
  }
  return out;
}

/** Each interval stream's interval in ms: the source's, else the declared one. */
export function resolveStreamIntervals(value: StoredStreamIntervals | null | undefined): Record<string, number> {
  const declared = Object.fromEntries(
    Object.entries(INTERVAL_DEFAULTS).map(([stream, d]) => [stream, parseDuration(d) ?? 0]),
  );
  if (value === null || value === undefined) return declared;
  try {
    return { ...declared, ...parseStreamIntervals(value) };
  } catch {
    // A stored value that no longer parses (a stream renamed since): the declared intervals.
    return declared;
  }
}

/**
 * When a stream's stored checkpoint says its last pass completed (and none is half-done): the time its interval
 * counts from; null when it must be read (never completed, a pass to resume, or a state this does not know).
 */
export function lastCompletedPass(state: unknown): Date | null {
  if (state === null || typeof state !== 'object') return null;
  const s = state as { pass?: unknown; backfill?: unknown; lastCompletedAt?: unknown; lastPassAt?: unknown };
  if (s.pass !== undefined || s.backfill !== undefined) return null;
  const at = typeof s.lastCompletedAt === 'string' ? s.lastCompletedAt : s.lastPassAt;
  if (typeof at !== 'string') return null;
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Why a stream is not read this time (its interval has not elapsed), or null when it is due. */
export function notDue(intervalMs: number | undefined, state: unknown, now: Date): string | null {
  if (!intervalMs) return null;
  const last = lastCompletedPass(state);
  if (last === null) return null;
  const age = now.getTime() - last.getTime();
  if (age < 0 || age >= intervalMs) return null;
  return `Not due: read ${words(age)} ago, every ${words(intervalMs)}.`;
}

function words(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min`;
  const h = Math.round(m / 60);
  return h < 48 ? `${h} h` : `${Math.round(h / 24)} d`;
}
