import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Logger, makeWorkerUtils, run as runGraphile, type Runner, type WorkerUtils } from 'graphile-worker';
import PgBoss from 'pg-boss';
import { afterAll, describe, expect, it } from 'vitest';
import { adminQuery } from '../store/pg.js';
import { postgresUrl, requireService } from '../helpers/services.js';

/**
 * The spike that chose the job queue (issue 14): pg-boss@10.4 against graphile-worker@0.16 on what snagsync needs —
 * a lane per token (one token's jobs never run at once, other tokens' jobs go on meanwhile), delayed jobs (Retry-After),
 * and a lease short enough that a kill -9'd worker's job is taken again in about a minute (tests: seconds).
 * Kept as a test so the reasons stay checkable: pg-boss passes all three with a queue per token and the `singleton`
 * policy; graphile-worker gives lanes for free (`queue_name`) but a dead worker's lock is only released after a fixed
 * 4 hours (resetLockedAt), which no option shortens. See docs/postgres.md, "Why pg-boss".
 */
const enabled = requireService('postgres');
const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
const bossSchema = `spike_boss_${suffix}`;
const graphileSchema = `spike_gw_${suffix}`;

afterAll(async () => {
  if (!enabled) return;
  await adminQuery(`DROP SCHEMA IF EXISTS "${bossSchema}" CASCADE`);
  await adminQuery(`DROP SCHEMA IF EXISTS "${graphileSchema}" CASCADE`);
});

/** Counts jobs running at once, per lane, and the overlap between lanes. */
function laneMeter() {
  const running = new Map<string, number>();
  const peak = new Map<string, number>();
  let crossLane = 0;
  return {
    async hold(lane: string, ms: number) {
      const n = (running.get(lane) ?? 0) + 1;
      running.set(lane, n);
      peak.set(lane, Math.max(peak.get(lane) ?? 0, n));
      if ([...running.entries()].some(([l, c]) => l !== lane && c > 0)) crossLane++;
      await new Promise((r) => setTimeout(r, ms));
      running.set(lane, (running.get(lane) ?? 1) - 1);
    },
    peak,
    crossLane: () => crossLane,
  };
}

describe.runIf(enabled)('spike: pg-boss@10.4', () => {
  const bosses: PgBoss[] = [];
  const boss = async () => {
    const b = new PgBoss({
      connectionString: postgresUrl(),
      schema: bossSchema,
      schedule: false,
      maintenanceIntervalSeconds: 1,
      monitorStateIntervalSeconds: 60,
    });
    b.on('error', () => undefined);
    await b.start();
    bosses.push(b);
    return b;
  };
  afterAll(async () => {
    for (const b of bosses) await b.stop({ graceful: false, wait: true }).catch(() => undefined);
  });

  it('a queue per token with the singleton policy is a lane: one job of a token at a time, tokens side by side', async () => {
    const [a, b, c] = [await boss(), await boss(), await boss()];
    const lanes = ['lane_a', 'lane_b'];
    for (const l of lanes) await a.createQueue(l, { name: l, policy: 'singleton' });
    for (let i = 0; i < 6; i++) for (const l of lanes) await a.send(l, { i });
    const meter = laneMeter();
    let done = 0;
    const all = new Promise<void>((resolve) => {
      for (const w of [a, b, c])
        for (const l of lanes)
          void w.work(l, { pollingIntervalSeconds: 0.5 }, async () => {
            await meter.hold(l, 60);
            if (++done === 12) resolve();
          });
    });
    await all;
    expect(meter.peak.get('lane_a')).toBe(1);
    expect(meter.peak.get('lane_b')).toBe(1);
    expect(meter.crossLane()).toBeGreaterThan(0);
  });

  it('a job sent with startAfter is not taken before it', async () => {
    const b = await boss();
    await b.createQueue('delayed', { name: 'delayed', policy: 'singleton' });
    const at = new Date(Date.now() + 1500);
    await b.send('delayed', {}, { startAfter: at });
    expect(await b.fetch('delayed')).toEqual([]);
    let got: PgBoss.Job[] = [];
    while (got.length === 0) {
      got = await b.fetch('delayed');
      if (got.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(Date.now()).toBeGreaterThanOrEqual(at.getTime() - 50);
  });

  it("a dead worker's job is taken again once its expireInSeconds lease runs out", async () => {
    const dead = await boss();
    await dead.createQueue('leased', { name: 'leased', policy: 'singleton' });
    await dead.send('leased', { unit: 1 }, { expireInSeconds: 2, retryLimit: 3, retryDelay: 0 });
    const [taken] = await dead.fetch('leased');
    expect(taken).toBeDefined();
    await dead.stop({ graceful: false, wait: true }); // its job stays active, as with kill -9
    const other = await boss();
    const started = Date.now();
    let again: PgBoss.Job[] = [];
    while (again.length === 0) {
      again = await other.fetch('leased');
      if (again.length === 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect(again[0]!.data).toEqual({ unit: 1 });
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe.runIf(enabled)('spike: graphile-worker@0.16', () => {
  let utils: WorkerUtils;
  const runners: Runner[] = [];
  afterAll(async () => {
    for (const r of runners) await r.stop().catch(() => undefined);
    await utils?.release();
  });

  it('jobs sharing a queue_name run one at a time, other queues side by side', async () => {
    utils = await makeWorkerUtils({ connectionString: postgresUrl(), schema: graphileSchema });
    await utils.migrate();
    for (let i = 0; i < 6; i++)
      for (const q of ['lane_a', 'lane_b']) await utils.addJob('unit', { q }, { queueName: q });
    const meter = laneMeter();
    let done = 0;
    await new Promise<void>((resolve) => {
      const start = async () => {
        for (let w = 0; w < 3; w++)
          runners.push(
            await runGraphile({
              connectionString: postgresUrl(),
              schema: graphileSchema,
              concurrency: 2,
              pollInterval: 200,
              noHandleSignals: true,
              logger: new Logger(() => () => undefined),
              taskList: {
                unit: async (payload) => {
                  await meter.hold((payload as { q: string }).q, 60);
                  if (++done === 12) resolve();
                },
              },
            }),
          );
      };
      void start();
    });
    expect(meter.peak.get('lane_a')).toBe(1);
    expect(meter.peak.get('lane_b')).toBe(1);
    expect(meter.crossLane()).toBeGreaterThan(0);
  });

  it("a dead worker's lock is not released by any option shorter than its fixed 4 hours", async () => {
    // A job locked by a worker that died (locked_by set, nothing running it): no runner takes it again.
    await utils.addJob('orphan', { n: 1 }, { queueName: 'lane_dead' });
    await adminQuery(
      `UPDATE "${graphileSchema}"._private_jobs SET locked_by = 'dead', locked_at = now() - interval '2 minutes' WHERE task_id = (SELECT id FROM "${graphileSchema}"._private_tasks WHERE identifier = 'orphan')`,
    );
    const rows = await adminQuery<{ available: boolean }>(
      `SELECT is_available AS available FROM "${graphileSchema}"._private_jobs WHERE locked_by = 'dead'`,
    );
    expect(rows).toEqual([{ available: false }]);
    // The only release of stale locks is the runner's resetLockedAt, with `interval '4 hours'` written into its SQL.
    const reset = readFileSync(
      createRequire(import.meta.url).resolve('graphile-worker/dist/sql/resetLockedAt.js'),
      'utf8',
    );
    expect(reset).toMatch(/locked_at < \$\{now\} - interval '4 hours'/);
  });
});
