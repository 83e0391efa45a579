import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isSnagError } from '../../src/core/errors.js';
import { runPid, type RunEvent, type RunHandle } from '../../src/engine/index.js';
import { chooseExecutor } from '../../src/server/runs/executor.js';
import type { Simulator } from '../../src/sim/index.js';
import { sourcesServer, startSim, type SourcesServer } from './sources-helpers.js';

/**
 * Runs the server starts execute in a child process each (engine/process-executor.ts): the run's rows carry the
 * child's pid, the server's event loop stays free while the child writes, events arrive as the engine emits them,
 * a cancel ends the run `cancelled`, and a child killed with SIGKILL leaves its run `failed` with a clear message —
 * and the next run resumes from the checkpoints the dead one committed, losing nothing.
 */

const WINDOW_MS = 200;
let slow: Simulator;
const servers: SourcesServer[] = [];

beforeEach(async () => {
  // 4 requests per 200 ms: 2 × 1500 events at 30 a page takes over 5 s — time to cancel or kill mid-run. One per
  // test: a run's last requests must not leave the next test's credential check a spent rate-limit window.
  slow = await startSim({ rateLimit: 4, rateWindowMs: WINDOW_MS, projects: 2, events: 1500 });
});
afterEach(async () => {
  for (const s of servers.splice(0)) await s.cleanup();
  await slow.close();
});

async function server(options: Parameters<typeof sourcesServer>[0] = {}): Promise<SourcesServer> {
  const s = await sourcesServer({ env: { SNAGSYNC_RATE_WINDOW_MS: String(WINDOW_MS) }, ...options });
  servers.push(s);
  return s;
}

async function startThroughApi(s: SourcesServer, sourceId: string): Promise<RunHandle> {
  const res = await s.api('POST', `/api/data_sources/${sourceId}/runs`);
  expect(res.statusCode, res.body).toBe(202);
  return s.app.snag.runs.get(res.json().run_id as string)!.handle;
}

/** Resolves with the first event `match` accepts (the run's events, history included). */
function eventWhere(handle: RunHandle, match: (e: RunEvent) => boolean): Promise<RunEvent> {
  return new Promise((resolve) => {
    const seen = handle.events.history().find(match);
    if (seen) return resolve(seen);
    const off = handle.events.subscribe((e) => {
      if (match(e)) {
        off();
        resolve(e);
      }
    });
  });
}

const pagesOfEvents = (n: number) => (e: RunEvent) => e.type === 'page' && e.stream === 'events' && e.pages >= n;

function eventRows(dbPath: string): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('runs started by the server', () => {
  it('execute in a child process, whose pid the run records, with the events the engine emits', async () => {
    const s = await server();
    expect(s.app.snag.runs.executor.kind).toBe('process');
    const credentialId = await s.credential(slow);
    const src = await s.source({
      name: 'child',
      data_credentials_id: credentialId,
      source_config: { streams: ['errors'] },
    });
    const handle = await startThroughApi(s, src.id);
    const pid = runPid(handle);
    expect(pid).not.toBe(process.pid);
    // Background work: the child yields the cores to the server's answers (nice 19, and on Linux the idle class,
    // SCHED_IDLE = 5: field 41 of /proc/PID/stat, the 39th after the command's closing parenthesis).
    expect(getPriority(pid)).toBe(19);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    expect(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]).toBe('5');
    const summary = await handle.done;
    expect(summary.status, JSON.stringify(summary.error)).toBe('succeeded');
    const run = await s.runtime.store.runs.findById(handle.runId);
    expect(run).toMatchObject({ status: 'succeeded', pid });
    const evs = handle.events.history();
    expect(evs[0]!.type).toBe('run-start');
    expect(evs.at(-1)).toMatchObject({ type: 'run-done', status: 'succeeded', summary: { run_id: handle.runId } });
    for (let i = 1; i < evs.length; i++) expect(evs[i]!.seq).toBeGreaterThan(evs[i - 1]!.seq);
    expect(summary.totals.records_written).toBeGreaterThan(0);
  });

  it('give the child neither the token nor the master key in its argv or environment', async () => {
    const masterKey = randomBytes(32).toString('base64');
    const s = await server({ env: { SNAGSYNC_RATE_WINDOW_MS: String(WINDOW_MS), SNAGSYNC_MASTER_KEY: masterKey } });
    const credentialId = await s.credential(slow);
    const src = await s.source({
      name: 'secret',
      data_credentials_id: credentialId,
      source_config: { streams: ['events'] },
    });
    const handle = await startThroughApi(s, src.id);
    await eventWhere(handle, pagesOfEvents(1)); // the child has unsealed the token and is reading with it
    const pid = runPid(handle);
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    const token = slow.tokens.find((t) => t.role === 'admin')!.token;
    for (const text of [cmdline, environ]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(masterKey);
    }
    handle.cancel();
    expect((await handle.done).status).toBe('cancelled');
  });

  it('refuse to start as startRun would: a second run of a live source is a conflict', async () => {
    const s = await server();
    const credentialId = await s.credential(slow);
    const src = await s.source({
      name: 'twice',
      data_credentials_id: credentialId,
      source_config: { streams: ['events'] },
    });
    const handle = await startThroughApi(s, src.id);
    await eventWhere(handle, pagesOfEvents(1));
    const again = await s.api('POST', `/api/data_sources/${src.id}/runs`);
    expect(again.statusCode, again.body).toBe(409);
    expect(again.json().message).toContain('is already being synced');
    handle.cancel();
    expect((await handle.done).status).toBe('cancelled');
  });

  it('are cancelled through the API: the child stops and records the run cancelled', async () => {
    const s = await server();
    const credentialId = await s.credential(slow);
    const src = await s.source({
      name: 'cancel',
      data_credentials_id: credentialId,
      source_config: { streams: ['events'] },
    });
    const handle = await startThroughApi(s, src.id);
    await eventWhere(handle, pagesOfEvents(1));
    const res = await s.api('POST', `/api/runs/${handle.runId}/cancel`);
    expect(res.statusCode, res.body).toBe(202);
    const summary = await handle.done;
    expect(summary.status).toBe('cancelled');
    expect(summary.error?.message).toContain('cancelled');
    expect((await s.runtime.store.runs.findById(handle.runId)).status).toBe('cancelled');
    await s.app.snag.runs.executor.close?.(); // settles once the child has exited
    expect(() => process.kill(runPid(handle), 0)).toThrow();
  });

  it('survive the child being killed with SIGKILL: the run is failed with a clear message, the next one resumes', async () => {
    const s = await server();
    const credentialId = await s.credential(slow);
    const dbPath = join(s.home, 'killed.db');
    const src = await s.source({
      name: 'killed',
      data_credentials_id: credentialId,
      destination: `sqlite:${dbPath}`,
      source_config: { streams: ['events'] },
    });
    const first = await startThroughApi(s, src.id);
    await eventWhere(first, pagesOfEvents(3));
    process.kill(runPid(first), 'SIGKILL');
    const dead = await first.done;
    expect(dead.status).toBe('failed');
    expect(dead.error?.message).toContain('killed by SIGKILL');
    expect(dead.error?.message).toContain('the next sync resumes from there');
    const stored = await s.runtime.store.runs.findById(first.runId);
    expect(stored.status).toBe('failed');
    expect(stored.error?.message).toBe(dead.error?.message);
    // The live view and the SSE feed end like any other run: with run-done.
    expect(first.events.history().at(-1)).toMatchObject({ type: 'run-done', status: 'failed' });
    const kept = eventRows(dbPath);
    expect(kept).toBeGreaterThanOrEqual(3 * 30);

    const second = await startThroughApi(s, src.id);
    const summary = await second.done;
    expect(summary.status, JSON.stringify(summary.error)).toBe('succeeded');
    const resumed = second.events
      .history()
      .filter((e): e is Extract<RunEvent, { type: 'stream-start' }> => e.type === 'stream-start')
      .filter((e) => e.stream === 'events' && e.resumed);
    expect(resumed.length).toBeGreaterThan(0);
    expect(eventRows(dbPath)).toBe(2 * 1500);
    // It read fewer events than the whole history: it went on from the dead run's checkpoint.
    expect(summary.totals.records_read).toBeLessThan(2 * 1500);
  }, 90_000);
});

describe("the server's event loop while a sync writes", () => {
  let fast: Simulator;
  beforeAll(async () => {
    fast = await startSim({ projects: 2, events: 1200, errors: 50 });
  });
  afterAll(async () => {
    await fast.close();
  });

  /** Event-loop delay (p99, max) and utilisation of this process while a full-report events sync runs to its end. */
  async function measure(executor: 'process' | 'in-process') {
    const s = await server({ executor, env: {} });
    const credentialId = await s.credential(fast);
    const src = await s.source({
      name: `loop-${executor}`,
      data_credentials_id: credentialId,
      source_config: { streams: ['events'], full_reports: true },
    });
    const handle = await startThroughApi(s, src.id);
    await eventWhere(handle, (e) => e.type === 'plan');
    const h = monitorEventLoopDelay({ resolution: 5 });
    const elu0 = performance.eventLoopUtilization();
    h.enable();
    const summary = await handle.done;
    h.disable();
    const elu = performance.eventLoopUtilization(elu0).utilization;
    expect(summary.status, JSON.stringify(summary.error)).toBe('succeeded');
    expect(summary.totals.records_written).toBe(2 * 1200);
    return { p99: h.percentile(99) / 1e6, max: h.max / 1e6, elu, pid: runPid(handle) };
  }

  it('stays free with the child-process executor, unlike in-process (delay histogram, same test)', async () => {
    const inProcess = await measure('in-process');
    const child = await measure('process');
    console.log('event loop while syncing', { inProcess, child });
    expect(inProcess.pid).toBe(process.pid);
    expect(child.pid).not.toBe(process.pid);
    // In-process the sync's parsing and synchronous SQLite writes run on this loop; in a child they do not.
    expect(child.elu).toBeLessThan(inProcess.elu / 2);
    expect(child.p99).toBeLessThan(inProcess.p99);
  }, 120_000);
});

describe('the executor of the server', () => {
  it('is a child process per run unless SNAGSYNC_RUN_EXECUTOR or the option says in-process', () => {
    expect(chooseExecutor(undefined, {}).kind).toBe('process');
    expect(chooseExecutor(undefined, { SNAGSYNC_RUN_EXECUTOR: 'in-process' }).kind).toBe('in-process');
    expect(chooseExecutor('process', { SNAGSYNC_RUN_EXECUTOR: 'in-process' }).kind).toBe('process');
    expect(chooseExecutor(undefined, { SNAGSYNC_RUN_NICE: '0' }).kind).toBe('process');
    expect(chooseExecutor(undefined, { SNAGSYNC_RUN_NICE: 'idle' }).kind).toBe('process');
  });

  it('refuses a value it does not know, naming the variable and the values it takes', () => {
    for (const env of [
      { SNAGSYNC_RUN_EXECUTOR: 'threads' },
      { SNAGSYNC_RUN_NICE: '25' },
      { SNAGSYNC_RUN_NICE: 'low' },
    ]) {
      let err: unknown;
      try {
        chooseExecutor(undefined, env);
      } catch (e) {
        err = e;
      }
      expect(isSnagError(err, 'config'), String(err)).toBe(true);
      expect((err as Error).message).toContain(Object.keys(env)[0]!);
    }
  });
});
