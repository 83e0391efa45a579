import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { PG_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { requireService } from '../helpers/services.js';
import { forkTs, releaseTogether } from './fork-helper.js';
import { tempDir } from './helpers.js';
import { adminQuery, testSchema } from './pg.js';

/** The same race on both stores: SQLite in one home, PostgreSQL in a fresh schema none of the processes created. */
const BACKENDS: Array<{
  name: string;
  setup: () => { env: NodeJS.ProcessEnv; check: () => Promise<void>; drop: () => Promise<void> };
}> = [
  { name: 'SQLite', setup: () => ({ env: {}, check: async () => {}, drop: async () => {} }) },
  ...(requireService('postgres')
    ? [
        {
          name: 'PostgreSQL',
          setup: () => {
            const s = testSchema('snagrace');
            return {
              env: { SNAGSYNC_DATABASE_URL: s.url },
              // Every process migrated the brand-new schema at once; the advisory lock let exactly one apply each version.
              check: async () => {
                const rows = await adminQuery<{ version: number }>(
                  `SELECT version FROM "${s.schema}".schema_migrations ORDER BY version`,
                );
                expect(rows.map((r) => r.version)).toEqual(PG_MIGRATIONS.map((m) => m.version));
              },
              drop: s.drop,
            };
          },
        },
      ]
    : []),
];

describe.each(BACKENDS)('several processes writing the $name metadata store at once', (backend) => {
  it('all finish every write without a lock error, on a store none of them had created', async () => {
    const t = tempDir();
    const b = backend.setup();
    try {
      const perChild = 60;
      const tags = ['a', 'b', 'c'];
      const children = tags.map((tag) =>
        forkTs(new URL('./children/concurrent-writer.ts', import.meta.url), [t.dir, tag, String(perChild)], b.env),
      );
      await releaseTogether(children);
      const reports = await Promise.all(
        children.map((c) => c.waitFor<{ written: number; errors: string[] }>((m) => m.type === 'done')),
      );
      const exits = await Promise.all(children.map((c) => c.exited));
      expect(reports.flatMap((r) => r.errors)).toEqual([]);
      expect(reports.map((r) => r.written)).toEqual(tags.map(() => perChild));
      expect(exits.map((e) => e.code)).toEqual(tags.map(() => 0));

      const store = openStore({ home: t.dir, env: b.env });
      try {
        expect(await store.credentials.list()).toHaveLength(tags.length);
        expect(await store.sources.list()).toHaveLength(tags.length * perChild);
        const runs = await store.runs.list({ limit: 1000 });
        expect(runs).toHaveLength(tags.length * perChild);
        expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
      } finally {
        await store.close();
      }
      await b.check();
    } finally {
      t.cleanup();
      await b.drop();
    }
  }, 120_000);
});
