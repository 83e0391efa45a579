import pg from 'pg';
import PgBoss from 'pg-boss';
import { createSharedTables, sharedPart } from './pg-shared.js';
import type { EnqueueJob, JobQueue, Json, TakenJob } from './port.js';

/**
 * The distributed implementation of the port, on pg-boss@10.4 (why pg-boss and not graphile-worker: docs/postgres.md,
 * "Why pg-boss"; the spike in test/queue/spike.test.ts keeps the reasons checkable).
 *
 *  - A lane is a pg-boss queue of its own with the `singleton` policy: pg-boss's unique index lets one job of the
 *    queue be active at a time, across every process. (One queue for all tokens with a `singletonKey` per token does
 *    not do: pg-boss fetches in creation order and drops the whole fetch when the next job's key is busy, so one busy
 *    token would stop every other.) Taking work visits the lanes in turn, one `fetch` each.
 *  - The lease is pg-boss's `expireInSeconds`: its supervisor (`maintenanceIntervalSeconds`) fails a job active
 *    longer than that, and the failed job is retried — taken again by any worker. pg-boss 10 has no heartbeat, so
 *    the executor keeps each job shorter than the lease (it stops after a page and delays the rest of its unit).
 *  - A delay is a new job with `startAfter`; pg-boss does not fetch it before.
 *  - Groups and lane state are small tables beside pg-boss's own, shared with the graphile-worker implementation
 *    (pg-shared.ts; no job table of ours: pg-boss owns delivery, leases and retries). A job enqueued in a group
 *    carries the group's id beside its data, and the group lists its lanes, so withdrawing the group's waiting jobs
 *    is one DELETE per lane on pg-boss's job table — on that lane's partition only, as pg-boss's own fetch does.
 *  - Workers beat in a table of their own (pg-boss 10 keeps no record of who fetches), also in pg-shared.ts.
 */
export interface PostgresQueueOptions {
  /** A `postgres://` URL without snagsync's own query options (the driver sees it as is). */
  connectionString: string;
  /** The schema of pg-boss's tables and ours. Default `snagsync_queue`. */
  schema?: string;
  /** A dead worker's job is taken again after this (rounded up to whole seconds, at least 1 s). Default 60 s. */
  leaseMs?: number;
  /** How often expired leases are looked for. Default: a quarter of the lease, at most 15 s, at least 1 s. */
  superviseMs?: number;
  /** A job that fails (or whose lease runs out) is taken again this many times. Default 5. */
  retryLimit?: number;
  /** Errors of pg-boss's background work (supervision, polling): a lost connection shows here first. */
  onError?: (err: Error) => void;
  /** Connections of this process to the database (pg-boss's and ours). Default 4. */
  maxConnections?: number;
}

const LANE_PREFIX = 'lane_';
const LANE_LIST_MS = 1000;

export async function postgresQueue(options: PostgresQueueOptions): Promise<JobQueue> {
  const schema = options.schema ?? 'snagsync_queue';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`The queue schema "${schema}" is not a plain name.`);
  const leaseSeconds = Math.max(1, Math.ceil((options.leaseMs ?? 60_000) / 1000));
  const superviseSeconds = Math.max(
    1,
    Math.round((options.superviseMs ?? Math.min(15_000, (leaseSeconds * 1000) / 4)) / 1000),
  );
  const retryLimit = options.retryLimit ?? 5;
  const max = Math.max(2, options.maxConnections ?? 4);
  const boss = new PgBoss({
    connectionString: options.connectionString,
    schema,
    max: Math.max(1, max - 1),
    schedule: false,
    supervise: true,
    maintenanceIntervalSeconds: superviseSeconds,
    monitorStateIntervalSeconds: 3600,
    application_name: 'snagsync-queue',
  });
  boss.on('error', (err: Error) => options.onError?.(err));
  await boss.start();
  const pool = new pg.Pool({ connectionString: options.connectionString, max: 1, application_name: 'snagsync-queue' });
  pool.on('error', (err) => options.onError?.(err));
  const q = (name: string) => `"${schema}".${name}`;
  // Which lanes a group has jobs on, so withdrawing it visits those partitions only.
  await createSharedTables(
    pool,
    schema,
    `CREATE TABLE IF NOT EXISTS ${q('snagsync_group_lanes')} (
      group_id text NOT NULL REFERENCES ${q('snagsync_groups')} (id) ON DELETE CASCADE,
      lane text NOT NULL, PRIMARY KEY (group_id, lane));`,
  );

  const known = new Set<string>();
  let lanes: string[] = [];
  let listedAt = 0;
  let turn = 0;
  const queueName = (lane: string) => `${LANE_PREFIX}${lane.replace(/[^\w-]/g, '_')}`;
  // Creating a pg-boss queue is DDL (a partition of its job table): creations at once deadlock, so this process makes
  // them one at a time, and a deadlock with another process (PostgreSQL aborts one of the two) is tried again.
  let creating: Promise<unknown> = Promise.resolve();
  const ensureLane = async (name: string) => {
    if (known.has(name)) return;
    const create = async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          if (!(await boss.getQueue(name)))
            await boss.createQueue(name, {
              name,
              policy: 'singleton',
              expireInSeconds: leaseSeconds,
              retryLimit,
              retryDelay: 0,
            });
          known.add(name);
          return;
        } catch (err) {
          if ((err as { code?: string }).code !== '40P01' || attempt >= 5) throw err;
        }
      }
    };
    const next = creating.then(create, create);
    creating = next.catch(() => undefined);
    await next;
  };
  const listLanes = async () => {
    if (Date.now() - listedAt < LANE_LIST_MS) return lanes;
    // Also the probe of the connection: pg-boss's fetch swallows its errors, this query does not.
    lanes = (await boss.getQueues()).map((x) => x.name).filter((n) => n.startsWith(LANE_PREFIX));
    listedAt = Date.now();
    return lanes;
  };
  const send = async (name: string, data: Json, startAfter?: Date, group?: string) => {
    await ensureLane(name);
    await boss.send(name, (group ? { d: data, g: group } : { d: data }) as object, {
      expireInSeconds: leaseSeconds,
      retryLimit,
      retryDelay: 0,
      ...(startAfter ? { startAfter } : {}),
    });
  };

  return {
    ...sharedPart(pool, schema),
    leaseMs: leaseSeconds * 1000,
    async enqueue(jobs: readonly EnqueueJob[]) {
      // The group's lanes first: a crash before the jobs are sent leaves a lane with nothing to withdraw, never a job
      // that cannot be withdrawn.
      const lanesOf = new Set(jobs.filter((j) => j.group).map((j) => JSON.stringify([j.group, queueName(j.lane)])));
      for (const pair of lanesOf) {
        const [group, lane] = JSON.parse(pair) as [string, string];
        await pool.query(
          `INSERT INTO ${q('snagsync_group_lanes')} (group_id, lane) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
          [group, lane],
        );
      }
      for (const j of jobs) await send(queueName(j.lane), j.data, j.startAfter, j.group);
      listedAt = 0;
    },
    async take(): Promise<TakenJob | null> {
      const names = await listLanes();
      for (let i = 0; i < names.length; i++) {
        const name = names[(turn + i) % names.length]!;
        const [job] = await boss.fetch<{ d: Json; g?: string }>(name, { includeMetadata: true });
        if (!job) continue;
        turn = (turn + i + 1) % names.length;
        const group = job.data.g;
        return { id: job.id, lane: name, data: job.data.d, retries: job.retryCount, ...(group ? { group } : {}) };
      }
      return null;
    },
    async complete(job) {
      await boss.complete(job.lane, job.id);
    },
    async fail(job, error) {
      await boss.fail(job.lane, job.id, { message: error.message });
    },
    async delay(job, until, data) {
      // The continuation first: a crash between the two leaves the old job to be taken again (harmless: it resumes
      // from the same checkpoint and settles once), never a unit with no job.
      await send(job.lane, data ?? job.data, until, job.group);
      await boss.complete(job.lane, job.id);
    },
    async withdraw(group) {
      const lanesOf = await pool.query<{ lane: string }>(
        `SELECT lane FROM ${q('snagsync_group_lanes')} WHERE group_id = $1`,
        [group],
      );
      const out: Json[] = [];
      for (const { lane } of lanesOf.rows) {
        // A job a worker's fetch holds (locked, about to be active) is waited for, then seen active and left alone;
        // one this DELETE holds is skipped by the fetch (SKIP LOCKED). Either the worker has it or it is gone.
        const r = await pool.query<{ data: { d: Json } }>(
          `DELETE FROM ${q('job')} WHERE name = $1 AND state < 'active' AND data->>'g' = $2 RETURNING data`,
          [lane, group],
        );
        out.push(...r.rows.map((x) => x.data.d));
      }
      return out;
    },
    async close() {
      await boss.stop({ graceful: false, wait: true, close: true }).catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}
