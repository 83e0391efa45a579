import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRun } from '../../src/engine/index.js';
import { createSource } from '../../src/engine/sources.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { newCredentialId } from '../../src/store/index.js';
import { BIN, runCli } from '../helpers/cli.js';
import { postgresUrl, requireService } from '../helpers/services.js';
import { ANCHOR } from '../engine/helpers.js';
import { adminQuery, testSchema, type TestSchema } from '../store/pg.js';

/**
 * The cluster of issue 14, on one machine: 3 `snagsync worker` processes on a PostgreSQL store and queue, 4 tokens
 * (one simulator each, with its rate window scaled down to 1 s), 12 projects, ~50,000 events, synced by four
 * `snagsync sync` commands that enqueue and follow. One worker is killed with SIGKILL while it reads a unit. Then:
 * the simulators saw at most the in-flight cap (2) of requests at once per token and no 429; every record is in
 * PostgreSQL once, with the same keys as a single-process sync of the same seeds; each run's totals equal its rows;
 * the killed worker's unit was taken again by another worker.
 */
const enabled = requireService('postgres');
const TOKENS = 4;
const STREAMS = ['events', 'errors', 'releases'];
const EVENTS_PER_PROJECT = 4200;
const IN_FLIGHT_CAP = 2;

interface Worker {
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  exited: Promise<number | null>;
}

describe.runIf(enabled)('a cluster of 3 workers on PostgreSQL', { timeout: 150_000 }, () => {
  const sims: Simulator[] = [];
  const schemas: string[] = [];
  let store: TestSchema;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let rt: Runtime;
  const workers: Worker[] = [];

  const destUrl = (schema: string) => {
    schemas.push(schema);
    const u = new URL(postgresUrl());
    u.searchParams.set('schema', schema);
    return u.toString();
  };

  beforeAll(async () => {
    for (let i = 0; i < TOKENS; i++)
      sims.push(
        await startSimulator({
          anchor: ANCHOR,
          seed: 100 + i,
          orgs: 1,
          projects: 3,
          errors: 60,
          events: EVENTS_PER_PROJECT,
          releases: 6,
          rateLimit: 80,
          rateWindowMs: 1000,
        }),
      );
    store = testSchema('snagcluster');
    home = mkdtempSync(join(tmpdir(), 'snagsync-cluster-'));
    env = {
      SNAGSYNC_HOME: home,
      SNAGSYNC_MASTER_KEY: randomBytes(32).toString('base64'),
      SNAGSYNC_DATABASE_URL: store.url,
      SNAGSYNC_RATE_WINDOW_MS: '1000',
      SNAGSYNC_RETRY_BASE_MS: '20',
      // Short leases, so that the killed worker's unit is taken again within seconds, not a minute.
      SNAGSYNC_QUEUE_LEASE_MS: '4000',
    };
    rt = openRuntime({ env: { ...process.env, ...env }, home });
    for (let i = 0; i < TOKENS; i++) {
      const sim = sims[i]!;
      const t = sim.tokens.find((x) => x.role === 'admin')!;
      const id = newCredentialId();
      await rt.store.credentials.create({
        id,
        name: `token-${i}`,
        host: sim.url,
        ...(await rt.vault.seal(id, t.token)),
        verified_status: 'VERIFIED',
        verified_at: new Date(),
        organizations: [],
      });
      for (const [prefix, suffix] of [
        ['cluster', 'cl'],
        ['local', 'lo'],
      ] as const)
        await createSource(
          rt,
          {
            name: `${prefix}-${i}`,
            credential: `token-${i}`,
            destination: destUrl(`${suffix}_${process.pid}_${i}_${randomBytes(2).toString('hex')}`),
            streams: STREAMS,
          },
          { cwd: home },
        );
    }
  }, 60_000);

  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await rt?.close();
    for (const s of sims) await s.close();
    for (const s of schemas) await adminQuery(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await store?.drop();
    await adminQuery(`DROP SCHEMA IF EXISTS "${store.schema}_queue" CASCADE`);
    rmSync(home, { recursive: true, force: true });
  });

  const startWorker = (): Worker => {
    const child = spawn(process.execPath, [BIN, 'worker', '--concurrency', '2', '--json'], {
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const lines: Array<Record<string, unknown>> = [];
    let buf = '';
    child.stderr!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          lines.push({ type: 'text', text: line });
        }
        nl = buf.indexOf('\n');
      }
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const w = { child, lines, exited };
    workers.push(w);
    return w;
  };

  const rowsIn = async (url: string) => {
    const schema = new URL(url).searchParams.get('schema')!;
    const ids = new Map<string, string[]>();
    for (const s of STREAMS) {
      const r = await adminQuery<{ k: string }>(`SELECT project_id || '|' || id AS k FROM "${schema}"."${s}"`);
      ids.set(s, r.map((x) => x.k).sort());
    }
    return ids;
  };

  it('syncs every record once within the token lanes, with a worker killed mid-unit', async () => {
    // The same seeds synced in one process first: what the cluster must end with.
    const t0 = Date.now();
    const local: Map<string, string[]>[] = [];
    const handles = await Promise.all(Array.from({ length: TOKENS }, (_, i) => startRun(rt, `local-${i}`)));
    for (const [i, h] of handles.entries()) {
      const summary = await h.done;
      expect(summary.status, JSON.stringify(summary.error)).toBe('succeeded');
      const src = await rt.store.sources.findByNameOrId(`local-${i}`);
      local.push(await rowsIn(src.destination));
    }
    const expectedEvents = local.reduce((n, m) => n + m.get('events')!.length, 0);
    expect(expectedEvents).toBe(TOKENS * 3 * EVENTS_PER_PROJECT);
    for (const s of sims) s.resetStats();
    process.stderr.write(`[cluster] local syncs: ${Date.now() - t0} ms\n`);
    const t1 = Date.now();

    const [victim] = [startWorker(), startWorker(), startWorker()];
    let syncing = TOKENS;
    const syncs = Array.from({ length: TOKENS }, (_, i) =>
      runCli(['sync', `cluster-${i}`, '--json'], { env, cwd: home, timeoutMs: 120_000 }).finally(() => syncing--),
    );

    // Kill the first worker with SIGKILL once it is reading an events unit that has committed pages.
    let killedUnit: string | undefined;
    let killedRun: string | undefined;
    while (!killedUnit) {
      const active = new Map<string, string>();
      for (const l of victim!.lines) {
        const key = `${l.run as string} ${l.unit as string}`;
        if (l.type === 'unit-start') active.set(key, l.unit as string);
        if (l.type === 'unit-end') active.delete(key);
      }
      for (const [key, unit] of active) {
        if (!unit.startsWith('events@')) continue;
        const run = key.split(' ')[0]!;
        const rows = await rt.store.runs.listStreams(run);
        const row = rows.find((r) => `${r.stream}@${r.partition}` === unit);
        if (row && row.records_read > 0 && row.outcome === null) {
          victim!.child.kill('SIGKILL');
          killedUnit = unit;
          killedRun = run;
          break;
        }
      }
      if (!killedUnit) {
        if (syncing === 0) throw new Error('every run ended before a unit could be killed');
        await new Promise((r) => setTimeout(r, 30));
      }
    }
    await victim!.exited;

    const results = await Promise.all(syncs);
    process.stderr.write(`[cluster] cluster syncs: ${Date.now() - t1} ms\n`);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const summaries = results.map((r) => JSON.parse(r.stdout) as { run_id: string; status: string });
    for (const s of summaries) expect(s.status).toBe('succeeded');

    // The killed unit was taken again by another worker once its lease ran out.
    const again = workers
      .slice(1)
      .flatMap((w) => w.lines)
      .filter((l) => l.type === 'unit-start' && l.unit === killedUnit && (l.retries as number) > 0);
    expect(again.length).toBeGreaterThan(0);

    // Per token: never more than the in-flight cap at once, and no 429.
    for (const sim of sims) {
      const t = sim.stats().byToken.admin!;
      expect(t.requests).toBeGreaterThan(100);
      expect(t.maxConcurrent).toBeLessThanOrEqual(IN_FLIGHT_CAP);
      expect(t.rateLimited).toBe(0);
    }

    for (let i = 0; i < TOKENS; i++) {
      const src = await rt.store.sources.findByNameOrId(`cluster-${i}`);
      const got = await rowsIn(src.destination);
      let rows = 0;
      for (const s of STREAMS) {
        expect(got.get(s), `${s} of cluster-${i}`).toEqual(local[i]!.get(s));
        rows += got.get(s)!.length;
      }
      const run = await rt.store.runs.findById(summaries[i]!.run_id);
      expect(run.status).toBe('succeeded');
      // The killed run too: its units count from the counts carried in their checkpoints, committed with each page.
      expect(run.totals.records_written, `run of cluster-${i}${run.id === killedRun ? ' (worker killed)' : ''}`).toBe(
        rows,
      );
    }
  });
});
