/**
 * The continuous poller's order of looks on a simulated clock (no network, no simulator, a few seconds): the p50 and
 * p95 of every event's lag, as a share of the sweep limit, for the shipped order (src/engine/poller/visits.ts) and
 * two alternatives tried for skewed activity (docs/performance.md, "Freshness"):
 *
 * - `shipped`: time since the last look × a weight from 1 to 2 by recent activity; idle projects at least every 5 min.
 * - `intervals`: each project's rate learned from what its looks found; target intervals chosen for the p95 (the
 *   busiest looked at every x, the rest as rarely as the p95 allows, x as small as the looks allow); the project
 *   furthest past its interval goes next.
 * - `quiet-demotion`: the shipped order, but a project whose long-run activity (half-life 1 h) is under 15 % of the
 *   mean is looked at 10 × less often (in effect at the 5-minute bound).
 * - `burst-follow`: the shipped order, but a project whose last look found events weighs 2 × more (bursts go on).
 *
 * Events arrive as a Poisson stream (one every 10 s on average), a look every 4 s (25 projects: a 100 s sweep, as
 * half of a 30 requests/minute token). Activity as in bench/freshness.ts: uniform, skewed (80 % of the events in a
 * fifth of the projects), skewed-95, bursty (80/20, each event 4 times in 5 from the project of the one before).
 * Four simulated hours per case, the first 10 minutes not counted, 5 seeds.
 *
 *   npx tsx bench/poller-policies.ts
 */
import { Visits } from '../src/engine/poller/visits.js';

type Activity = 'uniform' | 'skewed' | 'skewed-95' | 'bursty';
type PolicyName = 'shipped' | 'intervals' | 'quiet-demotion' | 'burst-follow';

const STEP_MS = 4000;
const MAX_MS = 300_000;
const HALF_LIFE_MS = 3 * MAX_MS;
const EVERY_MS = 10_000;
const END_MS = 4 * 3_600_000;
const WARMUP_MS = 600_000;

interface Policy {
  next(now: number): string;
  looked(key: string, found: number, now: number): void;
}

/** Decayed counts of found events, per project, with a given half-life. */
class Activity_ {
  private readonly a = new Map<string, { v: number; at: number }>();
  constructor(private readonly halfLifeMs: number) {}
  at(key: string, now: number): number {
    const x = this.a.get(key);
    return x ? x.v * 2 ** (-(now - x.at) / this.halfLifeMs) : 0;
  }
  add(key: string, found: number, now: number): void {
    this.a.set(key, { v: this.at(key, now) + found, at: now });
  }
}

function shipped(keys: string[]): Policy {
  const v = new Visits(keys, { maxMs: MAX_MS }, 0);
  return { next: (now) => v.next(now)!.key, looked: (k, f, now) => v.looked(k, f, now) };
}

/**
 * The shipped order re-implemented with two variations: `quiet` demotes quiet projects (weight × 0.1 under 15 % of
 * the mean long-run activity, proportionally above), `burst` doubles the weight of a project whose last look found
 * events.
 */
function weighted(keys: string[], variant: { quiet: boolean; burst: boolean }): Policy {
  const found = new Map<string, number>();
  const short = new Activity_(HALF_LIFE_MS);
  const long = new Activity_(4 * HALF_LIFE_MS);
  const last = new Map(keys.map((k, i) => [k, -keys.length + i]));
  return {
    next(now) {
      const overdue = keys.filter((k) => now - last.get(k)! >= MAX_MS).sort((a, b) => last.get(a)! - last.get(b)!);
      if (overdue.length > 0) return overdue[0]!;
      const mean = keys.reduce((s, k) => s + short.at(k, now), 0) / keys.length;
      const longMean = keys.reduce((s, k) => s + long.at(k, now), 0) / keys.length;
      let best = keys[0]!;
      let bestScore = -Infinity;
      for (const k of keys) {
        const a = short.at(k, now);
        const w = a <= 0 ? 1 : 1 + a / (a + mean);
        const quiet =
          variant.quiet && longMean > 0 ? Math.min(1, Math.max(0.1, long.at(k, now) / (0.15 * longMean))) : 1;
        const burst = variant.burst && (found.get(k) ?? 0) > 0 ? 2 : 1;
        const score = (now - last.get(k)!) * w * quiet * burst;
        if (score > bestScore) {
          best = k;
          bestScore = score;
        }
      }
      return best;
    },
    looked(k, f, now) {
      short.add(k, f, now);
      long.add(k, f, now);
      last.set(k, now);
      found.set(k, f);
    },
  };
}

/** Target intervals for the p95 from learned rates (the linear plan: see the header). */
function intervals(keys: string[]): Policy {
  const short = new Activity_(HALF_LIFE_MS);
  const last = new Map(keys.map((k, i) => [k, -keys.length + i]));
  const r = 1 / STEP_MS;
  return {
    next(now) {
      const overdue = keys.filter((k) => now - last.get(k)! >= MAX_MS).sort((a, b) => last.get(a)! - last.get(b)!);
      if (overdue.length > 0) return overdue[0]!;
      const rates = keys.map((k) => short.at(k, now) + 0.5);
      const order = rates.map((_, i) => i).sort((a, b) => rates[b]! - rates[a]!);
      const total = rates.reduce((s, x) => s + x, 0);
      const plan = (x: number) => {
        const c = rates.map(() => 1 / MAX_MS);
        let left = r - keys.length / MAX_MS;
        let late = 0;
        for (const i of order) {
          const give = Math.min(Math.max(0, 1 / x - 1 / MAX_MS), left);
          c[i]! += give;
          left -= give;
          late += rates[i]! * Math.max(0, 1 - x * c[i]!);
        }
        return { c, late };
      };
      let lo = 0;
      let hi = keys.length / r;
      for (let k = 0; k < 40; k++) {
        const x = (lo + hi) / 2;
        if (plan(x).late <= 0.05 * total) hi = x;
        else lo = x;
      }
      const c = plan(hi).c;
      let best = keys[0]!;
      let bestScore = -Infinity;
      keys.forEach((k, i) => {
        const score = (now - last.get(k)!) * c[i]!;
        if (score > bestScore) {
          best = k;
          bestScore = score;
        }
      });
      return best;
    },
    looked(k, f, now) {
      short.add(k, f, now);
      last.set(k, now);
    },
  };
}

const POLICIES: Record<PolicyName, (keys: string[]) => Policy> = {
  shipped,
  intervals,
  'quiet-demotion': (keys) => weighted(keys, { quiet: true, burst: false }),
  'burst-follow': (keys) => weighted(keys, { quiet: false, burst: true }),
};

function run(policy: PolicyName, activity: Activity, n: number, seed0: number): number[] {
  let seed = seed0;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const keys = Array.from({ length: n }, (_, i) => `p${i}`);
  const hot = keys.slice(0, Math.max(1, Math.round(n / 5)));
  const cold = keys.slice(hot.length);
  const share = activity === 'skewed-95' ? 0.95 : 0.8;
  let last: string | null = null;
  const pick = () => {
    if (activity === 'uniform') return keys[Math.floor(rnd() * n)]!;
    if (activity === 'bursty' && last !== null && rnd() < 0.8) return last;
    last = rnd() < share ? hot[Math.floor(rnd() * hot.length)]! : cold[Math.floor(rnd() * cold.length)]!;
    return last;
  };
  const p = POLICIES[policy](keys);
  const pending = new Map<string, number[]>(keys.map((k) => [k, []]));
  const lags: number[] = [];
  let nextEvent = 0;
  for (let now = 0; now < END_MS; now += STEP_MS) {
    while (nextEvent <= now) {
      pending.get(pick())!.push(nextEvent);
      nextEvent += -Math.log(1 - rnd()) * EVERY_MS;
    }
    const k = p.next(now);
    const waiting = pending.get(k)!;
    for (const t of waiting) if (t >= WARMUP_MS) lags.push(now - t);
    p.looked(k, waiting.length, now);
    waiting.length = 0;
  }
  return lags;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
};

const out: Array<Record<string, unknown>> = [];
console.log('| projects | activity | order | p50 / sweep | p95 / sweep (5 seeds: min–max) |');
console.log('|---|---|---|---|---|');
for (const n of [5, 25]) {
  for (const activity of ['uniform', 'skewed', 'skewed-95', 'bursty'] as const) {
    for (const policy of Object.keys(POLICIES) as PolicyName[]) {
      const sweep = n * STEP_MS;
      const p50: number[] = [];
      const p95: number[] = [];
      for (const seed of [7, 11, 13, 17, 19]) {
        const lags = run(policy, activity, n, seed);
        p50.push(quantile(lags, 0.5) / sweep);
        p95.push(quantile(lags, 0.95) / sweep);
      }
      const f = (x: number) => x.toFixed(2);
      const med = (xs: number[]) => quantile(xs, 0.5);
      out.push({ projects: n, activity, policy, p50: med(p50), p95_min: Math.min(...p95), p95_max: Math.max(...p95) });
      console.log(
        `| ${n} | ${activity} | ${policy} | ${f(med(p50))} | ${f(med(p95))} (${f(Math.min(...p95))}–${f(Math.max(...p95))}) |`,
      );
    }
  }
}
console.log(JSON.stringify({ bench: 'poller-policies', rows: out }));
