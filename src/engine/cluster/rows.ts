import type { RunStream, RunStreamUpsert } from '../../store/models.js';
import type { Store } from '../../store/repository.js';

/**
 * The run history as a unit on a worker writes it. A unit may be the second (or tenth) part of a stream's read — the
 * one before yielded its slot, or died — so the part's requests, retries, waits and time add to what the row already
 * holds. Its records and pages do not need that: the runner starts them from the counts carried in the checkpoint
 * (`carryCounts`), which commit with each page, where the row saved after the commit can be a page behind a kill -9.
 * While the unit is yielding, the outcome its runner gives the stopped read ("failed", with the abort's message) is
 * not written: the row stays open for the part that goes on.
 */
export async function continuingStore(store: Store, runId: string, yielding: () => boolean): Promise<Store> {
  const bases = new Map<string, RunStream>();
  for (const r of await store.runs.listStreams(runId)) bases.set(`${r.stream}@${r.partition}`, r);
  const upsertStream = (row: RunStreamUpsert) => {
    const base = bases.get(`${row.stream}@${row.partition ?? ''}`);
    const out: RunStreamUpsert = { ...row };
    for (const k of ['requests', 'retries', 'wait_ms', 'duration_ms'] as const) {
      const v = row[k];
      if (v !== undefined) out[k] = v + (base?.[k] ?? 0);
    }
    if (base) out.started_at = base.started_at;
    // A read that ended ok or skipped keeps its outcome even when its slice was up as it ended.
    if (yielding() && row.outcome !== 'ok' && row.outcome !== 'skipped') {
      out.outcome = null;
      out.finished_at = null;
      out.message = base?.message ?? null;
    }
    return store.runs.upsertStream(out);
  };
  const runs = override(store.runs, { upsertStream });
  return override(store, { runs });
}

/** `target` with some members replaced; every other method still runs on the real object (private fields work). */
export function override<T extends object>(target: T, members: Partial<T>): T {
  return new Proxy(target, {
    get(t, p) {
      if (Object.hasOwn(members, p)) return members[p as keyof T];
      const v: unknown = Reflect.get(t, p, t);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}
