import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { isSnagError, type SnagError } from '../../src/core/errors.js';
import type { Simulator } from '../../src/sim/index.js';
import { readInput } from '../../src/writeback/index.js';
import { makeHome, startSim, type Home } from '../engine/helpers.js';
import { postgresUrl, requireService } from '../helpers/services.js';
import { adminQuery } from '../store/pg.js';

/**
 * A `postgres://…?query=` input cannot change anything, even with a superuser's URL: each attack a hostile review
 * found (several statements, COPY … TO PROGRAM, a CTE that writes, a query that never ends) is refused, and what it
 * aimed at is checked afterwards on the server itself.
 */

const enabled = requireService('postgres');

describe.skipIf(!enabled)('PostgreSQL input: one read-only statement, bounded', () => {
  const tag = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const schema = `wbro_${tag}`;
  const app = `wbro_${tag}`;
  const reader = `wbro_reader_${tag}`;
  const writer = `wbro_writer_${tag}`;
  const marker = `/tmp/snagsync-copy-${tag}`;
  const urlOf = (params: Record<string, string>, user?: string) => {
    const u = new URL(postgresUrl());
    if (user) u.username = user;
    u.searchParams.set('schema', schema);
    u.searchParams.set('application_name', app);
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
    return u.toString();
  };
  /** The input `from` text: the URL, then `&query=` and the SQL as typed (spaces keep it literal). */
  const from = (query: string, params: Record<string, string> = { statement_timeout: '2000' }, user?: string) =>
    `${urlOf(params, user)}&query=${query}`;
  const refusal = (query: string, params?: Record<string, string>) =>
    readInput(from(query, params)).then(
      () => {
        throw new Error(`not refused: ${query}`);
      },
      (e: unknown) => e as SnagError,
    );
  const rowsOfT = async () => (await adminQuery(`SELECT x FROM "${schema}".t ORDER BY x`)).map((r) => r.x);
  const tableExists = async () =>
    (await adminQuery<{ r: string | null }>(`SELECT to_regclass('"${schema}".t')::text AS r`))[0]!.r !== null;
  const markerExists = async () =>
    (await adminQuery<{ s: unknown }>('SELECT pg_stat_file($1, true) AS s', [marker]))[0]!.s !== null;
  const backendsLeft = async () =>
    (
      await adminQuery<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [
        app,
      ])
    )[0]!.n;

  beforeAll(async () => {
    await adminQuery(`CREATE SCHEMA "${schema}"`);
    await adminQuery(`CREATE TABLE "${schema}".t (x int)`);
    await adminQuery(`INSERT INTO "${schema}".t VALUES (1), (2), (3)`);
    await adminQuery(`CREATE TABLE "${schema}".errors (project_id text, id text, status text)`);
    await adminQuery(`INSERT INTO "${schema}".errors VALUES ('p1', 'e1', 'open'), ('p1', 'e2', 'fixed')`);
    await adminQuery(`CREATE ROLE ${reader} LOGIN`);
    await adminQuery(`GRANT USAGE ON SCHEMA "${schema}" TO ${reader}`);
    await adminQuery(`GRANT SELECT ON ALL TABLES IN SCHEMA "${schema}" TO ${reader}`);
    await adminQuery(`CREATE ROLE ${writer} LOGIN`);
    await adminQuery(`GRANT USAGE ON SCHEMA "${schema}" TO ${writer}`);
    await adminQuery(`GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA "${schema}" TO ${writer}`);
  });
  afterAll(async () => {
    await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await adminQuery(`DROP ROLE IF EXISTS ${reader}`);
    await adminQuery(`DROP ROLE IF EXISTS ${writer}`);
    await adminQuery(`COPY (SELECT 1) TO PROGRAM 'rm -f ${marker}'`);
  });

  it('reads one SELECT, with parameters and a final ;, the schema first on the search path', async () => {
    const read = await readInput(from('SELECT project_id, id AS error_id FROM errors WHERE status = $1;'), {
      queryValues: ['open'],
    });
    expect(read.rows).toEqual([{ row: 1, fields: { project_id: 'p1', error_id: 'e1' } }]);
    expect(await backendsLeft()).toBe(0);
  });

  it('several statements are refused: set_config … ; COMMIT; DROP TABLE leaves the table', async () => {
    for (const query of [
      "SELECT set_config('default_transaction_read_only','off',false) AS x; COMMIT; DROP TABLE t",
      "SELECT set_config('default_transaction_read_only','off',false) AS x; COMMIT; DROP TABLE t;",
      'SELECT 1 AS x; DELETE FROM t',
      'WITH a AS (SELECT 1) SELECT * FROM a; TRUNCATE t',
    ]) {
      const err = await refusal(query);
      expect(isSnagError(err, 'config'), String(err)).toBe(true);
      expect(err.message).toMatch(/more than one statement/);
      expect(err.details.field).toBe('from');
    }
    expect(await tableExists()).toBe(true);
    expect(await rowsOfT()).toEqual([1, 2, 3]);
    expect(await backendsLeft()).toBe(0);
  });

  it('the one statement cannot leave the read-only transaction, nor write through a CTE', async () => {
    const off = await refusal("SELECT set_config('transaction_read_only', 'off', true)");
    expect(off.message).toMatch(/read-write mode must be set before any query/);
    for (const query of [
      'WITH d AS (DELETE FROM t RETURNING x) SELECT * FROM d',
      'WITH i AS (INSERT INTO t VALUES (4) RETURNING x) SELECT * FROM i',
      'WITH u AS (UPDATE t SET x = x + 10 RETURNING x) SELECT * FROM u',
      'SELECT x INTO t_copy FROM t',
      'SELECT * FROM t FOR UPDATE',
      "WITH s AS (SELECT set_config('default_transaction_read_only', 'off', false)) , d AS (DELETE FROM t RETURNING x) SELECT * FROM d, s",
    ]) {
      const err = await refusal(query);
      expect(isSnagError(err, 'config'), `${query}: ${String(err)}`).toBe(true);
      expect(err.message, query).toMatch(/read-only transaction/);
    }
    expect(await rowsOfT()).toEqual([1, 2, 3]);
    expect(
      (await adminQuery<{ r: string | null }>(`SELECT to_regclass('"${schema}".t_copy')::text AS r`))[0]!.r,
    ).toBeNull();
  });

  it('a superuser URL cannot run COPY … TO PROGRAM: not alone, not after a SELECT, not through a function', async () => {
    const [me] = await adminQuery<{ s: boolean }>('SELECT rolsuper AS s FROM pg_roles WHERE rolname = current_user');
    // The attack needs a superuser: the test's URL must be one, or this proves nothing.
    expect(me!.s).toBe(true);
    // The check itself can see the file when the command runs (here on an admin connection, outside the input).
    await adminQuery(`COPY (SELECT 1) TO PROGRAM 'touch ${marker}'`);
    expect(await markerExists()).toBe(true);
    await adminQuery(`COPY (SELECT 1) TO PROGRAM 'rm -f ${marker}'`);
    expect(await markerExists()).toBe(false);

    const touch = `COPY (SELECT 1) TO PROGRAM 'touch ${marker}'`;
    const quoted = touch.replace(/'/g, "''");
    const attempts: Array<[string, RegExp]> = [
      [touch, /needs one SELECT query/],
      [`  ${touch}`, /needs one SELECT query/],
      [`SELECT 1 AS x; ${touch}`, /more than one statement/],
      [`SELECT query_to_xml('${quoted}', true, false, '')`, /COPY is not allowed/],
      [`SELECT * FROM ts_stat('${quoted}')`, /cannot open COPY query as cursor/],
    ];
    for (const [query, why] of attempts) {
      const err = await refusal(query);
      expect(isSnagError(err, 'config'), `${query}: ${String(err)}`).toBe(true);
      expect(err.message, query).toMatch(why);
      expect(await markerExists(), query).toBe(false);
    }
  });

  it('pg_sleep past statement_timeout is stopped at the timeout, the connection closed; the query cannot lift it', async () => {
    for (const query of [
      'SELECT pg_sleep(5)',
      "SELECT set_config('statement_timeout', '0', false), pg_sleep(5)",
      "SELECT pg_sleep(5) FROM (SELECT set_config('statement_timeout', '0', true)) s",
    ]) {
      const started = Date.now();
      const err = await refusal(query, { statement_timeout: '1000' });
      const took = Date.now() - started;
      expect(isSnagError(err, 'config'), `${query}: ${String(err)}`).toBe(true);
      expect(err.message).toBe('The write-back query ran longer than 1 s and was stopped.');
      expect(err.hint).toMatch(/statement_timeout/);
      // Stopped by the server at 1 s, well before pg_sleep's 5 s.
      expect(took, query).toBeLessThan(4000);
      expect(await backendsLeft()).toBe(0);
    }
  });

  it('an abort ends the query on the server at once (without waiting for the timeout)', async () => {
    const controller = new AbortController();
    const reading = readInput(from('SELECT pg_sleep(20)', { statement_timeout: '30000' }), {
      signal: controller.signal,
    }).catch((e: unknown) => e as SnagError);
    await vi.waitFor(
      async () => {
        const [r] = await adminQuery<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'SELECT pg_sleep%' AND state = 'active'",
          [app],
        );
        expect(r!.n).toBe(1);
      },
      { timeout: 10_000, interval: 50 },
    );
    controller.abort();
    const err = await reading;
    expect(isSnagError(err, 'aborted'), String(err)).toBe(true);
    await vi.waitFor(async () => expect(await backendsLeft()).toBe(0), { timeout: 5000, interval: 50 });
  });

  it('warns when the role is a superuser or can write in the schema; not for a role that only reads', async () => {
    const seen: string[] = [];
    const su = await readInput(from('SELECT 1 AS x'), { onWarning: (w) => seen.push(w) });
    expect(su.warnings).toHaveLength(1);
    expect(su.warnings[0]).toMatch(/role "[^"]+" is a superuser/);
    expect(seen).toEqual(su.warnings);

    const w = await readInput(from('SELECT 1 AS x', undefined, writer));
    expect(w.warnings).toHaveLength(1);
    expect(w.warnings[0]).toMatch(new RegExp(`role "${writer}" can write to the tables of the schema ${schema}`));

    const r = await readInput(from('SELECT id AS error_id FROM errors', undefined, reader));
    expect(r.rows).toHaveLength(2);
    expect(r.warnings).toEqual([]);
  });

  it('a statement_timeout that is not a duration is refused before connecting', async () => {
    const err = await refusal('SELECT 1', { statement_timeout: '0' });
    expect(isSnagError(err, 'config')).toBe(true);
    expect(err.message).toMatch(/statement_timeout=0 is not a duration/);
    expect(err.details.field).toBe('from');
  });
});

describe.skipIf(!enabled)('the CLI prints the input warnings on stderr', () => {
  let sim: Simulator;
  let h: Home;
  beforeAll(async () => {
    sim = await startSim({ orgs: 1, projects: 1, errors: 2, events: 2 });
    h = await makeHome(sim);
    await h.credential('admin');
  });
  afterAll(async () => {
    await h?.cleanup();
    await sim?.close();
  });

  it('writeback plan from a superuser URL: a warning on stderr, the plan on stdout', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const sink = (to: string[]) =>
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          to.push(chunk.toString());
          cb();
        },
      });
    const u = new URL(postgresUrl());
    u.searchParams.set('schema', 'public');
    const code = await main(
      [
        'node',
        'snagsync',
        'writeback',
        'plan',
        '--credential',
        'sim-admin',
        '--json',
        '--from',
        `${u.toString()}&query=SELECT 'x' AS project_id, 'y' AS error_id WHERE false`,
      ],
      { stdout: sink(out), stderr: sink(err), stdin: process.stdin, env: h.env },
    );
    expect(code, err.join('')).toBe(0);
    expect(err.join('')).toMatch(/^snagsync: warning: The PostgreSQL input's role "[^"]+" is a superuser/m);
    expect(JSON.parse(out.join('')).rows).toBe(0);
  });
});
