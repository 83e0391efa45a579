import { Rng } from '../prng.js';

/**
 * Which error each generated event belongs to, in O(1) both ways, with a realistic skew (a few errors own most events).
 *
 * A shuffled pattern of length P holds error e exactly w_e times (Zipf-like weights) and repeats along the event
 * index: event i belongs to pattern[i mod P]. So error e's occurrences are the indexes q·P + pos_e[j], its k-th
 * occurrence is at (⌊k / w_e⌋·P + pos_e[k mod w_e]), and how many it has below any index is a division plus a binary
 * search. Memory is O(P) = O(errors), whatever the number of events.
 */
export class ErrorPattern {
  readonly period: number;
  readonly errors: number;
  private readonly pattern: Int32Array;
  /** Rank of each pattern position among its error's positions. */
  private readonly rank: Int32Array;
  private readonly offsets: Int32Array;
  private readonly positions: Int32Array;

  constructor(seed: number, errors: number, events: number) {
    this.errors = Math.min(errors, events);
    const weights = zipfWeights(this.errors, events);
    let total = 0;
    for (const w of weights) total += w;
    this.period = total;
    const pattern = new Int32Array(total);
    let at = 0;
    weights.forEach((w, e) => {
      for (let j = 0; j < w; j++) pattern[at++] = e;
    });
    const rng = new Rng(seed);
    for (let i = total - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const tmp = pattern[i]!;
      pattern[i] = pattern[j]!;
      pattern[j] = tmp;
    }
    this.pattern = pattern;
    this.offsets = new Int32Array(this.errors + 1);
    for (let e = 0; e < this.errors; e++) this.offsets[e + 1] = this.offsets[e]! + weights[e]!;
    this.positions = new Int32Array(total);
    this.rank = new Int32Array(total);
    const fill = Int32Array.from(this.offsets.subarray(0, this.errors));
    for (let p = 0; p < total; p++) {
      const e = pattern[p]!;
      const slot = fill[e]!++;
      this.positions[slot] = p;
      this.rank[p] = slot - this.offsets[e]!;
    }
  }

  weight(e: number): number {
    return this.offsets[e + 1]! - this.offsets[e]!;
  }

  errorAt(i: number): number {
    return this.pattern[i % this.period]!;
  }

  /** Occurrence number of event i within its error. */
  occurrenceAt(i: number): number {
    const p = i % this.period;
    const e = this.pattern[p]!;
    return Math.floor(i / this.period) * this.weight(e) + this.rank[p]!;
  }

  /** Event index of error e's k-th occurrence. */
  indexOf(e: number, k: number): number {
    const w = this.weight(e);
    return Math.floor(k / w) * this.period + this.positions[this.offsets[e]! + (k % w)]!;
  }

  /** How many occurrences of error e have an event index below x. */
  countBelow(e: number, x: number): number {
    if (x <= 0) return 0;
    const w = this.weight(e);
    const q = Math.floor(x / this.period);
    const rem = x - q * this.period;
    let lo = this.offsets[e]!;
    let hi = this.offsets[e + 1]!;
    const base = lo;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.positions[mid]! < rem) lo = mid + 1;
      else hi = mid;
    }
    return q * w + (lo - base);
  }
}

/** Weights ∝ 1/(rank+1), at least 1 each, summing to at most min(events, 8·errors); ranks shuffled by error. */
function zipfWeights(errors: number, events: number): number[] {
  const target = Math.min(events, errors * 8);
  let harmonic = 0;
  for (let r = 1; r <= errors; r++) harmonic += 1 / r;
  const scale = target / harmonic;
  const byRank: number[] = [];
  let sum = 0;
  for (let r = 0; r < errors; r++) {
    const w = Math.max(1, Math.floor(scale / (r + 1)));
    byRank.push(w);
    sum += w;
  }
  if (sum > events) return new Array<number>(errors).fill(1);
  // Error 0 need not be the biggest: spread ranks with a fixed stride permutation.
  const stride = largestCoprimeBelow(errors, Math.max(1, Math.floor(errors * 0.618)));
  const weights = new Array<number>(errors);
  for (let r = 0; r < errors; r++) weights[(r * stride) % errors] = byRank[r]!;
  return weights;
}

function largestCoprimeBelow(n: number, start: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  for (let s = start; s >= 1; s--) if (gcd(s, n) === 1) return s;
  return 1;
}
