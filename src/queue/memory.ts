import { randomUUID } from 'node:crypto';
import type { EnqueueJob, GroupSettle, JobQueue, Json, LiveWorker, TakenJob } from './port.js';

interface Waiting {
  id: string;
  data: Json;
  startAfter: number;
  retries: number;
  group?: string;
}

export interface MemoryQueueOptions {
  /** Kept for the port's sake: nothing dies apart from this process, so no lease ever runs out. Default 60 s. */
  leaseMs?: number;
  /** A failed job is taken again this many times. Default 3. */
  retryLimit?: number;
}

/**
 * The in-process implementation of the port: lanes as arrays, one job per lane at a time, delays by start time.
 * What is lost when the process ends is lost: use it where the run lives and dies with the process anyway.
 */
export function memoryQueue(options: MemoryQueueOptions = {}): JobQueue {
  const lanes = new Map<string, Waiting[]>();
  const busy = new Set<string>();
  const groups = new Map<
    string,
    { total: number; results: Map<string, Json>; cancelled: boolean; settledAt: number }
  >();
  const states = new Map<string, Json>();
  const workers = new Map<string, LiveWorker>();
  const retryLimit = options.retryLimit ?? 3;
  let order: string[] = [];
  let turn = 0;

  const group = (id: string) => {
    const g = groups.get(id);
    if (!g) throw new Error(`No group ${id} in this queue.`);
    return g;
  };
  const release = (job: TakenJob) => {
    busy.delete(job.lane);
  };
  const push = (lane: string, w: Waiting) => {
    let list = lanes.get(lane);
    if (!list) {
      list = [];
      lanes.set(lane, list);
      order.push(lane);
    }
    list.push(w);
  };

  return {
    leaseMs: options.leaseMs ?? 60_000,
    async enqueue(jobs: readonly EnqueueJob[]) {
      for (const j of jobs)
        push(j.lane, {
          id: randomUUID(),
          data: j.data,
          startAfter: j.startAfter?.getTime() ?? 0,
          retries: 0,
          ...(j.group ? { group: j.group } : {}),
        });
    },
    async take() {
      const now = Date.now();
      for (let i = 0; i < order.length; i++) {
        const lane = order[(turn + i) % order.length]!;
        if (busy.has(lane)) continue;
        const list = lanes.get(lane)!;
        const at = list.findIndex((w) => w.startAfter <= now);
        if (at < 0) continue;
        const [w] = list.splice(at, 1);
        busy.add(lane);
        turn = (turn + i + 1) % order.length;
        return { id: w!.id, lane, data: w!.data, retries: w!.retries, ...(w!.group ? { group: w!.group } : {}) };
      }
      order = order.filter((l) => (lanes.get(l)?.length ?? 0) > 0 || busy.has(l));
      for (const l of [...lanes.keys()]) if (!order.includes(l)) lanes.delete(l);
      return null;
    },
    async complete(job) {
      release(job);
    },
    async fail(job) {
      release(job);
      if (job.retries < retryLimit)
        push(job.lane, {
          id: job.id,
          data: job.data,
          startAfter: Date.now(),
          retries: job.retries + 1,
          ...(job.group ? { group: job.group } : {}),
        });
    },
    async delay(job, until, data) {
      release(job);
      push(job.lane, {
        id: randomUUID(),
        data: data ?? job.data,
        startAfter: until.getTime(),
        retries: 0,
        ...(job.group ? { group: job.group } : {}),
      });
    },
    async openGroup(id, jobs) {
      groups.set(id, { total: jobs, results: new Map(), cancelled: false, settledAt: Date.now() });
    },
    async settle(id, key, result, grow = 0): Promise<GroupSettle> {
      const g = group(id);
      const fresh = !g.results.has(key);
      if (fresh) {
        g.results.set(key, result);
        g.total += grow;
        g.settledAt = Date.now();
      }
      return { fresh, complete: g.results.size >= g.total };
    },
    async results(id) {
      return new Map(group(id).results);
    },
    async cancelGroup(id) {
      group(id).cancelled = true;
    },
    async isCancelled(id) {
      return groups.get(id)?.cancelled ?? false;
    },
    async withdraw(id) {
      const out: Json[] = [];
      for (const [lane, list] of lanes) {
        const kept = list.filter((w) => w.group !== id);
        for (const w of list) if (w.group === id) out.push(w.data);
        lanes.set(lane, kept);
      }
      return out;
    },
    async purgeGroups(settledBefore) {
      let n = 0;
      for (const [id, g] of groups)
        if (g.results.size >= g.total && g.settledAt < settledBefore.getTime()) {
          groups.delete(id);
          n++;
        }
      return n;
    },
    async laneState(lane) {
      return states.get(lane) ?? null;
    },
    async setLaneState(lane, state) {
      states.set(lane, state);
    },
    async beat(worker) {
      const now = new Date();
      workers.set(worker.id, { ...worker, startedAt: workers.get(worker.id)?.startedAt ?? now, beatAt: now });
    },
    async leave(workerId) {
      workers.delete(workerId);
    },
    async workers(withinMs) {
      const since = Date.now() - withinMs;
      return [...workers.values()].filter((w) => w.beatAt.getTime() >= since);
    },
    async close() {
      lanes.clear();
    },
  };
}
