import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSnagError } from '../../src/core/errors.js';
import { startRun } from '../../src/engine/index.js';
import type { Simulator } from '../../src/sim/index.js';
import { prepareWriteback } from '../../src/writeback/index.js';
import { makeHome, startSim, type Home } from '../engine/helpers.js';
import { postgresUrl, requireService } from '../helpers/services.js';
import { simError, simWrites } from './helpers.js';

/** `--from postgres://…?query=SELECT …`: rows from a query on a PostgreSQL destination a source synced, read-only. */

const enabled = requireService('postgres');

describe.skipIf(!enabled)('write-back input from a synced PostgreSQL destination', () => {
  let sim: Simulator;
  let h: Home;
  let url: string;
  const schema = `wbpg_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: postgresUrl() });
    await c.connect();
    try {
      return (await c.query(sql)).rows as Array<Record<string, unknown>>;
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    sim = await startSim({ orgs: 1, projects: 1, errors: 12, events: 40 });
    h = await makeHome(sim);
    const u = new URL(postgresUrl());
    u.searchParams.set('schema', schema);
    url = u.toString();
    const source = await h.source({ destination: url, streams: ['errors'] });
    const s = await (await startRun(h.runtime, source.name)).done;
    expect(s.status, JSON.stringify(s.error)).toBe('succeeded');
  });
  afterAll(async () => {
    await admin(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await h?.cleanup();
    await sim?.close();
  });

  it('plans and applies the rows a query selects (the schema is on the search path), then a rerun skips them', async () => {
    const open = await admin(`SELECT project_id, id FROM "${schema}".errors WHERE status = 'open' ORDER BY id LIMIT 4`);
    expect(open).toHaveLength(4);
    const ids = open.map((r) => String(r.id));
    const query = `SELECT project_id, id AS error_id, 'ignore' AS operation FROM errors WHERE id IN (${ids.map((i) => `'${i}'`).join(',')})`;
    sim.resetStats();
    const s = await prepareWriteback(h.runtime, await h.credential('admin'), `${url}&query=${query}`);
    expect(s.plan.rows).toBe(4);
    expect(simWrites(sim)).toBe(0);
    const r = await s.apply();
    expect(r.totals).toEqual({ applied: 4, skipped: 0, failed: 0 });
    for (const id of ids) expect((await simError(sim, String(open[0]!.project_id), id)).status).toBe('ignored');
    const again = await prepareWriteback(
      h.runtime,
      await h.credential('admin'),
      `${url}&query=${encodeURIComponent(query)}`,
    );
    expect(again.plan.groups.reduce((n, g) => n + g.skip.length, 0)).toBe(4);
  });

  it('the query runs read-only: a statement that writes is refused and the table is intact', async () => {
    const before = await admin(`SELECT count(*)::int AS n FROM "${schema}".errors`);
    const err = await prepareWriteback(
      h.runtime,
      await h.credential('admin'),
      `${url}&query=WITH d AS (DELETE FROM errors RETURNING project_id, id AS error_id) SELECT * FROM d`,
    ).catch((e: unknown) => e);
    expect(isSnagError(err, 'config')).toBe(true);
    expect((err as Error).message).toMatch(/read-only transaction/);
    expect((err as { details: { field: string } }).details.field).toBe('from');
    expect(await admin(`SELECT count(*)::int AS n FROM "${schema}".errors`)).toEqual(before);
  });

  it('a wrong password never shows in the error', async () => {
    const u = new URL(url);
    u.password = 'sekrit-pass-123';
    u.hostname = '127.0.0.1';
    u.port = '1';
    const err = await prepareWriteback(h.runtime, await h.credential('admin'), `${u.toString()}&query=SELECT 1`).catch(
      (e: unknown) => e,
    );
    expect(isSnagError(err, 'config')).toBe(true);
    expect(JSON.stringify((err as { toJSON(): unknown }).toJSON())).not.toContain('sekrit-pass-123');
    expect((err as Error).message).toMatch(/Cannot connect to PostgreSQL/);
  });
});
