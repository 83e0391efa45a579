import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { projectsOf, simErrorIds, simGet } from '../writeback/helpers.js';
import { login, type Browser } from './helpers.js';
import { postForm, sourcesServer, startSim, type SourcesServer } from './sources-helpers.js';

/**
 * Deleting a credential stops what is under way with its token: the runs of the sources that use it (executed in a
 * child process each, as `snagsync serve` does) and the write-back applies of the destinations that use it — live or
 * still planning. The simulator holds a request for a minute, so a run or an apply is caught mid-request; the delete
 * answers once each has ended, and the simulator sees no request with the token after that.
 */

const HOLD = 'slow:60s';
let sim: Simulator;
let s: SourcesServer;
let credentialId: string;
let browser: Browser;

beforeAll(async () => {
  sim = await startSim({ projects: 1, errors: 6, events: 200 });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  sim.setFaults('');
  s = await sourcesServer();
  credentialId = await s.credential(sim);
  browser = await login(s.app);
});
afterEach(async () => {
  sim.setFaults('');
  await s.cleanup();
});

const adminRequests = () => sim.stats().byToken.admin?.requests ?? 0;
const held = () => sim.stats().faults.slow ?? 0;
const page = (url: string) => s.app.inject({ method: 'GET', url, headers: { cookie: browser.cookie } });

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Errors without comments: planning a comment on them reads no comments, so only the apply touches `/comments`. */
async function uncommentedErrors(project: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (const id of await simErrorIds(sim, project, 6)) {
    const e = (await simGet(sim, `/projects/${project}/errors/${id}`)).body as { comment_count?: number };
    if (!e.comment_count) out.push(id);
  }
  expect(out.length).toBeGreaterThanOrEqual(n);
  return out.slice(0, n);
}

async function commentSink(name: string): Promise<string> {
  const project = projectsOf(sim)[0]!;
  const ids = await uncommentedErrors(project, 2);
  const res = await s.api('POST', '/api/data_sinks', {
    name,
    data_credentials_id: credentialId,
    data_sink_config: {
      input: {
        type: 'file',
        format: 'jsonl',
        content: ids.map((id) => JSON.stringify({ project_id: project, error_id: id })).join('\n'),
      },
      operation: { name: 'comment', params: { message: `from ${name}` } },
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

describe('deleting a credential', () => {
  it('cancels the runs of its sources in progress: the dialog says so first, the answer lists them', async () => {
    const source = await s.source({
      name: 'nightly',
      data_credentials_id: credentialId,
      source_config: { streams: ['events'] },
    });
    sim.resetStats();
    sim.setFaults(`${HOLD}~/events`);
    const started = await s.api('POST', `/api/data_sources/${source.id}/runs`);
    expect(started.statusCode, started.body).toBe(202);
    const runId = started.json().run_id as string;
    expect(s.app.snag.runs.executor.kind).toBe('process');
    // The run's request for events has reached the simulator, which holds it.
    await expect.poll(held, { timeout: 20_000 }).toBeGreaterThan(0);

    const dialog = await page(`/credentials/${credentialId}/delete`);
    expect(dialog.statusCode).toBe(200);
    expect(dialog.body).toContain('1 run in progress will be cancelled');
    expect(dialog.body).toContain('nightly');

    // Without force: refused, naming the sources and the run that force would cancel.
    const refused = await s.api('DELETE', `/api/data_credentials/${credentialId}`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().runs_in_progress).toEqual([
      { id: runId, data_source_id: source.id, data_source_name: 'nightly' },
    ]);
    expect((await s.runtime.store.runs.findById(runId)).status).toBe('running');

    const deleted = await s.api('DELETE', `/api/data_credentials/${credentialId}?force=true`);
    expect(deleted.statusCode, deleted.body).toBe(200);
    const body = deleted.json();
    expect(body.cancelled_runs).toEqual([
      { id: runId, data_source_id: source.id, data_source_name: 'nightly', status: 'cancelled' },
    ]);
    expect(body.disabled_sources).toEqual([{ id: source.id, name: 'nightly' }]);
    expect(body.stopped_applies).toEqual([]);
    expect(body.runs_elsewhere).toEqual([]);
    const admin = sim.tokens.find((t) => t.role === 'admin')!.token;
    expect(deleted.body).not.toContain(admin);
    // Ended when the delete answered (well before the held request would have been answered), recorded cancelled.
    const run = await s.runtime.store.runs.findById(runId);
    expect(run.status).toBe('cancelled');
    expect(held()).toBe(1);

    // Nothing with the token reaches the simulator afterwards, until the run's process is gone.
    const after = adminRequests();
    expect(run.pid).not.toBe(process.pid);
    await expect.poll(() => alive(run.pid!), { timeout: 20_000 }).toBe(false);
    expect(adminRequests()).toBe(after);
    expect(s.logs.join('')).not.toContain(admin);
  });

  it('stops a write-back apply in progress with it (the web UI says so first): the rest of its rows are not sent', async () => {
    const sinkId = await commentSink('annotate');
    sim.resetStats();
    // Planning reads the errors; only posting a comment is held.
    sim.setFaults(`${HOLD}~/comments`);
    const applied = await s.api('POST', `/api/data_sinks/${sinkId}/apply`, {});
    expect(applied.statusCode, applied.body).toBe(202);
    const runId = applied.json().run_id as string;
    await expect.poll(held, { timeout: 20_000 }).toBeGreaterThan(0);
    const comments = () =>
      Object.entries(sim.stats().endpoints)
        .filter(([k]) => k.startsWith('POST ') && k.endsWith('/comments'))
        .reduce((n, [, v]) => n + v, 0);
    expect(comments()).toBe(1);

    const dialog = await page(`/credentials/${credentialId}/delete`);
    expect(dialog.body).toContain('1 write-back in progress will be stopped');
    expect(dialog.body).toContain('annotate');

    const res = await postForm(s.app, browser, `/credentials/${credentialId}/delete`, {}, 'fetch');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().message).toContain('Stopped 1 write-back in progress.');
    const run = await s.runtime.store.sinks.getRun(runId);
    expect(run?.status).toBe('failed');
    expect(s.app.snag.sinkRuns.liveFor(sinkId)).toBeUndefined();
    // The second row's comment was never posted, and nothing else with the token came after the delete.
    expect(comments()).toBe(1);
    const after = adminRequests();
    await s.api('GET', `/api/data_sinks/${sinkId}/runs/${runId}`);
    expect(adminRequests()).toBe(after);
  });

  it('refuses a write-back apply still planning with it, before it starts', async () => {
    const sinkId = await commentSink('planning');
    sim.resetStats();
    // The plan's reads of the errors are held: the apply is still being planned.
    sim.setFaults(`${HOLD}~/errors/`);
    const applying = s.api('POST', `/api/data_sinks/${sinkId}/apply`, {});
    await expect.poll(held, { timeout: 20_000 }).toBeGreaterThan(0);

    const deleted = await s.api('DELETE', `/api/data_credentials/${credentialId}`);
    expect(deleted.statusCode, deleted.body).toBe(200);
    const refused = await applying;
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.json().message).toMatch(/was deleted\. The write-back was not started/);
    expect(await s.runtime.store.sinks.listRuns(sinkId, 10)).toEqual([]);
    expect(Object.keys(sim.stats().endpoints).filter((k) => !k.startsWith('GET '))).toEqual([]);
  });
});
