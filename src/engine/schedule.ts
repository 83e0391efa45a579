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
}

/** How often a continuous source still runs its normal incremental sync (the streams the poller does not read). */
export const CONTINUOUS_SYNC_MS = 900_000;

const NAMED: Record<string, number> = { hourly: 3_600_000, daily: 86_400_000, weekly: 604_800_000 };
/** Shorter would only burn the token's rate limit on empty passes. */
export const MIN_INTERVAL_MS = 60_000;

export function parseSchedule(input: string): Schedule {
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
      'Write "every 15m", "every 1h", "every 6h", "hourly", "daily" or "continuous".',
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

export function nextRunAfter(schedule: string, from: Date): Date {
  return new Date(from.getTime() + parseSchedule(schedule).intervalMs);
}
