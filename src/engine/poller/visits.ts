/**
 * Which project the poller looks at next. Each project has an interval: halved after a look that found events (it is
 * busy now, it will likely be busy again), doubled after an empty one, kept within [the fastest the poller's share
 * allows, the longest an idle project may wait]. The next look goes to the project whose time (last look + interval)
 * is earliest — even before it is due, because the share is the poller's to spend: with nothing due it looks ahead
 * at whoever is closest, so a quiet account is swept round and round, and a busy project's short interval only moves
 * it up the line, never starves the rest (an idle project waits at most its interval plus one look per project).
 */
export interface Visit {
  /** The partition key (`project:ID`). */
  key: string;
  intervalMs: number;
  /** Last look + interval: the earliest time goes first. */
  nextAt: number;
  lastLookAt: number | null;
  /** Records the last look found. */
  lastFound: number;
  looks: number;
}

export interface VisitBounds {
  minMs: number;
  maxMs: number;
}

export class Visits {
  private readonly visits: Visit[];

  constructor(
    keys: readonly string[],
    private bounds: VisitBounds,
    now: number,
  ) {
    // Start as a sweep: everyone once, in order, at the pace the share allows.
    const first = clamp(keys.length * bounds.minMs, bounds);
    this.visits = keys.map((key, i) => ({
      key,
      intervalMs: first,
      nextAt: now + i,
      lastLookAt: null,
      lastFound: 0,
      looks: 0,
    }));
  }

  get size(): number {
    return this.visits.length;
  }

  /** The share changed (the token's limit was learned): intervals stay, their bounds move. */
  setBounds(bounds: VisitBounds): void {
    this.bounds = bounds;
    for (const v of this.visits) v.intervalMs = clamp(v.intervalMs, bounds);
  }

  /** The project to look at next (undefined when there are none). */
  next(): Visit | undefined {
    let best: Visit | undefined;
    for (const v of this.visits) if (!best || v.nextAt < best.nextAt) best = v;
    return best;
  }

  looked(key: string, found: number, now: number): void {
    const v = this.visits.find((x) => x.key === key);
    if (!v) return;
    v.intervalMs = clamp(found > 0 ? v.intervalMs / 2 : v.intervalMs * 2, this.bounds);
    v.nextAt = now + v.intervalMs;
    v.lastLookAt = now;
    v.lastFound = found;
    v.looks++;
  }

  /** A failed look: try the project again after its interval, unchanged. */
  failed(key: string, now: number): void {
    const v = this.visits.find((x) => x.key === key);
    if (!v) return;
    v.nextAt = now + v.intervalMs;
    v.lastLookAt = now;
    v.looks++;
  }

  list(): readonly Visit[] {
    return this.visits;
  }
}

function clamp(ms: number, b: VisitBounds): number {
  return Math.max(b.minMs, Math.min(b.maxMs, ms));
}
