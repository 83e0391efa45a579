import { describe, expect, it } from 'vitest';
import { Pacer } from '../../src/engine/poller/pacer.js';
import { Visits } from '../../src/engine/poller/visits.js';

/**
 * The poller's policy on a simulated clock: which project is looked at, and how fast the bucket lets looks go. The
 * poller against the simulator is poller.test.ts.
 */
describe('visits', () => {
  const bounds = { maxMs: 300_000 };

  /** Looks every `stepMs` for `forMs`; a project finds events at a look when `finds` says so. */
  function simulate(keys: string[], finds: (key: string, look: number) => number, forMs: number, stepMs = 4000) {
    const v = new Visits(keys, bounds, 0);
    const times = new Map<string, number[]>(keys.map((k) => [k, []]));
    let n = 0;
    for (let now = 0; now < forMs; now += stepMs) {
      const next = v.next(now)!;
      times.get(next.key)!.push(now);
      v.looked(next.key, finds(next.key, n++), now);
    }
    return times;
  }
  const gapsOf = (t: number[], end: number) => [...t, end].slice(1).map((x, i) => x - t[i]!);
  const keys = Array.from({ length: 25 }, (_, i) => `p${i}`);

  it('sweeps a quiet account round and round, each project once per sweep', () => {
    const times = simulate(keys, () => 0, 3_600_000);
    for (const k of keys) {
      // 25 projects at a look every 4 s: every 100 s exactly.
      const gaps = gapsOf(times.get(k)!, 3_600_000).slice(0, -1);
      expect(new Set(gaps), k).toEqual(new Set([100_000]));
    }
  });

  it('looks at busy projects more often (at most 2 ×), and at idle ones within the sweep of their weight', () => {
    const busy = new Set(keys.slice(0, 5));
    const times = simulate(keys, (k) => (busy.has(k) ? 2 : 0), 3_600_000);
    const count = (k: string) => times.get(k)!.length;
    for (const b of busy)
      for (const k of keys.slice(5)) {
        expect(count(b), `${b} vs ${k}`).toBeGreaterThan(1.3 * count(k));
        expect(count(b), `${b} vs ${k}`).toBeLessThanOrEqual(2.1 * count(k));
      }
    for (const k of keys.slice(5)) expect(Math.max(...gapsOf(times.get(k)!, 3_600_000)), k).toBeLessThan(200_000);
  });

  it('looks at a project no later than the maximum interval, however busy the others are', () => {
    const many = Array.from({ length: 100 }, (_, i) => `p${i}`);
    // 100 projects at a look every 4 s would take 400 s a sweep; the busy ones, weighed double, longer still.
    const busy = new Set(many.slice(0, 20));
    const times = simulate(many, (k) => (busy.has(k) ? 5 : 0), 3_600_000);
    for (const k of many.slice(20)) {
      const gaps = gapsOf(times.get(k)!, 3_600_000).slice(0, -1);
      // Overdue projects go first, oldest first: the wait is the maximum plus the overdue ones ahead in line.
      expect(Math.max(...gaps), k).toBeLessThanOrEqual(bounds.maxMs + many.length * 4000);
    }
    // Without the overdue rule the quiet ones would wait for the busy ones' double weight: 2 × 80 + 20 looks ahead.
    expect(Math.min(...many.slice(20).map((k) => times.get(k)!.length))).toBeGreaterThanOrEqual(3_600_000 / 700_000);
  });

  it('forgets activity: a project busy an hour ago weighs less than one busy now', () => {
    const v = new Visits(['a', 'b', 'c'], bounds, 0);
    v.looked('a', 50, 0);
    v.looked('b', 5, 3_600_000);
    const [a, b, c] = v.list();
    const mean = (50 * 2 ** -4 + 5) / 3;
    expect(v.weight(b!, mean, 3_600_000)).toBeGreaterThan(v.weight(a!, mean, 3_600_000));
    expect(v.weight(c!, mean, 3_600_000)).toBe(1);
  });
});

describe('pacer', () => {
  it('lets looks go at share × limit per window, each paying for its requests', () => {
    let now = 0;
    const pacer = new Pacer({ limit: 30, windowMs: 60_000, share: 0.5 }, () => now);
    let requests = 0;
    while (now < 600_000) {
      const wait = pacer.waitMs();
      now += wait;
      if (now >= 600_000) break;
      // Every third look needs two pages.
      const r = requests % 3 === 2 ? 2 : 1;
      pacer.spend(r);
      requests += r;
    }
    // 10 minutes at 15 a minute, plus the one look of credit the bucket starts with.
    expect(requests).toBeLessThanOrEqual(151);
    expect(requests).toBeGreaterThanOrEqual(148);
  });

  it('refills at a learned limit from when it was learned', () => {
    let now = 0;
    const pacer = new Pacer({ limit: 30, windowMs: 60_000, share: 0.5 }, () => now);
    pacer.spend(1);
    expect(pacer.waitMs()).toBe(4000);
    pacer.setLimit(60);
    expect(pacer.waitMs()).toBe(2000);
    now += 2000;
    expect(pacer.waitMs()).toBe(0);
  });
});
