import { afterAll, describe, expect, it } from 'vitest';
import { openRunQueue } from '../../src/engine/cluster/index.js';
import { requireService } from '../helpers/services.js';
import { adminQuery, testSchema } from '../store/pg.js';

/** SNAGSYNC_QUEUE picks the library behind the cluster's queue: pg-boss unset, graphile-worker when asked. */
describe.runIf(requireService('postgres'))('the cluster queue a process opens', () => {
  const stores = [testSchema('snagkind'), testSchema('snagkind')];
  afterAll(async () => {
    for (const s of stores) await adminQuery(`DROP SCHEMA IF EXISTS "${s.schema}_queue" CASCADE`);
  });
  const tables = async (schema: string) =>
    (
      await adminQuery<{ t: string }>(
        `SELECT tablename AS t FROM pg_tables WHERE schemaname = $1 AND tablename IN ('job', '_private_jobs')`,
        [schema],
      )
    ).map((r) => r.t);

  it('is pg-boss by default and graphile-worker with SNAGSYNC_QUEUE=graphile, both in <schema>_queue', async () => {
    const [boss, gw] = stores as [(typeof stores)[0], (typeof stores)[0]];
    const a = await openRunQueue({ SNAGSYNC_DATABASE_URL: boss.url });
    await a.close();
    expect(await tables(`${boss.schema}_queue`)).toEqual(['job']);
    const b = await openRunQueue({ SNAGSYNC_DATABASE_URL: gw.url, SNAGSYNC_QUEUE: 'graphile' });
    await b.enqueue([{ lane: 'tok', data: { n: 1 } }]);
    const job = await b.take();
    expect(job).toMatchObject({ lane: 'tok', data: { n: 1 }, retries: 0 });
    await b.complete(job!);
    await b.close();
    expect(await tables(`${gw.schema}_queue`)).toEqual(['_private_jobs']);
  });

  it('refuses a queue it does not know, saying which it knows', async () => {
    await expect(
      openRunQueue({ SNAGSYNC_DATABASE_URL: stores[0]!.url, SNAGSYNC_QUEUE: 'redis' }),
    ).rejects.toMatchObject({ code: 'config', message: expect.stringContaining('pgboss or graphile') });
  });
});
