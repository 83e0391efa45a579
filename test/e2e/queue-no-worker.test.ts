import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSource } from '../../src/engine/sources.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import type { Simulator } from '../../src/sim/index.js';
import { newCredentialId } from '../../src/store/index.js';
import { BIN } from '../helpers/cli.js';
import { requireService } from '../helpers/services.js';
import { startSim } from '../engine/helpers.js';
import { adminQuery, testSchema, type TestSchema } from '../store/pg.js';

/**
 * `snagsync sync` on a PostgreSQL store with no worker alive (issue 19): it says so within seconds, with how to start
 * one or sync here, and keeps waiting; Ctrl-C cancels the run at once — cancelled in the store, no job of it left in
 * the queue — and exits with the cancel code; a worker started after the notice takes the run and the sync completes.
 */
describe.runIf(requireService('postgres'))('sync with no worker alive', { timeout: 120_000 }, () => {
  let sim: Simulator;
  let store: TestSchema;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let rt: Runtime;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    sim = await startSim({ orgs: 1, projects: 2, errors: 10, events: 100, releases: 2 });
    store = testSchema('snagnowork');
    home = mkdtempSync(join(tmpdir(), 'snagsync-noworker-'));
    env = {
      SNAGSYNC_HOME: home,
      SNAGSYNC_MASTER_KEY: randomBytes(32).toString('base64'),
      SNAGSYNC_DATABASE_URL: store.url,
      SNAGSYNC_RETRY_BASE_MS: '20',
      SNAGSYNC_PROGRESS: 'none',
    };
    rt = openRuntime({ env: { ...process.env, ...env }, home });
    const t = sim.tokens.find((x) => x.role === 'admin')!;
    const id = newCredentialId();
    await rt.store.credentials.create({
      id,
      name: 'sim',
      host: sim.url,
      ...(await rt.vault.seal(id, t.token)),
      verified_status: 'VERIFIED',
      verified_at: new Date(),
      organizations: [],
    });
  });

  /** A source of the test's own, so that a run one test leaves behind cannot stand in another's way. */
  const source = async (name: string) => {
    await createSource(
      rt,
      { name, credential: 'sim', destination: `sqlite:${join(home, `${name}.db`)}`, streams: ['events', 'errors'] },
      { cwd: home },
    );
    return name;
  };

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await rt.close();
    await sim.close();
    await store.drop();
    await adminQuery(`DROP SCHEMA IF EXISTS "${store.schema}_queue" CASCADE`);
    rmSync(home, { recursive: true, force: true });
  });

  /** A spawned CLI whose stderr can be waited on: `until(re)` settles when it matches, or fails after `ms`. */
  const cli = (args: string[]) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    const waiters = new Set<() => void>();
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      for (const w of [...waiters]) w();
    });
    let ended = false;
    const exited = new Promise<number | null>((r) =>
      child.on('exit', (code) => {
        ended = true;
        for (const w of [...waiters]) w();
        r(code);
      }),
    );
    const until = (re: RegExp, ms: number, what: string) =>
      new Promise<{ match: RegExpMatchArray; at: number }>((resolve, reject) => {
        const look = () => {
          const m = stderr.match(re);
          if (!m && !ended) return;
          done();
          if (m) resolve({ match: m, at: Date.now() });
          else reject(new Error(`no ${what}: the process exited; stderr:\n${stderr}`));
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${what} within ${ms} ms; stderr:\n${stderr}`));
        }, ms);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(look);
        };
        waiters.add(look);
        look();
      });
    /** Exit code, or a failure if the process is still there after `ms` (it is then killed). */
    const exit = (ms: number) =>
      Promise.race([
        exited,
        new Promise<never>((_, reject) =>
          setTimeout(() => {
            child.kill('SIGKILL');
            reject(new Error(`still running ${ms} ms later; stderr:\n${stderr}`));
          }, ms).unref(),
        ),
      ]);
    return { child, until, exit, stdout: () => stdout, stderr: () => stderr };
  };

  /** Jobs of the run still in pg-boss's job table (waiting, delayed, active or settled). */
  const jobsOf = (runId: string) =>
    adminQuery<{ state: string }>(`SELECT state FROM "${store.schema}_queue".job WHERE data->'d'->>'run' = $1`, [
      runId,
    ]);
  const statusOf = async (runId: string) =>
    (await adminQuery<{ status: string }>(`SELECT status FROM "${store.schema}".runs WHERE id = $1`, [runId]))[0]
      ?.status;

  it('says within seconds that no worker is alive, with how to start one or sync here, and keeps waiting', async () => {
    const sync = cli(['sync', await source('waits')]);
    const queued = await sync.until(/Run (\S+) queued/, 30_000, 'queued line');
    const runId = queued.match[1]!;
    const notice = await sync.until(/No worker is alive to execute run (\S+): (.*)\n(.*)/, 10_000, 'no-worker notice');
    // Said within the bound, counted from the run being queued (the CLI's own start-up is not the point).
    expect(notice.at - queued.at).toBeLessThanOrEqual(5000);
    expect(notice.match[1]).toBe(runId);
    expect(notice.match[2]).toContain('waits on the queue until one starts');
    expect(notice.match[3]).toContain('`snagsync worker`');
    expect(notice.match[3]).toContain('`snagsync sync waits --local`');
    // The run waits meanwhile: queued, not executed, and the command has not given up.
    expect(await statusOf(runId)).toBe('running');
    expect((await jobsOf(runId)).map((j) => j.state)).toEqual(['created']);
    expect(sync.child.exitCode).toBeNull();
    sync.child.kill('SIGINT');
    expect(await sync.exit(15_000)).toBe(130);
  });

  it('Ctrl-C cancels the waiting run at once: cancelled in the store, no job of it in the queue, the cancel code', async () => {
    const sync = cli(['sync', await source('cancels')]);
    const runId = (await sync.until(/Run (\S+) queued/, 30_000, 'queued line')).match[1]!;
    const sent = Date.now();
    sync.child.kill('SIGINT');
    const code = await sync.exit(15_000);
    expect(code, sync.stderr()).toBe(130);
    expect(Date.now() - sent).toBeLessThan(10_000);
    expect(sync.stderr()).toContain(`Cancelling run ${runId}`);
    expect(sync.stderr()).toContain('The sync was cancelled');
    expect(sync.stdout()).toMatch(new RegExp(`Run ${runId} of "cancels": cancelled`));
    expect(await statusOf(runId)).toBe('cancelled');
    expect(await jobsOf(runId)).toEqual([]);
  });

  it('with --json, the notice is a JSON line on stderr, and the summary on stdout says cancelled', async () => {
    const sync = cli(['sync', await source('json'), '--json']);
    const line = await sync.until(/^\{"type":"no-worker".*\}$/m, 30_000, 'no-worker JSON line');
    const notice = JSON.parse(line.match[0]) as { type: string; runId: string; message: string; hint: string };
    expect(notice.message).toContain('No worker is alive');
    expect(notice.hint).toContain('snagsync worker');
    sync.child.kill('SIGINT');
    expect(await sync.exit(15_000)).toBe(130);
    const summary = JSON.parse(sync.stdout()) as { run_id: string; status: string };
    expect(summary).toMatchObject({ run_id: notice.runId, status: 'cancelled' });
    expect(await statusOf(notice.runId)).toBe('cancelled');
    expect(await jobsOf(notice.runId)).toEqual([]);
  });

  it('keeps waiting after the notice: a worker started then takes the run, and the sync completes', async () => {
    const sync = cli(['sync', await source('later')]);
    await sync.until(/No worker is alive to execute run (\S+)/, 30_000, 'no-worker notice');
    const worker = cli(['worker', '--concurrency', '1']);
    const code = await sync.exit(60_000);
    expect(code, sync.stderr()).toBe(0);
    expect(sync.stdout()).toMatch(/of "later": succeeded/);
    worker.child.kill('SIGINT');
    expect(await worker.exit(30_000)).toBe(0);
    // A worker that stopped no longer counts as alive: the next sync says so again.
    const [{ n }] = (await adminQuery<{ n: string }>(
      `SELECT count(*) AS n FROM "${store.schema}_queue".snagsync_workers`,
    )) as [{ n: string }];
    expect(n).toBe('0');
  });
});
