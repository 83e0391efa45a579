import { hash, hashString } from '../prng.js';
import type { ProjectKind } from './vocab.js';

/**
 * How much traffic a project gets on each day and at each hour, as integer weights derived from the seed (integers
 * only, like the rest of the simulator, so every machine computes the same counts). Real Bugsnag traffic is not flat:
 *   - a weekly rhythm by UTC weekday: servers and web apps are busiest Monday–Friday, mobile apps at weekends;
 *   - a slow drift (a level that wanders from week to week) and a growth or decline trend over the history;
 *   - day-to-day noise;
 *   - for about one project in three, an incident: a spike of a few days (a bad release) that decays as it is fixed;
 *   - within a day, a day/night rhythm in the project's main time zone.
 * Only the weights live here; timeline.ts turns them into event counts and timestamps.
 */

export type Platform = ProjectKind['platform'];

/** Per UTC weekday, Sunday first (Date#getUTCDay), per mille. */
const WEEKLY: Record<Platform, readonly number[]> = {
  server: [470, 1000, 1040, 1020, 990, 920, 520],
  browser: [680, 990, 1030, 1010, 990, 900, 720],
  mobile: [1150, 880, 870, 890, 910, 1010, 1180],
};

/** Per local hour, percent of the busiest hour: office hours for servers and web apps, evenings for mobile apps. */
const HOURLY: Record<Platform, readonly number[]> = {
  server: [38, 31, 27, 25, 25, 29, 40, 58, 79, 94, 100, 99, 93, 96, 100, 97, 90, 80, 69, 62, 57, 53, 48, 43],
  browser: [40, 32, 27, 24, 23, 27, 37, 52, 70, 85, 93, 96, 94, 93, 95, 96, 95, 90, 84, 80, 76, 70, 60, 49],
  mobile: [48, 36, 28, 23, 21, 23, 31, 44, 55, 61, 65, 69, 72, 70, 67, 69, 74, 81, 89, 96, 100, 95, 80, 62],
};

/** Where a project's users mostly are, as UTC offsets in hours (the day/night rhythm follows them). */
const TIME_ZONES = [-8, -5, -3, 0, 1, 2, 5, 8, 9, 10];

const DAY = 86_400;
const WEEKDAY_OF_EPOCH_DAY_0 = 4; // 1970-01-01 was a Thursday

export interface Incident {
  /** Day index (within the history) the spike starts on. */
  fromDay: number;
  days: number;
  /** Multiplier on its first day, per mille (it halves its excess each following day). */
  peak: number;
}

export interface VolumeModel {
  /** Relative weight of each UTC day of the history, oldest first (day 0 holds startSec); timeline.ts scales a partial
   * first or last day down to the part of the day/night rhythm it covers. */
  dayWeights: number[];
  /** Relative weight of each UTC hour of the day (the local rhythm shifted by the time zone); every entry ≥ 1. */
  hourWeights: number[];
  incident: Incident | null;
}

/**
 * Weights for `days` days, day 0 starting at the UTC midnight `firstMidnight`. A day's weight is the product of its
 * per-mille factors, rescaled after each one so it stays far below 2^53 (integers, so exact everywhere).
 */
export function volumeModel(seed: number, platform: Platform, firstMidnight: number, days: number): VolumeModel {
  const s = hash(seed, hashString('volume'));
  const firstEpochDay = Math.floor(firstMidnight / DAY);
  const weekdayOf = (d: number) => (((firstEpochDay + d + WEEKDAY_OF_EPOCH_DAY_0) % 7) + 7) % 7;
  const incident = incidentOf(s, days, weekdayOf);
  const slope = -150 + (hash(s, hashString('trend')) % 501); // −15 % … +35 % over the whole history
  const dayWeights: number[] = [];
  for (let d = 0; d < days; d++) {
    const weekday = weekdayOf(d);
    const trend = 1000 + Math.floor((slope * d) / Math.max(1, days - 1));
    let w = WEEKLY[platform][weekday]! * 1_000_000;
    for (const f of [level(s, d), noise(s, d), trend, spike(incident, d)]) w = Math.floor((w * f) / 1000);
    dayWeights.push(w);
  }
  const tz = TIME_ZONES[hash(s, hashString('tz')) % TIME_ZONES.length]!;
  const local = HOURLY[platform];
  // UTC hour h is local hour h + tz.
  const hourWeights = Array.from({ length: 24 }, (_, h) => local[(((h + tz) % 24) + 24) % 24]!);
  return { dayWeights, hourWeights, incident };
}

/** A level wandering between 850 and 1150 ‰, with knots once a week and straight lines between them. */
function level(s: number, d: number): number {
  const knot = (w: number) => 850 + (hash(s, hashString('level'), w) % 301);
  const w = Math.floor(d / 7);
  const a = knot(w);
  return a + Math.floor(((knot(w + 1) - a) * (d % 7)) / 7);
}

/** Day-to-day noise, 780–1220 ‰, peaked at 1000 (the sum of two uniform draws). */
function noise(s: number, d: number): number {
  return 780 + (hash(s, hashString('noise'), d, 1) % 221) + (hash(s, hashString('noise'), d, 2) % 221);
}

/**
 * About one project in three has an incident: it starts on a Monday–Thursday (releases ship on working days) somewhere
 * in the newest three quarters of the history (so the 30-day view usually shows it), jumps to 3–6× and halves its
 * excess each following day, for 2–4 days.
 */
function incidentOf(s: number, days: number, weekdayOf: (d: number) => number): Incident | null {
  const h = hash(s, hashString('incident'));
  if (h % 3 !== 0 || days < 14) return null;
  const len = 2 + (hash(h, 1) % 3);
  const earliest = Math.floor(days / 4);
  let fromDay = earliest + (hash(h, 2) % (days - earliest - len));
  while (weekdayOf(fromDay) === 0 || weekdayOf(fromDay) > 4) fromDay++;
  if (fromDay + len > days) fromDay -= 7;
  return { fromDay, days: len, peak: 3000 + (hash(h, 3) % 3001) };
}

function spike(incident: Incident | null, d: number): number {
  if (!incident || d < incident.fromDay || d >= incident.fromDay + incident.days) return 1000;
  return 1000 + Math.floor((incident.peak - 1000) / 2 ** (d - incident.fromDay));
}
