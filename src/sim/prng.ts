/**
 * Deterministic randomness. Every simulated record is derived from a hash of (seed, kind, parent ids, index) rather
 * than from a shared stream, so any record can be produced on its own, in O(1), in any order, and comes out the same
 * on every machine (only 32-bit integer arithmetic is used: no floating-point drift between platforms).
 */

/** Finalizer from murmur3: a good 32-bit avalanche. */
export function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash any number of integers (each taken modulo 2^32, plus its high part for large safe integers). */
export function hash(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    const lo = p >>> 0;
    const hi = Math.floor(p / 0x1_0000_0000) >>> 0;
    h = mix32(h ^ mix32(lo + 0x7f4a7c15));
    if (hi !== 0) h = mix32(h ^ mix32(hi + 0x2545f491));
  }
  return h;
}

/** FNV-1a, for mixing strings (kinds, field names) into hashes. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a small, fast PRNG for records that need a handful of random choices. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  static of(...parts: number[]): Rng {
    return new Rng(hash(...parts));
  }

  /** Next 32-bit unsigned integer. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    if (n <= 1) return 0;
    return this.next() % n;
  }

  /** Integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability num/den (integers, so the outcome is exact everywhere). */
  chance(num: number, den: number): boolean {
    return this.int(den) < num;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  hex(chars: number): string {
    let out = '';
    while (out.length < chars) out += this.next().toString(16).padStart(8, '0');
    return out.slice(0, chars);
  }
}

/** Pick from a list by a hash value (no Rng object needed). */
export function pickBy<T>(items: readonly T[], h: number): T {
  const item = items[(h >>> 0) % items.length];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/** A uniform fraction in [0, 1) from a hash, for probabilities given as decimals (fault shares). */
export function unitFromHash(h: number): number {
  return (h >>> 0) / 0x1_0000_0000;
}
