import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { forkTs, releaseTogether } from './fork-helper.js';
import { tempDir } from './helpers.js';

describe('two processes writing the metadata store at once', () => {
  it('both finish every write without SQLITE_BUSY, on a store neither had created', async () => {
    const t = tempDir();
    try {
      const perChild = 60;
      const tags = ['a', 'b', 'c'];
      const children = tags.map((tag) => forkTs(new URL('./children/concurrent-writer.ts', import.meta.url), [t.dir, tag, String(perChild)]));
      await releaseTogether(children);
      const reports = await Promise.all(children.map((c) => c.waitFor<{ written: number; errors: string[] }>((m) => m.type === 'done')));
      const exits = await Promise.all(children.map((c) => c.exited));
      expect(reports.flatMap((r) => r.errors)).toEqual([]);
      expect(reports.map((r) => r.written)).toEqual(tags.map(() => perChild));
      expect(exits.map((e) => e.code)).toEqual(tags.map(() => 0));

      const store = openStore({ home: t.dir });
      try {
        expect(await store.credentials.list()).toHaveLength(tags.length);
        expect(await store.sources.list()).toHaveLength(tags.length * perChild);
        const runs = await store.runs.list({ limit: 1000 });
        expect(runs).toHaveLength(tags.length * perChild);
        expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
      } finally {
        await store.close();
      }
    } finally {
      t.cleanup();
    }
  });
});
