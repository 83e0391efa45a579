import type pg from 'pg';
import type { GroupSettle, JobQueue, Json, LiveWorker } from './port.js';

/** The part of the port that is not delivery: groups, lane state and worker beats. */
export type SharedPart = Pick<
  JobQueue,
  | 'openGroup'
  | 'settle'
  | 'results'
  | 'cancelGroup'
  | 'isCancelled'
  | 'purgeGroups'
  | 'laneState'
  | 'setLaneState'
  | 'beat'
  | 'leave'
  | 'workers'
>;

/**
 * The tables snagsync keeps beside a job-queue library's own (whichever delivers the jobs): a run's group of settled
 * units, a token's learned budget, the workers' beats — by the database's clock, so machines whose clocks differ
 * agree on who is alive. Created once per schema under an advisory lock (two processes starting at once: CREATE TABLE IF
 * NOT EXISTS at the same moment fails in one of them), with the `extra` DDL of the implementation.
 */
export async function createSharedTables(pool: pg.Pool, schema: string, extra = ''): Promise<void> {
  const q = (name: string) => `"${schema}".${name}`;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`snagsync-queue:${schema}`]);
    await client.query(`
      CREATE SCHEMA IF NOT EXISTS "${schema}";
      CREATE TABLE IF NOT EXISTS ${q('snagsync_groups')} (
        id text PRIMARY KEY, total integer NOT NULL, cancelled boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE IF NOT EXISTS ${q('snagsync_group_results')} (
        group_id text NOT NULL REFERENCES ${q('snagsync_groups')} (id) ON DELETE CASCADE,
        key text NOT NULL, result jsonb NOT NULL, settled_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (group_id, key));
      CREATE TABLE IF NOT EXISTS ${q('snagsync_lanes')} (
        lane text PRIMARY KEY, state jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE IF NOT EXISTS ${q('snagsync_workers')} (
        id text PRIMARY KEY, host text NOT NULL, pid integer NOT NULL, slots integer NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(), beat_at timestamptz NOT NULL DEFAULT now());
      ${extra}`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export function sharedPart(pool: pg.Pool, schema: string): SharedPart {
  const q = (name: string) => `"${schema}".${name}`;
  return {
    async openGroup(group, jobs) {
      await pool.query(`INSERT INTO ${q('snagsync_groups')} (id, total) VALUES ($1, $2)`, [group, jobs]);
    },
    async settle(group, key, result, grow = 0): Promise<GroupSettle> {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        // The group's row lock makes settles of one group take turns, so exactly the last one sees it complete.
        const g = await c.query<{ total: number }>(
          `SELECT total FROM ${q('snagsync_groups')} WHERE id = $1 FOR UPDATE`,
          [group],
        );
        if (g.rowCount === 0) throw new Error(`No group ${group} in the queue.`);
        const ins = await c.query(
          `INSERT INTO ${q('snagsync_group_results')} (group_id, key, result) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
          [group, key, JSON.stringify(result)],
        );
        let total = g.rows[0]!.total;
        if (ins.rowCount === 1 && grow > 0) {
          total += grow;
          await c.query(`UPDATE ${q('snagsync_groups')} SET total = $2 WHERE id = $1`, [group, total]);
        }
        const n = await c.query<{ n: string }>(
          `SELECT count(*) AS n FROM ${q('snagsync_group_results')} WHERE group_id = $1`,
          [group],
        );
        await c.query('COMMIT');
        return { fresh: ins.rowCount === 1, complete: Number(n.rows[0]!.n) >= total };
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        c.release();
      }
    },
    async results(group) {
      const r = await pool.query<{ key: string; result: Json }>(
        `SELECT key, result FROM ${q('snagsync_group_results')} WHERE group_id = $1 ORDER BY settled_at, key`,
        [group],
      );
      return new Map(r.rows.map((x) => [x.key, x.result]));
    },
    async cancelGroup(group) {
      await pool.query(`UPDATE ${q('snagsync_groups')} SET cancelled = true WHERE id = $1`, [group]);
    },
    async isCancelled(group) {
      const r = await pool.query<{ cancelled: boolean }>(
        `SELECT cancelled FROM ${q('snagsync_groups')} WHERE id = $1`,
        [group],
      );
      return r.rows[0]?.cancelled ?? false;
    },
    async purgeGroups(settledBefore) {
      // Complete: as many results as jobs counted. Their results go with them (ON DELETE CASCADE).
      const r = await pool.query(
        `DELETE FROM ${q('snagsync_groups')} g
          WHERE (SELECT count(*) FROM ${q('snagsync_group_results')} r WHERE r.group_id = g.id) >= g.total
            AND NOT EXISTS (SELECT 1 FROM ${q('snagsync_group_results')} r WHERE r.group_id = g.id AND r.settled_at >= $1)
            AND g.created_at < $1`,
        [settledBefore],
      );
      return r.rowCount ?? 0;
    },
    async laneState(lane) {
      const r = await pool.query<{ state: Json }>(`SELECT state FROM ${q('snagsync_lanes')} WHERE lane = $1`, [lane]);
      return r.rows[0]?.state ?? null;
    },
    async setLaneState(lane, state) {
      await pool.query(
        `INSERT INTO ${q('snagsync_lanes')} (lane, state) VALUES ($1, $2)
         ON CONFLICT (lane) DO UPDATE SET state = EXCLUDED.state, updated_at = now()`,
        [lane, JSON.stringify(state)],
      );
    },
    async beat(worker) {
      // A worker gone for a day (killed, its machine lost) is forgotten by the next one that beats.
      await pool.query(
        `WITH gone AS (DELETE FROM ${q('snagsync_workers')} WHERE beat_at < now() - interval '1 day')
         INSERT INTO ${q('snagsync_workers')} (id, host, pid, slots) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET beat_at = now(), slots = EXCLUDED.slots`,
        [worker.id, worker.host, worker.pid, worker.slots],
      );
    },
    async leave(workerId) {
      await pool.query(`DELETE FROM ${q('snagsync_workers')} WHERE id = $1`, [workerId]);
    },
    async workers(withinMs) {
      const r = await pool.query<{
        id: string;
        host: string;
        pid: number;
        slots: number;
        started_at: Date;
        beat_at: Date;
      }>(
        `SELECT id, host, pid, slots, started_at, beat_at FROM ${q('snagsync_workers')}
          WHERE beat_at >= now() - $1 * interval '1 millisecond' ORDER BY started_at, id`,
        [Math.max(0, Math.round(withinMs))],
      );
      return r.rows.map(
        (x): LiveWorker => ({
          id: x.id,
          host: x.host,
          pid: x.pid,
          slots: x.slots,
          startedAt: x.started_at,
          beatAt: x.beat_at,
        }),
      );
    },
  };
}
