/**
 * The job queue port: how sync work (a run's units) is handed to whoever executes it, in this process or on any
 * worker of a cluster. The engine speaks only this interface; two implementations sit behind it:
 *
 *  - `memoryQueue()` — in-process, for a library user, tests, and one machine without PostgreSQL;
 *  - `postgresQueue()` — pg-boss@10.4 on PostgreSQL, for `snagsync worker` processes on many machines.
 *
 * Jobs live in **lanes**. A lane runs one job at a time across every process that takes work from the queue, and
 * lanes run side by side: snagsync gives each token its own lane, so however many workers there are, one token's
 * requests are made by one unit at a time (the token's in-flight cap is then kept by that unit's rate limiter), and
 * a slow or rate-limited token never holds up the others.
 *
 * A job taken and never completed (its process killed) is taken again once its **lease** runs out; a job can be
 * **delayed** (completed now, the same work enqueued to start later) so that a `Retry-After` or an empty rate-limit
 * budget costs no worker slot. **Groups** count the jobs of one run so that the last to settle knows it is the last
 * and can close the run, and carry the run's cancellation to every worker; a job enqueued in a group can be
 * **withdrawn** while no one has taken it (a run cancelled before a worker got to it). **Lane state** is a small JSON
 * value per lane shared by every process: the token's learned rate-limit budget. **Workers** beat while they run, so
 * whoever waits on the queue can tell when nobody is there to take its jobs.
 */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface EnqueueJob {
  lane: string;
  data: Json;
  /** Not taken before this time (a delayed job). */
  startAfter?: Date;
  /** The (open) group the job counts in: `withdraw(group)` takes it back while no one has taken it. */
  group?: string;
}

export interface TakenJob {
  id: string;
  lane: string;
  data: Json;
  /** 0 the first time; more when a lease ran out or the job failed and was retried. */
  retries: number;
  /** The group it was enqueued in (a delay keeps it there). */
  group?: string;
}

/** A process taking work from the queue (`snagsync worker`), as it registers itself. */
export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  /** Jobs it executes at once. */
  slots: number;
}

export interface LiveWorker extends WorkerInfo {
  startedAt: Date;
  beatAt: Date;
}

export interface GroupSettle {
  /** True when every job counted in the group has settled (this call may have settled the last). */
  complete: boolean;
  /** Newly settled by this call (false when the job had settled before: a retried job settles once). */
  fresh: boolean;
}

export interface JobQueue {
  /** Lease of a taken job: a job whose process dies is taken again this long after it was taken. */
  readonly leaseMs: number;
  enqueue(jobs: readonly EnqueueJob[]): Promise<void>;
  /** One job whose lane is free and whose start time has come, or null when there is none now. */
  take(): Promise<TakenJob | null>;
  complete(job: TakenJob): Promise<void>;
  /** The job is taken again later (until its retries are spent). */
  fail(job: TakenJob, error: Error): Promise<void>;
  /** Completes `job` and enqueues the same work on its lane to start at `until` (data may be replaced). */
  delay(job: TakenJob, until: Date, data?: Json): Promise<void>;

  /** Starts a group expecting `jobs` settles. */
  openGroup(group: string, jobs: number): Promise<void>;
  /**
   * Records one job's result once (by `key`), returning whether the group is now complete. `grow` adds that many
   * jobs to the group in the same step, once (the job that enqueued more work says so when it settles, so a job run
   * twice after a lost lease cannot count its children twice).
   */
  settle(group: string, key: string, result: Json, grow?: number): Promise<GroupSettle>;
  /** Every result settled so far, by key. */
  results(group: string): Promise<Map<string, Json>>;
  cancelGroup(group: string): Promise<void>;
  isCancelled(group: string): Promise<boolean>;
  /**
   * Removes the jobs of the group that no one has taken (waiting or delayed; one taken at the same moment stays with
   * whoever took it) and returns their data, so that the caller can settle them. Jobs in flight are not touched.
   */
  withdraw(group: string): Promise<Json[]>;
  /**
   * Forgets the groups that completed (every job settled) before `settledBefore`: their runs have ended and been
   * read. Returns how many. Workers call it now and then, so the queue does not keep every run's results forever.
   */
  purgeGroups(settledBefore: Date): Promise<number>;

  laneState(lane: string): Promise<Json | null>;
  setLaneState(lane: string, state: Json): Promise<void>;

  /** The worker is alive now (its first beat registers it); a worker beats every few seconds while it runs. */
  beat(worker: WorkerInfo): Promise<void>;
  /** The worker stops: it no longer counts as alive. */
  leave(workerId: string): Promise<void>;
  /** The workers whose last beat is at most `withinMs` old (by the queue's clock: the database's, in a cluster). */
  workers(withinMs: number): Promise<LiveWorker[]>;

  close(): Promise<void>;
}
