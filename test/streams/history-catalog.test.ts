import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openDestination } from '../../src/destinations/index.js';
import { catalog, descriptorOf, getStream } from '../../src/streams/catalog.js';

/** The catalog (`snagsync streams --json`) shows error_history as the destinations create it: one declaration. */
describe('the errors stream declares error_history', () => {
  it('its catalog entry names the table, its key, its described columns and indexes exactly as SQLite creates them', async () => {
    const withHistory = catalog().filter((e) => e.history !== null);
    expect(withHistory.map((e) => e.name)).toEqual(['errors']);
    const h = withHistory[0]!.history!;
    expect(h.name).toBe('error_history');
    expect(h.columns.map((c) => c.name)).toEqual([
      'project_id',
      'error_id',
      'status',
      'severity',
      'assigned_collaborator_id',
      'assigned_team_id',
      'valid_from',
      'valid_to',
      'observed_by',
      '_run_id',
    ]);
    for (const c of h.columns) expect(c.description.length, c.name).toBeGreaterThan(10);
    expect(h.primary_key).toEqual(['project_id', 'error_id', 'valid_from']);

    const dir = mkdtempSync(join(tmpdir(), 'snag-history-catalog-'));
    try {
      const dest = await openDestination(`sqlite:${join(dir, 'd.db')}`);
      expect((await dest.prepare([descriptorOf(getStream('errors'))])).created).toEqual(['error_history', 'errors']);
      await dest.close();
      const db = new Database(join(dir, 'd.db'), { readonly: true });
      const info = db.pragma('table_info(error_history)') as Array<{ name: string; pk: number }>;
      expect(info.map((c) => c.name)).toEqual(h.columns.map((c) => c.name));
      expect(
        info
          .filter((c) => c.pk > 0)
          .sort((a, b) => a.pk - b.pk)
          .map((c) => c.name),
      ).toEqual(h.primary_key);
      const indexes = db
        .prepare(
          `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'error_history' AND sql IS NOT NULL`,
        )
        .all() as Array<{ name: string; sql: string }>;
      for (const cols of h.indexes)
        expect(
          indexes.some((i) => i.sql.endsWith(`(${cols.map((c) => `"${c}"`).join(', ')})`)),
          cols.join(),
        ).toBe(true);
      // At most one open interval per error, enforced by the database.
      expect(indexes.some((i) => /^CREATE UNIQUE INDEX .* WHERE "valid_to" IS NULL$/.test(i.sql))).toBe(true);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
