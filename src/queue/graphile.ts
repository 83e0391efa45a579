import { randomUUID } from 'node:crypto';
import { Logger } from 'graphile-worker';
import { getUtilsAndReleasersFromOptions } from 'graphile-worker/dist/lib.js';
import { completeJob } from 'graphile-worker/dist/sql/completeJob.js';
import { failJob } from 'graphile-worker/dist/sql/failJob.js';
import { getJob } from 'graphile-worker/dist/sql/getJob.js';
import pg from 'pg';
import { createSharedTables, sharedPart } from './pg-shared.js';
import type { EnqueueJob, JobQueue, Json, TakenJob } from './port.js';

/**
 * The distributed implementation of the port for thousands of tokens, on graphile-worker@0.16 (measured against the
 * pg-boss one in docs/postgres.md, "Thousands of tokens").
 *
 *  - A lane is a graphile-worker **named queue** (`queue_name`): its jobs run one at a time across every process, and
 *    one query (graphile-worker's own `getJob`) takes the first due job of any free queue — an idle take costs one
 *    index probe however many lanes there are, where the pg-boss implementation asks each lane in turn.
 *  - Fair across tokens: graphile-worker takes by `priority`, then `run_at`. A job's priority is its lane's round: the
 *    next after its lane's jobs already there, and never before the lowest round still waiting, so a token that
 *    enqueues a hundred units goes one unit a round beside the others, not a hundred before them. A delayed
 *    continuation or a retry keeps its job's round (the lane keeps its place).
 *  - The lease: graphile-worker releases a dead worker's lock only after 4 hours, or when told the worker is gone
 *    (`force_unlock_workers`, its documented way). Each process taking jobs beats in `snagsync_takers` by the
 *    database's clock; one whose beat is older than the lease is gone, and the next take unlocks its jobs (in the same
 *    statement that forgets it), so they are taken again — unlike pg-boss, a long job of a live process is never
 *    taken from it.
 *  - Groups, lane state and worker beats are the tables shared with the pg-boss implementation (pg-shared.ts); a job
 *    carries its lane and group beside its data, and withdrawing a group's waiting jobs is graphile-worker's
 *    `complete_jobs`, which leaves a job someone has locked alone.
 */
export interface GraphileQueueOptions {
  connectionString: string;
  /** The schema of graphile-worker's tables and ours. Default `snagsync_queue`. */
  schema?: string;
  /** A dead process's job is taken again this long after its last beat. Default 60 s. */
  leaseMs?: number;
  /** A job that fails (or whose lease runs out) is taken again this many times. Default 5. */
  retryLimit?: number;
  /** Errors of the background beat: a lost connection shows here first. */
  onError?: (err: Error) => void;
  /** Connections of this process to the database. Default 4. */
  maxConnections?: number;
}

const TASK = 'snagsync_unit';
/** graphile-worker looks tasks up by name; only the name matters, the port hands jobs out itself. */
const TASKS = { [TASK]: async () => undefined };

interface Payload {
  l: string;
  d: Json;
  g?: string;
}

export async function graphileQueue(options: GraphileQueueOptions): Promise<JobQueue> {
  const schema = options.schema ?? 'snagsync_queue';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`The queue schema "${schema}" is not a plain name.`);
  const leaseMs = Math.max(1000, options.leaseMs ?? 60_000);
  const beatMs = Math.max(250, Math.floor(leaseMs / 4));
  const maxAttempts = (options.retryLimit ?? 5) + 1;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: Math.max(2, options.maxConnections ?? 4),
    // A database that stops answering fails a take within seconds (the worker counts it and stops), never hangs it.
    connectionTimeoutMillis: 10_000,
    application_name: 'snagsync-queue',
  });
  pool.on('error', (err) => options.onError?.(err));
  const q = (name: string) => `"${schema}".${name}`;
  let release: (() => Promise<void> | void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    // Migrates graphile-worker's schema (once; it locks against other processes doing the same).
    const [compiled, rel] = await getUtilsAndReleasersFromOptions({
      pgPool: pool,
      schema,
      logger: new Logger(() => () => undefined),
    });
    release = rel;
    await createSharedTables(
      pool,
      schema,
      `CREATE TABLE IF NOT EXISTS ${q('snagsync_takers')} (id text PRIMARY KEY, beat_at timestamptz NOT NULL DEFAULT now());`,
    );
    const takerId = `snagsync_${randomUUID()}`;
    const beat = () =>
      pool.query(
        `INSERT INTO ${q('snagsync_takers')} (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET beat_at = now()`,
        [takerId],
      );
    await beat();
    timer = setInterval(() => void beat().catch((err: Error) => options.onError?.(err)), beatMs);
    timer.unref();

    const { withPgClient, addJob } = compiled;
    // The round of each job this process holds, so its continuation keeps it.
    const rounds = new Map<string, number>();
    let sweptAt = 0;
    const sweep = async () => {
      if (Date.now() - sweptAt < beatMs) return;
      sweptAt = Date.now();
      await pool.query(
        `WITH gone AS (DELETE FROM ${q('snagsync_takers')} WHERE beat_at < now() - $1 * interval '1 millisecond' RETURNING id)
         SELECT ${q('force_unlock_workers')}(array(SELECT id FROM gone))`,
        [leaseMs],
      );
    };
    const add = (lane: string, data: Json, priority: number, runAt?: Date, group?: string) =>
      addJob(TASK, (group ? { l: lane, d: data, g: group } : { l: lane, d: data }) satisfies Payload, {
        queueName: lane,
        priority,
        maxAttempts,
        ...(runAt ? { runAt } : {}),
      });
    const stub = (job: TakenJob) => ({ id: job.id, job_queue_id: 0 }) as never;

    const shared = sharedPart(pool, schema);
    return {
      ...shared,
      leaseMs,
      async enqueue(jobs: readonly EnqueueJob[]) {
        if (jobs.length === 0) return;
        const names = [...new Set(jobs.map((j) => j.lane))];
        const r = await pool.query<{ low: number; lanes: Record<string, number> }>(
          `SELECT (SELECT coalesce(min(priority), 0) FROM ${q('_private_jobs')} WHERE is_available) AS low,
                  coalesce((SELECT json_object_agg(queue_name, top) FROM (
                    SELECT queue_name, max(priority) AS top FROM ${q('jobs')}
                     WHERE queue_name = ANY($1) AND attempts < max_attempts GROUP BY queue_name) x), '{}') AS lanes`,
          [names],
        );
        const low = r.rows[0]!.low;
        const next = new Map(names.map((n) => [n, Math.max(low, (r.rows[0]!.lanes[n] ?? low - 1) + 1)]));
        for (const j of jobs) {
          const round = next.get(j.lane)!;
          next.set(j.lane, round + 1);
          await add(j.lane, j.data, round, j.startAfter, j.group);
        }
      },
      async take(): Promise<TakenJob | null> {
        await sweep();
        const job = await getJob(compiled, withPgClient, TASKS, takerId, null);
        if (!job) return null;
        const p = job.payload as Payload;
        rounds.set(job.id, job.priority);
        return { id: job.id, lane: p.l, data: p.d, retries: job.attempts - 1, ...(p.g ? { group: p.g } : {}) };
      },
      async complete(job) {
        rounds.delete(job.id);
        await completeJob(compiled, withPgClient, takerId, stub(job));
      },
      async fail(job, error) {
        rounds.delete(job.id);
        await failJob(compiled, withPgClient, takerId, stub(job), error.message, undefined);
        // graphile-worker backs a failed job off exponentially (e, e², … seconds); the executor has waited already.
        await pool.query(`SELECT 1 FROM ${q('reschedule_jobs')}(ARRAY[$1::bigint], run_at := now())`, [job.id]);
      },
      async delay(job, until, data) {
        // The continuation first: a crash between the two leaves the old job to be taken again (harmless: it resumes
        // from the same checkpoint and settles once), never a unit with no job.
        const round = rounds.get(job.id) ?? 0;
        await add(job.lane, data ?? job.data, round, until, job.group);
        rounds.delete(job.id);
        await completeJob(compiled, withPgClient, takerId, stub(job));
      },
      async withdraw(group) {
        const ids = await pool.query<{ id: string }>(
          `SELECT id FROM ${q('_private_jobs')} WHERE locked_at IS NULL AND payload->>'g' = $1`,
          [group],
        );
        if (ids.rowCount === 0) return [];
        // complete_jobs deletes only those still unlocked: one a worker took meanwhile stays with it.
        const r = await pool.query<{ payload: Payload }>(`SELECT payload FROM ${q('complete_jobs')}($1::bigint[])`, [
          ids.rows.map((x) => x.id),
        ]);
        return r.rows.map((x) => x.payload.d);
      },
      async close() {
        // The taker's row stays: its jobs still locked are unlocked by whoever takes once the lease has run out.
        clearInterval(timer);
        await Promise.resolve(release?.()).catch(() => undefined);
        await pool.end().catch(() => undefined);
      },
    };
  } catch (err) {
    clearInterval(timer);
    await Promise.resolve(release?.()).catch(() => undefined);
    await pool.end().catch(() => undefined);
    throw err;
  }
}
