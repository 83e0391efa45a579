import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SYSTEM_COLUMNS } from '../../src/destinations/index.js';
import { STREAMS } from '../../src/streams/catalog.js';
import { adminQuery } from '../destinations/pg-schema.js';
import { requireService } from '../helpers/services.js';

/**
 * No column of any stream needs quoting in SQL: an analyst writes `select bucket_start from trends`, not
 * `select "from" from trends`. Checked against the databases themselves, not a list of ours.
 */
const HAS_PG = requireService('postgres');
const names = [...new Set([...STREAMS.flatMap((s) => s.columns.map((c) => c.name)), ...SYSTEM_COLUMNS])].sort();

describe('column names', () => {
  it('SQLite reads every column name unquoted, wherever a query puts it', () => {
    const db = new Database(':memory:');
    try {
      const refused: string[] = [];
      for (const n of names) {
        try {
          db.exec(`CREATE TABLE t (${n} TEXT, other TEXT)`);
          db.exec(`CREATE INDEX t_i ON t (${n})`);
          db.prepare(`SELECT ${n}, other FROM t WHERE ${n} IS NOT NULL AND ${n} = other GROUP BY ${n} ORDER BY ${n}`);
          db.prepare(`SELECT t.${n} AS x FROM t JOIN t AS u ON u.${n} = t.${n}`);
          db.prepare(`UPDATE t SET ${n} = other WHERE ${n} IS NULL`);
        } catch (err) {
          refused.push(`${n}: ${(err as Error).message}`);
        } finally {
          db.exec('DROP TABLE IF EXISTS t');
        }
      }
      expect(refused).toEqual([]);
    } finally {
      db.close();
    }
  });

  it.skipIf(!HAS_PG)('PostgreSQL reserves none of them and quote_ident leaves each as it is', async () => {
    const rows = await adminQuery<{ name: string; why: string }>(
      `SELECT n AS name, COALESCE(k.catdesc, 'needs quoting') AS why
       FROM unnest($1::text[]) AS n LEFT JOIN pg_get_keywords() k ON k.word = n AND k.catcode IN ('R', 'T')
       WHERE k.word IS NOT NULL OR quote_ident(n) <> n`,
      [names],
    );
    expect(rows).toEqual([]);
  });
});
