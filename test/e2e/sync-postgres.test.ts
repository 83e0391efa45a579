import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDestination } from '../../src/destinations/index.js';
import type { Simulator } from '../../src/sim/index.js';
import { dropSchema, pgDestinationUrl, uniqueSchema } from '../destinations/pg-schema.js';
import { makeHome, startSim, type Home } from '../engine/helpers.js';
import { watchCli } from '../engine/watch-cli.js';
import { runCli } from '../helpers/cli.js';
import { requireService } from '../helpers/services.js';

/** Every stream's records as key strings, by the key the destination declares for it. */
async function keysByStream(url: string): Promise<Map<string, string[]>> {
  const dest = await openDestination(url, { readOnly: true });
  try {
    const out = new Map<string, string[]>();
    for (const s of (await dest.describe()).streams) {
      const key = s.columns.filter((c) => c.primaryKey).map((c) => c.name);
      const records = await dest.listRecords(s.name);
      expect(records.length).toBe(await dest.countRecords(s.name));
      out.set(s.name, records.map((r) => JSON.stringify(key.map((k) => r[k]))).sort());
    }
    return out;
  } finally {
    await dest.close();
  }
}

/** `snagsync sources create --destination postgres://…` then `snagsync sync`, as a user runs them. */
describe.skipIf(!requireService('postgres'))('snagsync sync into PostgreSQL', () => {
  let sim: Simulator;
  let h: Home;
  const schema = uniqueSchema('snag_e2e');
  // Trust authentication ignores it; it is here to prove it never comes out.
  const password = `pg-pass-${randomBytes(6).toString('hex')}`;
  const url = (() => {
    const u = new URL(pgDestinationUrl(schema));
    u.password = password;
    return u.toString();
  })();

  beforeAll(async () => {
    sim = await startSim({ orgs: 1, projects: 2, errors: 40, events: 1500, releases: 8 });
    h = await makeHome(sim);
    await h.credential('admin');
  });
  afterAll(async () => {
    await h.cleanup();
    await sim.close();
    await dropSchema(schema);
  });
  const cli = (args: string[]) => runCli(args, { env: h.env, cwd: h.home });

  it('stores the same records as a SQLite sync of the same data, resumes incrementally, and never prints the password', async () => {
    const outputs: string[] = [];
    const created = await cli([
      'sources',
      'create',
      '--name',
      'warehouse',
      '--credential',
      'sim-admin',
      '--destination',
      url,
    ]);
    outputs.push(created.stdout, created.stderr);
    expect(created.code, created.stderr).toBe(0);
    expect(
      (
        await cli([
          'sources',
          'create',
          '--name',
          'lite',
          '--credential',
          'sim-admin',
          '--destination',
          'sqlite:lite.db',
        ])
      ).code,
    ).toBe(0);

    const run = await watchCli(['sync', 'warehouse', '--json'], { env: h.env, cwd: h.home });
    outputs.push(run.stdout, run.stderr);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as {
      status: string;
      destination: string;
      totals: { records_written: number };
    };
    expect(summary.status).toBe('succeeded');
    expect(summary.destination).toBe(
      pgDestinationUrl(schema).replace('postgres://postgres@', 'postgres://postgres:[REDACTED]@'),
    );
    expect((await cli(['sync', 'lite'])).code).toBe(0);

    const pg = await keysByStream(url);
    const lite = await keysByStream(`sqlite:${join(h.home, 'lite.db')}`);
    expect([...pg.keys()].sort()).toEqual([...lite.keys()].sort());
    expect(pg.get('events')).toHaveLength(3000);
    // error_history's key holds when each sync observed a state: the same errors, observed at their own times.
    const errorsOf = (keys: readonly string[] = []) => keys.map((k) => JSON.stringify(JSON.parse(k).slice(0, 2)));
    for (const [stream, keys] of lite)
      if (stream === 'error_history') expect(errorsOf(pg.get(stream)), stream).toEqual(errorsOf(keys));
      else expect(pg.get(stream), stream).toEqual(keys);

    const again = await watchCli(['sync', 'warehouse', '--json'], { env: h.env, cwd: h.home });
    outputs.push(again.stdout, again.stderr);
    expect(again.code, again.stderr).toBe(0);
    expect((await keysByStream(url)).get('events')).toEqual(pg.get('events'));

    const show = await cli(['sources', 'show', 'warehouse', '--json']);
    outputs.push(show.stdout, show.stderr);
    const shown = JSON.parse(show.stdout) as { checkpoints?: Array<{ stream: string }> };
    expect(shown.checkpoints?.map((c) => c.stream)).toContain('events');
    const runs = await cli(['runs', 'list', '--source', 'warehouse', '--json']);
    outputs.push(runs.stdout, runs.stderr);
    for (const text of outputs) expect(text).not.toContain(password);
  }, 180_000);
});
