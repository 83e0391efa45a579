import { describe, expect, it } from 'vitest';
import { Pacer } from '../../src/engine/poller/pacer.js';
import { Visits } from '../../src/engine/poller/visits.js';

/**
 * The poller's policy on a simulated clock: which project is looked at, and how fast the bucket lets looks go. The
 * poller against the simulator is poller.test.ts.
 */
describe('visits', () => {
  const bounds = { minMs: 4000, maxMs: 300_000 };

  /** Looks at the pace of one per `stepMs` for `forMs`; `busy` projects find events at every look. */
  function simulate(keys: string[], busy: Set<string>, forMs: number, stepMs = 4000) {
    const v = new Visits(keys, bounds, 0);
    const times = new Map<string, number[]>(keys.map((k) => [k, []]));
    for (let now = 0; now < forMs; now += stepMs) {
      const next = v.next()!;
      times.get(next.key)!.push(now);
      v.looked(next.key, busy.has(next.key) ? 1 : 0, now);
    }
    return times;
  }

  it('sweeps a quiet account round and round, each project once per sweep', () => {
    const keys = Array.from({ length: 25 }, (_, i) => `p${i}`);
    const times = simulate(keys, new Set(), 3_600_000);
    for (const k of keys) {
      const t = times.get(k)!;
      const gaps = t.slice(1).map((x, i) => x - t[i]!);
      // 25 projects at a look every 4 s: every 100 s (a project's interval doubling only moves it within the line).
      expect(Math.max(...gaps), k).toBeLessThanOrEqual(bounds.maxMs);
      expect(t.length, k).toBeGreaterThanOrEqual(3_600_000 / bounds.maxMs);
    }
  });

  it('looks at busy projects more often, and at idle ones at least every maximum interval', () => {
    const keys = Array.from({ length: 25 }, (_, i) => `p${i}`);
    const busy = new Set(keys.slice(0, 5));
    const times = simulate(keys, busy, 3_600_000);
    const count = (k: string) => times.get(k)!.length;
    for (const b of busy) for (const k of keys.slice(5)) expect(count(b), `${b} vs ${k}`).toBeGreaterThan(count(k));
    for (const k of keys.slice(5)) {
      const t = [...times.get(k)!, 3_600_000];
      const gaps = t.slice(1).map((x, i) => x - t[i]!);
      // Its interval, plus at most one look per project queued at the same time.
      expect(Math.max(...gaps), k).toBeLessThanOrEqual(bounds.maxMs + keys.length * 4000);
    }
  });

  it('keeps intervals within their bounds', () => {
    const v = new Visits(['a'], bounds, 0);
    for (let i = 0; i < 20; i++) v.looked('a', 1, i);
    expect(v.next()!.intervalMs).toBe(bounds.minMs);
    for (let i = 0; i < 20; i++) v.looked('a', 0, i);
    expect(v.next()!.intervalMs).toBe(bounds.maxMs);
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
