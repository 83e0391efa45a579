import { Cron } from 'croner';
import { parseDuration } from '../core/time.js';
import { configError } from './config.js';

/**
 * Schedules: `every 15m`, `every 1h`, `every 2d`, `hourly`, `daily` (and `weekly`). A scheduled source is due when
 * its `next_run_at` has passed; after each run (whatever started it) the next one is set one interval after the run
 * finished, so a slow sync never queues up runs behind itself.
 */
export interface Schedule {
  /** Canonical text, as stored: `every 15m`, `hourly`, `daily`, `continuous`. */
  text: string;
  intervalMs: number;
  /**
   * `continuous`: a poller keeps the source's events fresh between runs (engine/poller), and a full incremental sync
   * of every stream still runs every `intervalMs` (CONTINUOUS_SYNC_MS), the poller standing aside while it does.
   */
  continuous?: boolean;
  /** A cron schedule (five fields, optionally led by `CRON_TZ=Area/City`): runs at the pattern's times, UTC by default. */
  cron?: { pattern: string; timezone: string };
}

/** How often a continuous source still runs its normal incremental sync (the streams the poller does not read). */
export const CONTINUOUS_SYNC_MS = 900_000;

const NAMED: Record<string, number> = { hourly: 3_600_000, daily: 86_400_000, weekly: 604_800_000 };
/** Shorter would only burn the token's rate limit on empty passes. */
export const MIN_INTERVAL_MS = 60_000;

export function parseSchedule(input: string): Schedule {
  const cron = parseCron(input);
  if (cron) return cron;
  const text = input.trim().toLowerCase().replace(/\s+/g, ' ');
  if (text === 'continuous') return { text, intervalMs: CONTINUOUS_SYNC_MS, continuous: true };
  const named = NAMED[text];
  if (named !== undefined) return { text, intervalMs: named };
  const m = /^(?:every )?(\d+(?:\.\d+)?\s*[smhdw])$/.exec(text);
  const ms = m ? parseDuration(m[1]!) : null;
  if (ms === null) {
    throw configError(
      'schedule',
      `"${input}" is not a schedule snagsync understands.`,
      'Write "every 15m", "every 1h", "every 6h", "hourly", "daily", "continuous" or a 5-field cron expression such as "*/5 * * * *".',
    );
  }
  if (ms < MIN_INTERVAL_MS)
    throw configError(
      'schedule',
      `A schedule of "${input}" is too frequent.`,
      'Schedule syncs at most once a minute (e.g. "every 15m").',
    );
  return { text: `every ${m![1]!.replace(/\s+/g, '')}`, intervalMs: ms };
}

/** A stored schedule that asks for a poller (`continuous`). */
export function isContinuous(schedule: string | null | undefined): boolean {
  return schedule?.trim().toLowerCase() === 'continuous';
}

/** `none`, `off`, `manual` or '' clear a schedule. */
export function isNoSchedule(input: string): boolean {
  return ['', 'none', 'off', 'manual', 'never'].includes(input.trim().toLowerCase());
}

/** When a source runs next after a run that ended at `from`: one interval later, or the cron pattern's next time. */
export function nextRunAfter(schedule: string, from: Date): Date {
  const s = parseSchedule(schedule);
  if (s.cron) return cronJob(s.cron).nextRun(from) ?? new Date(from.getTime() + s.intervalMs);
  return new Date(from.getTime() + s.intervalMs);
}

/** A newly scheduled source: an interval schedule runs at once, a cron schedule at its pattern's next time. */
export function firstRunAt(schedule: string, now: Date): Date {
  return parseSchedule(schedule).cron ? nextRunAfter(schedule, now) : now;
}

const CRON_FIELDS = ['minute', 'hour', 'day of month', 'month', 'day of week'] as const;
const CRON_RANGES = ['0-59', '0-23', '1-31', '1-12 or JAN-DEC', '0-7 or SUN-SAT'] as const;
const CRON_TOKEN = /^[0-9a-z*/,?#-]+$/i;
const CRON_HINT =
  'Write five fields — minute hour day-of-month month day-of-week — e.g. "*/5 * * * *" or "0 6 * * MON-FRI".';

function cronJob(c: { pattern: string; timezone: string }): Cron {
  return new Cron(c.pattern, { timezone: c.timezone, mode: '5-part', paused: true });
}

/**
 * A cron schedule, or null when `input` does not look like one. The `CRON_TZ=Area/City` prefix (as in cronie and
 * Kubernetes) sets the source's timezone; without it the pattern is read in UTC.
 */
function parseCron(input: string): Schedule | null {
  let rest = input.trim().replace(/\s+/g, ' ');
  let timezone = 'UTC';
  const tz = /^CRON_TZ=(\S+) (.*)$/i.exec(rest);
  if (tz) {
    timezone = tz[1]!;
    rest = tz[2]!;
    if (!validTimezone(timezone))
      throw configError(
        'schedule',
        `"${timezone}" in CRON_TZ is not a timezone snagsync knows.`,
        'Give an IANA timezone such as CRON_TZ=Europe/Berlin, or leave CRON_TZ out to read the pattern in UTC.',
      );
  }
  const fields = rest.split(' ');
  const interval = /^(?:every )?\d+(?:\.\d+)?\s*[smhdw]$/i.test(rest);
  if (!tz && (fields.length < 2 || interval || !/^[\d*?]/.test(rest) || !fields.every((f) => CRON_TOKEN.test(f))))
    return null;
  if (fields.length !== 5)
    throw configError(
      'schedule',
      `"${input.trim()}" has ${fields.length} cron fields; snagsync reads exactly five (no seconds, no years).`,
      CRON_HINT,
    );
  const pattern = fields.join(' ');
  for (let i = 0; i < 5; i++) {
    const alone = fields.map((f, j) => (j === i ? f : '*')).join(' ');
    try {
      cronJob({ pattern: alone, timezone: 'UTC' });
    } catch {
      throw configError(
        'schedule',
        `The ${CRON_FIELDS[i]} field of "${pattern}" ("${fields[i]}") is not valid: it takes ${CRON_RANGES[i]}, with *, lists (1,2), ranges (1-5) and steps (*/5).`,
        CRON_HINT,
      );
    }
  }
  const cron = { pattern, timezone };
  let job: Cron;
  try {
    job = cronJob(cron);
  } catch (err) {
    throw configError(
      'schedule',
      `"${pattern}" is not a cron expression snagsync can read (${(err as Error).message}).`,
      CRON_HINT,
    );
  }
  const [a, b] = job.nextRuns(2, new Date(Date.UTC(2026, 0, 1)));
  if (!a)
    throw configError(
      'schedule',
      `"${pattern}" never falls due (no such date).`,
      'Check the day of month and month fields.',
    );
  const text = tz ? `CRON_TZ=${timezone} ${pattern}` : pattern;
  return { text, intervalMs: b ? b.getTime() - a.getTime() : 86_400_000, cron };
}

function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
