/**
 * Which project the poller looks at next. The poller spends its whole share (a look whenever its bucket allows), so
 * the question is only the order: the project whose events have waited longest, weighed by how busy it has been —
 * time since its last look × a weight from 1 (nothing found lately) to 2 (far busier than the average), and first of
 * all any project not looked at for the longest an idle project may wait (`maxMs`).
 *
 * Why a weight of at most 2 and not "halve the interval after events, double it after none": the goal is the p95 of
 * every event's lag, and a fifth of the projects getting 80 % of the events still leaves a fifth of the events in the
 * quiet projects. Looked at 2 × less often, their events set the p95 near 0.9 × a plain sweep; halving and doubling
 * (measured: bench/freshness.ts) left quiet projects waiting minutes and the p95 at 1.3–1.7 × the sweep. Activity is
 * the events a project's looks found, decaying by half every `halfLifeMs`.
 */
export interface Visit {
  /** The partition key (`project:ID`). */
  key: string;
  lastLookAt: number;
  /** Events found lately (decayed to `decayedAt`). */
  activity: number;
  decayedAt: number;
  /** Events the last look found. */
  lastFound: number;
  looks: number;
}

export interface VisitBounds {
  /** The longest an idle project waits for a look. */
  maxMs: number;
  /** How fast found events stop counting as activity (default 3 × maxMs). */
  halfLifeMs?: number;
}

export class Visits {
  private readonly visits: Visit[];
  private readonly maxMs: number;
  private readonly halfLifeMs: number;

  constructor(keys: readonly string[], bounds: VisitBounds, now: number) {
    this.maxMs = bounds.maxMs;
    this.halfLifeMs = bounds.halfLifeMs ?? 3 * bounds.maxMs;
    // The first sweep goes in order: as if each had been looked at one step before the next.
    this.visits = keys.map((key, i) => ({
      key,
      lastLookAt: now - keys.length + i,
      activity: 0,
      decayedAt: now,
      lastFound: 0,
      looks: 0,
    }));
  }

  get size(): number {
    return this.visits.length;
  }

  /** The project to look at next (undefined when there are none). */
  next(now: number): Visit | undefined {
    let overdue: Visit | undefined;
    for (const v of this.visits)
      if (now - v.lastLookAt >= this.maxMs && (!overdue || v.lastLookAt < overdue.lastLookAt)) overdue = v;
    if (overdue) return overdue;
    const mean = this.visits.reduce((s, v) => s + this.activityAt(v, now), 0) / Math.max(1, this.visits.length);
    let best: Visit | undefined;
    let bestScore = -Infinity;
    for (const v of this.visits) {
      const score = (now - v.lastLookAt) * this.weight(v, mean, now);
      if (score > bestScore) {
        best = v;
        bestScore = score;
      }
    }
    return best;
  }

  /** 1 for a project with nothing found lately, towards 2 for one far busier than the average. */
  weight(v: Visit, mean: number, now: number): number {
    const a = this.activityAt(v, now);
    return a <= 0 ? 1 : 1 + a / (a + mean);
  }

  looked(key: string, found: number, now: number): void {
    const v = this.visits.find((x) => x.key === key);
    if (!v) return;
    v.activity = this.activityAt(v, now) + found;
    v.decayedAt = now;
    v.lastLookAt = now;
    v.lastFound = found;
    v.looks++;
  }

  list(): readonly Visit[] {
    return this.visits;
  }

  private activityAt(v: Visit, now: number): number {
    return v.activity * 2 ** (-(now - v.decayedAt) / this.halfLifeMs);
  }
}
