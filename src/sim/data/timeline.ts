import type { Incident, VolumeModel } from './volume.js';

const DAY = 86_400;
const HOUR = 3600;

export interface DayCount {
  /** UTC midnight the day starts at (the first day may begin later, at the start of the history). */
  daySec: number;
  events: number;
}

/**
 * Where each of a project's N generated events falls in [startSec, endSec), both ways, without walking data.
 *
 * The history is cut at UTC midnights into D days (the first and last may be partial). Day d gets a share of N in
 * proportion to its weight times the part of the day/night rhythm it covers; `cum` holds the cumulative counts (D + 1
 * numbers, a few thousand at most). Inside a day, events follow the hourly weights: with c events in the day and F(t)
 * the rhythm's integral from the day's start to second t (piecewise linear, F(end) = Ftot), exactly ⌈c·F(t)/Ftot⌉
 * events come before second t. So:
 *   - indexAt(t) = cum[d] + ⌈c·F(t)/Ftot⌉ (arithmetic);
 *   - timeOf(i) = the last second t of its day with c·F(t) ≤ j·Ftot, j = i − cum[d] (a binary search over cum for d,
 *     then one over 24 hours, then a division).
 * Index order is time order, and a busy second can hold several events (pages end on whole seconds anyway).
 */
export class Timeline {
  readonly days: number;
  readonly incident: Incident | null;
  private readonly firstMidnight: number;
  private readonly cum: Float64Array;
  private readonly hour: Int32Array;
  /** hourCum[h] = F over the full hours before h (weight × seconds); hourCum[24] = a full day. */
  private readonly hourCum: Float64Array;

  constructor(
    readonly startSec: number,
    readonly endSec: number,
    readonly total: number,
    weights: (firstMidnight: number, days: number) => VolumeModel,
  ) {
    this.firstMidnight = Math.floor(startSec / DAY) * DAY;
    this.days = Math.floor((endSec - 1 - this.firstMidnight) / DAY) + 1;
    const model = weights(this.firstMidnight, this.days);
    this.incident = model.incident;
    this.hour = Int32Array.from(model.hourWeights, (w) => Math.max(1, w));
    this.hourCum = new Float64Array(25);
    for (let h = 0; h < 24; h++) this.hourCum[h + 1] = this.hourCum[h]! + this.hour[h]! * HOUR;

    // Shares in BigInt: weight × covered rhythm passes 2^53, and N·prefix/whole must be exact on every machine.
    const eff = model.dayWeights.map((w, d) => BigInt(w) * BigInt(this.covered(d)));
    const whole = eff.reduce((a, b) => a + b, 0n);
    const n = BigInt(total);
    this.cum = new Float64Array(this.days + 1);
    let prefix = 0n;
    let maxDay = 0;
    for (let d = 0; d < this.days; d++) {
      prefix += eff[d]!;
      this.cum[d + 1] = d + 1 === this.days ? total : Number(whole === 0n ? 0n : (n * prefix) / whole);
      maxDay = Math.max(maxDay, this.cum[d + 1]! - this.cum[d]!);
    }
    // The in-day arithmetic multiplies a day's count by F; keep it exact in doubles (true by a wide margin: a day
    // holds at most a few million events and F at most ~10^7).
    if (maxDay * this.hourCum[24]! * 2 >= Number.MAX_SAFE_INTEGER)
      throw new Error('simulated day too dense for exact arithmetic');
  }

  /** Events received strictly before second `sec`. */
  indexAt(sec: number): number {
    if (sec <= this.startSec) return 0;
    if (sec >= this.endSec) return this.total;
    const d = Math.floor((sec - this.firstMidnight) / DAY);
    const c = this.count(d);
    const m = this.midnight(d);
    const pa = this.rhythm(this.dayStart(d) - m);
    const ftot = this.rhythm(this.dayEnd(d) - m) - pa;
    return this.cum[d]! + ceilDiv(c * (this.rhythm(sec - m) - pa), ftot);
  }

  /** Second at which event i (0 ≤ i < total) was received. */
  timeOf(i: number): number {
    // Last day whose cumulative count is ≤ i (days with no events are skipped over by the search).
    let lo = 0;
    let hi = this.days - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.cum[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    const d = lo;
    const c = this.count(d);
    const m = this.midnight(d);
    const pa = this.rhythm(this.dayStart(d) - m);
    const ftot = this.rhythm(this.dayEnd(d) - m) - pa;
    // Largest x (seconds after midnight) with c·P(x) ≤ y; P is strictly increasing, so it lies in the day's span.
    const y = c * pa + (i - this.cum[d]!) * ftot;
    let h = 0;
    while (h < 23 && c * this.hourCum[h + 1]! <= y) h++;
    const r = floorDiv(y - c * this.hourCum[h]!, c * this.hour[h]!);
    return m + h * HOUR + Math.min(r, HOUR - 1);
  }

  /** Generated events per day, oldest first: the table every other answer is computed from. */
  perDay(): DayCount[] {
    return Array.from({ length: this.days }, (_, d) => ({ daySec: this.midnight(d), events: this.count(d) }));
  }

  private count(d: number): number {
    return this.cum[d + 1]! - this.cum[d]!;
  }

  private midnight(d: number): number {
    return this.firstMidnight + d * DAY;
  }

  private dayStart(d: number): number {
    return Math.max(this.startSec, this.midnight(d));
  }

  private dayEnd(d: number): number {
    return Math.min(this.endSec, this.midnight(d) + DAY);
  }

  /** The day's share of the rhythm (a partial first or last day covers only part of it). */
  private covered(d: number): number {
    const m = this.midnight(d);
    return this.rhythm(this.dayEnd(d) - m) - this.rhythm(this.dayStart(d) - m);
  }

  /** P(x): the rhythm's integral over the first x seconds of a UTC day (0 ≤ x ≤ DAY). */
  private rhythm(x: number): number {
    const h = Math.min(23, Math.floor(x / HOUR));
    return this.hourCum[h]! + this.hour[h]! * (x - h * HOUR);
  }
}

/** ⌊a/b⌋ for non-negative integers below 2^53, corrected for the rounding of the floating-point quotient. */
function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  if (q * b > a) q--;
  else if ((q + 1) * b <= a) q++;
  return q;
}

function ceilDiv(a: number, b: number): number {
  return a <= 0 ? 0 : floorDiv(a - 1, b) + 1;
}
