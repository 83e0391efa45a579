import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSnagError, type SnagError } from '../../src/core/errors.js';
import { readInput } from '../../src/writeback/index.js';

/**
 * A `sqlite:PATH?query=` input cannot change the file or reach another one: one statement, a read-only handle, a
 * query that only reads, and a time limit (the query runs in a child process that is killed at the limit).
 */

let dir: string;
let db: string;
const hash = () => createHash('sha256').update(readFileSync(db)).digest('hex');
const from = (query: string, params = '') => `sqlite:${db}?${params}query=${query}`;
const refusal = (query: string, params = '') =>
  readInput(from(query, params)).then(
    () => {
      throw new Error(`not refused: ${query}`);
    },
    (e: unknown) => e as SnagError,
  );
/** Child processes of this one still running the input's reader (`node -e …`). */
const readersLeft = () =>
  execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes("process.once('message'")).length;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'snagsync-sqlite-input-'));
  db = join(dir, 'synced.db');
  const w = new Database(db);
  w.exec(`CREATE TABLE errors (project_id TEXT, id TEXT, status TEXT, discarded INTEGER);
    INSERT INTO errors VALUES ('p1', 'e1', 'open', 0), ('p1', 'e2', 'fixed', 1);
    CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3);`);
  w.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite input: one read-only statement, bounded', () => {
  it('reads one SELECT, with parameters (a boolean as 0/1) and a final ;', async () => {
    const read = await readInput(
      from('SELECT project_id, id AS error_id FROM errors WHERE status = ? AND discarded = ?;'),
      {
        queryValues: ['open', false],
      },
    );
    expect(read.rows).toEqual([{ row: 1, fields: { project_id: 'p1', error_id: 'e1' } }]);
    expect(read.warnings).toEqual([]);
  });

  it('several statements are refused and the file is unchanged', async () => {
    const before = hash();
    for (const query of [
      'SELECT 1 AS x; DROP TABLE t',
      'SELECT 1 AS x; DELETE FROM t;',
      "SELECT 1 AS x; ATTACH 'x.db' AS x",
    ]) {
      const err = await refusal(query);
      expect(isSnagError(err, 'config'), String(err)).toBe(true);
      expect(err.message).toMatch(/more than one statement/);
      expect(err.details.field).toBe('from');
    }
    expect(hash()).toBe(before);
  });

  it('ATTACH, VACUUM INTO and statements that write are refused; no other file appears', async () => {
    const before = hash();
    const other = join(dir, 'other.db');
    const copy = join(dir, 'copy.db');
    const attempts: Array<[string, RegExp]> = [
      [`ATTACH '${other}' AS o`, /needs one SELECT query/],
      [`VACUUM INTO '${copy}'`, /needs one SELECT query/],
      ['DELETE FROM t', /needs one SELECT query/],
      ['PRAGMA user_version = 5', /needs one SELECT query/],
      // Past the SELECT/WITH rule: the statement is not a read, and is refused before it runs.
      ['WITH a AS (SELECT 1) DELETE FROM t', /not a query that only reads/],
      ['WITH a AS (SELECT 4) INSERT INTO t SELECT * FROM a', /not a query that only reads/],
      ["SELECT load_extension('/nonexistent/ext')", /not authorized/],
    ];
    for (const [query, why] of attempts) {
      const err = await refusal(query);
      expect(isSnagError(err, 'config'), `${query}: ${String(err)}`).toBe(true);
      expect(err.message, query).toMatch(why);
    }
    expect(hash()).toBe(before);
    expect(existsSync(other)).toBe(false);
    expect(existsSync(copy)).toBe(false);
    // The handle is read-only underneath: a PRAGMA that writes fails there too.
    const ro = new Database(db, { readonly: true, fileMustExist: true });
    expect(() => ro.pragma('user_version = 5')).toThrow(/readonly/);
    ro.close();
    expect(hash()).toBe(before);
  });

  it('a query that never ends is stopped at statement_timeout, its process gone', async () => {
    const endless = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) AS n FROM c';
    const started = Date.now();
    const err = await refusal(endless, 'statement_timeout=500&');
    expect(isSnagError(err, 'config'), String(err)).toBe(true);
    expect(err.message).toBe('The write-back query ran longer than 500 ms and was stopped.');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(readersLeft()).toBe(0);
  });

  it('an abort stops the query', async () => {
    const controller = new AbortController();
    const reading = readInput(
      from('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) AS n FROM c'),
      { signal: controller.signal },
    ).catch((e: unknown) => e as SnagError);
    // The reader is started before readInput returns (and seen here: the count below can fail).
    expect(readersLeft()).toBe(1);
    controller.abort();
    const err = await reading;
    expect(isSnagError(err, 'aborted'), String(err)).toBe(true);
    expect(readersLeft()).toBe(0);
  });

  it('a missing file is not created', async () => {
    const missing = join(dir, 'missing.db');
    const err = await readInput(`sqlite:${missing}?query=SELECT 1`).then(
      () => null,
      (e: unknown) => e as SnagError,
    );
    expect(isSnagError(err, 'config'), String(err)).toBe(true);
    expect(err?.message).toMatch(/Cannot open the SQLite database/);
    expect(existsSync(missing)).toBe(false);
  });
});
