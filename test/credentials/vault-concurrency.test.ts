import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forkTs, releaseTogether } from '../store/fork-helper.js';
import { tempDir } from '../store/helpers.js';

describe('master key file', () => {
  it('is created exactly once, mode 0600, when several processes need it at the same moment', async () => {
    const t = tempDir();
    try {
      const children = Array.from({ length: 6 }, () =>
        forkTs(new URL('./vault-children/create-key.ts', import.meta.url), [t.dir]),
      );
      await releaseTogether(children);
      const reports = await Promise.all(children.map((c) => c.waitFor<{ keyId: string }>((m) => m.type === 'done')));
      await Promise.all(children.map((c) => c.exited));
      expect(new Set(reports.map((r) => r.keyId)).size).toBe(1);
      expect(readdirSync(t.dir)).toEqual(['master.key']);
      expect(statSync(join(t.dir, 'master.key')).mode & 0o777).toBe(0o600);
    } finally {
      t.cleanup();
    }
  });
});
