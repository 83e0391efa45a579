import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSnagError } from '../../src/core/errors.js';
import { prepareSink } from '../../src/server/sinks/config.js';
import type { Simulator } from '../../src/sim/index.js';
import { postgresUrl, requireService } from '../helpers/services.js';
import { adminQuery } from '../store/pg.js';
import { simWrites } from '../writeback/helpers.js';
import { sourcesServer, startSim, type SourcesServer } from './sources-helpers.js';

/**
 * A destination's table or query input reads a source's synced database and must not change it, whoever saved the
 * destination: a filter is parsed (never pasted into SQL), a query runs as one read-only statement with a timeout.
 * Each attack is followed by a look at what it aimed at.
 */

const pgEnabled = requireService('postgres');

let sim: Simulator;
let s: SourcesServer;
let credentialId: string;

beforeAll(async () => {
  sim = await startSim({ errors: 6 });
  s = await sourcesServer();
  credentialId = await s.credential(sim);
});
afterAll(async () => {
  await s?.cleanup();
  await sim?.close();
});

const sinkBody = (name: string, input: Record<string, unknown>) => ({
  name,
  data_credentials_id: credentialId,
  data_sink_config: { input, operation: { name: 'fix', params: {} } },
});
/** A destination saved as it was before filters were checked (straight into the store). */
const storedSink = (name: string, input: Record<string, unknown>) =>
  s.runtime.store.sinks.create({
    name,
    description: null,
    credential_id: credentialId,
    config: { input, operation: { name: 'fix', params: {} } },
  });

const FILTER_ATTACKS: Array<[string, RegExp, number]> = [
  ["status = 'open'); DROP TABLE canary; --", /unexpected "\)"/, 16],
  [
    "status = 'open' OR set_config('default_transaction_read_only','off',false) = 'x') ; COMMIT; DROP TABLE canary; SELECT (1",
    /"set_config\(…\)" is a function call/,
    20,
  ],
  ['1=1; COMMIT; DROP TABLE canary', /a comparison needs a column on one side/, 1],
  ['id IN (SELECT id FROM canary)', /"SELECT" is not a column/, 8],
  ["status = 'open' UNION SELECT 'x', 'y'", /unexpected "UNION"/, 17],
  ['pg_sleep(90) IS NULL', /"pg_sleep\(…\)" is a function call/, 1],
];

describe.skipIf(!pgEnabled)('a source synced into PostgreSQL', () => {
  const tag = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const schema = `sinkro_${tag}`;
  const app = `sinkro_${tag}`;
  const marker = `/tmp/snagsync-sink-copy-${tag}`;
  const canaryExists = async () =>
    (await adminQuery<{ r: string | null }>(`SELECT to_regclass('"${schema}".canary')::text AS r`))[0]!.r !== null;
  const errorCount = async () =>
    (await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".errors`))[0]!.n;
  const markerExists = async () =>
    (await adminQuery<{ s: unknown }>('SELECT pg_stat_file($1, true) AS s', [marker]))[0]!.s !== null;
  let errors: number;

  beforeAll(async () => {
    const u = new URL(postgresUrl());
    u.searchParams.set('schema', schema);
    const src = await s.source({
      name: 'pg',
      data_credentials_id: credentialId,
      destination: u.toString(),
      source_config: { streams: ['errors'] },
    });
    await s.runToEnd(src.id);
    await adminQuery(`CREATE TABLE "${schema}".canary (x int)`);
    await adminQuery(`INSERT INTO "${schema}".canary VALUES (1)`);
    errors = await errorCount();
    expect(errors).toBeGreaterThan(0);
    // A second source on the same schema whose URL lowers the input's statement_timeout, and names its connections.
    u.searchParams.set('statement_timeout', '1000');
    u.searchParams.set('application_name', app);
    await s.source({
      name: 'pg-1s',
      data_credentials_id: credentialId,
      destination: u.toString(),
      source_config: { streams: ['errors'] },
    });
  });
  afterAll(async () => {
    await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await adminQuery(`COPY (SELECT 1) TO PROGRAM 'rm -f ${marker}'`);
  });

  it('a filter that is not a condition is refused when saved: 400 on the filter, with the position', async () => {
    for (const [filter, why, position] of FILTER_ATTACKS) {
      const res = await s.api(
        'POST',
        '/api/data_sinks',
        sinkBody('hostile', { type: 'table', data_source_id: 'pg', filter }),
      );
      expect(res.statusCode, filter).toBe(400);
      expect(res.json(), filter).toMatchObject({
        field: 'data_sink_config.input.filter',
        message: expect.stringMatching(why),
      });
      expect(res.json().message, filter).toContain(`at position ${position}: `);
    }
    expect((await s.api('GET', '/api/data_sinks')).json()).toEqual([]);
    expect(await canaryExists()).toBe(true);
    expect(await errorCount()).toBe(errors);
  });

  it('a destination saved with such a filter before the check is refused at plan (API and library); nothing ran', async () => {
    for (const [i, [filter, why]] of FILTER_ATTACKS.entries()) {
      const sink = await storedSink(`old ${i}`, { type: 'table', data_source_id: 'pg', filter });
      const res = await s.api('POST', `/api/data_sinks/${sink.id}/plan`);
      expect(res.statusCode, filter).toBe(400);
      expect(res.json(), filter).toMatchObject({
        field: 'data_sink_config.input.filter',
        message: expect.stringMatching(why),
      });
      const err = await prepareSink(s.runtime, sink).catch((e: unknown) => e);
      expect(isSnagError(err, 'config'), filter).toBe(true);
      expect((err as { details: { field: string } }).details.field).toBe('data_sink_config.input.filter');
      await s.runtime.store.sinks.remove(sink.id);
    }
    expect(await canaryExists()).toBe(true);
    expect(await errorCount()).toBe(errors);
    expect(simWrites(sim)).toBe(0);
  });

  it('a query input with several statements is saved, and refused at plan: set_config … ; COMMIT; DROP TABLE leaves the table', async () => {
    const res = await s.api(
      'POST',
      '/api/data_sinks',
      sinkBody('multi', {
        type: 'query',
        data_source_id: 'pg',
        query: "SELECT set_config('default_transaction_read_only','off',false) AS x; COMMIT; DROP TABLE canary",
      }),
    );
    expect(res.statusCode, res.body).toBe(201);
    const plan = await s.api('POST', `/api/data_sinks/${res.json().id}/plan`);
    expect(plan.statusCode).toBe(400);
    expect(plan.json()).toMatchObject({
      field: 'data_sink_config.input',
      message: expect.stringMatching(/more than one statement/),
    });
    expect(await canaryExists()).toBe(true);
    await s.api('DELETE', `/api/data_sinks/${res.json().id}`);
  });

  it('COPY … TO PROGRAM through a query input (the URL is a superuser): refused when saved or at plan; no file', async () => {
    const touch = `COPY (SELECT 1) TO PROGRAM 'touch ${marker}'`;
    const alone = await s.api(
      'POST',
      '/api/data_sinks',
      sinkBody('copy', { type: 'query', data_source_id: 'pg', query: touch }),
    );
    expect(alone.statusCode).toBe(400);
    expect(alone.json().field).toBe('data_sink_config.input.query');
    for (const query of [
      `SELECT 1 AS x; ${touch}`,
      `SELECT query_to_xml('${touch.replace(/'/g, "''")}', true, false, '')`,
    ]) {
      const res = await s.api(
        'POST',
        '/api/data_sinks',
        sinkBody('copy', { type: 'query', data_source_id: 'pg', query }),
      );
      expect(res.statusCode, res.body).toBe(201);
      const plan = await s.api('POST', `/api/data_sinks/${res.json().id}/plan`);
      expect(plan.statusCode, query).toBe(400);
      expect(plan.json().field).toBe('data_sink_config.input');
      await s.api('DELETE', `/api/data_sinks/${res.json().id}`);
      expect(await markerExists(), query).toBe(false);
    }
  });

  it("pg_sleep through a query input stops at the URL's statement_timeout; the request ends, the connection is closed", async () => {
    const res = await s.api(
      'POST',
      '/api/data_sinks',
      sinkBody('sleepy', { type: 'query', data_source_id: 'pg-1s', query: 'SELECT pg_sleep(5)' }),
    );
    expect(res.statusCode, res.body).toBe(201);
    const started = Date.now();
    const plan = await s.api('POST', `/api/data_sinks/${res.json().id}/plan`);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(plan.statusCode).toBe(400);
    expect(plan.json()).toMatchObject({
      field: 'data_sink_config.input',
      message: 'The write-back query ran longer than 1 s and was stopped.',
    });
    const [left] = await adminQuery<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
      [app],
    );
    expect(left!.n).toBe(0);
    await s.api('DELETE', `/api/data_sinks/${res.json().id}`);
  });

  it('a filter that is a condition plans, its values as parameters; the plan warns that the role is a superuser', async () => {
    const [open] = await adminQuery<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${schema}".errors WHERE status = 'open' AND last_seen_unfiltered < '2100-01-01'`,
    );
    const res = await s.api(
      'POST',
      '/api/data_sinks',
      sinkBody('good', {
        type: 'table',
        data_source_id: 'pg',
        filter: "status = 'open' AND last_seen_unfiltered < '2100-01-01' AND NOT discarded",
      }),
    );
    expect(res.statusCode, res.body).toBe(201);
    sim.resetStats();
    const plan = await s.api('POST', `/api/data_sinks/${res.json().id}/plan`);
    expect(plan.statusCode, plan.body).toBe(200);
    expect(open!.n).toBeGreaterThan(0);
    expect(plan.json().rows).toBe(open!.n);
    expect(plan.json().warnings).toEqual([expect.stringMatching(/role "[^"]+" is a superuser/)]);
    expect(simWrites(sim)).toBe(0);
    await s.api('DELETE', `/api/data_sinks/${res.json().id}`);
  });
});

describe('a source synced into SQLite', () => {
  let db: string;
  const hash = () => createHash('sha256').update(readFileSync(db)).digest('hex');
  beforeAll(async () => {
    const src = await s.source({
      name: 'lite',
      data_credentials_id: credentialId,
      destination: 'sqlite:lite.db',
      source_config: { streams: ['errors'] },
    });
    await s.runToEnd(src.id);
    db = join(s.home, 'lite.db');
  });

  it('a hostile filter is refused when saved and at plan; the file is unchanged; a good one plans without warnings', async () => {
    const before = hash();
    for (const [filter, why] of FILTER_ATTACKS) {
      const res = await s.api(
        'POST',
        '/api/data_sinks',
        sinkBody('hostile', { type: 'table', data_source_id: 'lite', filter }),
      );
      expect(res.statusCode, filter).toBe(400);
      expect(res.json().field).toBe('data_sink_config.input.filter');
      const sink = await storedSink('old', { type: 'table', data_source_id: 'lite', filter });
      const plan = await s.api('POST', `/api/data_sinks/${sink.id}/plan`);
      expect(plan.statusCode, filter).toBe(400);
      expect(plan.json().message, filter).toMatch(why);
      await s.runtime.store.sinks.remove(sink.id);
    }
    const multi = await s.api(
      'POST',
      '/api/data_sinks',
      sinkBody('multi', { type: 'query', data_source_id: 'lite', query: 'SELECT 1 AS x; DROP TABLE errors' }),
    );
    expect(multi.statusCode).toBe(201);
    const refused = await s.api('POST', `/api/data_sinks/${multi.json().id}/plan`);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().message).toMatch(/more than one statement/);
    await s.api('DELETE', `/api/data_sinks/${multi.json().id}`);
    expect(hash()).toBe(before);

    const filter = "status = 'open' AND last_seen_unfiltered < '2100-01-01' AND unthrottled_occurrence_count > 0";
    const ro = new Database(db, { readonly: true });
    const { n } = ro
      .prepare(
        `SELECT count(*) AS n FROM errors WHERE status = 'open' AND last_seen_unfiltered < '2100-01-01' AND unthrottled_occurrence_count > 0`,
      )
      .get() as { n: number };
    ro.close();
    const good = await s.api(
      'POST',
      '/api/data_sinks',
      sinkBody('good', { type: 'table', data_source_id: 'lite', filter }),
    );
    expect(good.statusCode, good.body).toBe(201);
    const plan = await s.api('POST', `/api/data_sinks/${good.json().id}/plan`);
    expect(plan.statusCode, plan.body).toBe(200);
    expect(n).toBeGreaterThan(0);
    expect(plan.json()).toMatchObject({ rows: n, warnings: [] });
    await s.api('DELETE', `/api/data_sinks/${good.json().id}`);
    expect(hash()).toBe(before);
  });
});
