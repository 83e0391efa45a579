import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runCli } from '../helpers/cli.js';

/** `npm run demo` on a fresh machine: no setup, no network, its own home, a SQLite file with every stream. */
describe('snagsync demo', () => {
  it('syncs the simulator into a SQLite file, prints a summary and a query, and exits 0', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'snagsync-demo-test-'));
    const home = join(parent, 'demo');
    try {
      const r = await runCli(['demo', '--home', home], {
        env: { SNAGSYNC_HOME: join(parent, 'real-home'), SNAGSYNC_MASTER_KEY: '' },
        timeoutMs: 60_000,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/First sync: \d+ records/);
      expect(r.stdout).toMatch(/Second sync \(incremental\): 25 events read/);
      expect(r.stdout).toContain(`sqlite3 ${join(home, 'bugsnag.db')} "select`);
      const db = new Database(join(home, 'bugsnag.db'), { readonly: true });
      const count = (t: string) => (db.prepare(`select count(*) as n from ${t}`).get() as { n: number }).n;
      for (const t of [
        'organizations',
        'projects',
        'errors',
        'events',
        'releases',
        'comments',
        'stability_trend',
        'pivots',
      ])
        expect(count(t), t).toBeGreaterThan(0);
      expect(count('events')).toBe(18_025);
      db.close();
      // The user's real home is never touched.
      const { existsSync } = await import('node:fs');
      expect(existsSync(join(parent, 'real-home'))).toBe(false);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('refuses to wipe a folder it did not make', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'snagsync-demo-keep-'));
    try {
      writeFileSync(join(dir, 'precious.txt'), 'keep me');
      const r = await runCli(['demo', '--home', dir]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/not made by the demo/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
