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
      // The simulator is gone with the demo; its last lines say so and point at the demo that stays up.
      expect(r.stdout.trimEnd().split('\n').at(-1)).toContain('npx snagsync demo --serve');
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

  it('--json prints one JSON summary on stdout', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'snagsync-demo-json-'));
    try {
      const r = await runCli(['demo', '--json', '--home', join(parent, 'demo')], {
        env: { SNAGSYNC_HOME: join(parent, 'real-home'), SNAGSYNC_MASTER_KEY: '' },
        timeoutMs: 60_000,
      });
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      const out = JSON.parse(lines[0]!) as {
        destination: string;
        first_sync: { status: string; totals: { records_written: number } };
        second_sync: { streams: Array<{ stream: string; records_written: number }> };
      };
      expect(out.destination).toBe(`sqlite:${join(parent, 'demo', 'bugsnag.db')}`);
      expect(out.first_sync.status).toBe('succeeded');
      expect(out.first_sync.totals.records_written).toBeGreaterThan(18_000);
      expect(out.second_sync.streams.find((s) => s.stream === 'events')?.records_written).toBe(25);
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
