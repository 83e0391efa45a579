import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { createToken } from '../../src/store/team/tokens.js';
import { projectsOf, simComments, simError, simErrorIds, simWrites } from '../writeback/helpers.js';
import { login, postForm, type Browser } from './helpers.js';
import { sourcesServer, startSim, type SourcesServer } from './sources-helpers.js';

/**
 * Retry failed rows: a run whose comment POSTs failed (a simulator fault), retried after the fault is cleared, plans
 * exactly the failed rows, applies them, and sends nothing twice.
 */

let sim: Simulator;
let s: SourcesServer;
let browser: Browser;
let credentialId: string;
let project: string;
let ids: string[];

beforeAll(async () => {
  sim = await startSim({ errors: 30 });
  project = projectsOf(sim)[0]!;
  const all = await simErrorIds(sim, project, 30);
  // Errors without comments: planning a comment reads an error's comments only when it has some.
  const quiet: string[] = [];
  for (const id of all)
    if (((await simError(sim, project, id)) as { comment_count?: number }).comment_count === 0) quiet.push(id);
  expect(quiet.length).toBeGreaterThanOrEqual(4);
  ids = quiet.slice(0, 4);
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  s = await sourcesServer();
  credentialId = await s.credential(sim);
  browser = await login(s.app);
  sim.setFaults('');
});
afterEach(async () => {
  sim.setFaults('');
  await s.cleanup();
});

const get = (url: string, headers: Record<string, string> = { cookie: browser.cookie }) =>
  s.app.inject({ method: 'GET', url, headers });

async function runToEnd(location: string): Promise<string> {
  const runId = location.split('/').at(-1)!;
  await s.app.snag.sinkRuns.get(runId)!.done;
  return runId;
}

describe('Retry failed rows', () => {
  it('plans exactly the failed rows, applies them after the fault is gone, and sends nothing twice', async () => {
    const [a, b, c, d] = ids as [string, string, string, string];
    const rows = [
      { project_id: project, error_id: a, operation: 'fix' },
      { project_id: project, error_id: c, operation: 'comment', message: `ticket for ${c}` },
      { project_id: project, error_id: b, operation: 'fix' },
      { project_id: project, error_id: d, operation: 'comment', message: `ticket for ${d}` },
    ];
    const created = await s.api('POST', '/api/data_sinks', {
      name: 'retry me',
      data_credentials_id: credentialId,
      data_sink_config: {
        input: {
          type: 'file',
          format: 'jsonl',
          content: rows.map((r) => JSON.stringify(r)).join('\n'),
          filename: 'rows.jsonl',
        },
        operation: null,
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const sinkId = created.json().id as string;

    // Every comment POST (and the read-back after it) answers 500: the comments fail, the fixes land.
    sim.setFaults('500:1~/comments');
    const applied = await postForm(s.app, browser, `/destinations/${sinkId}/apply`, {});
    expect(applied.statusCode, applied.body).toBe(303);
    const firstId = await runToEnd(applied.headers.location as string);
    sim.setFaults('');
    const first = (await s.api('GET', `/api/data_sinks/${sinkId}/runs/${firstId}`)).json();
    expect(first.totals).toEqual({ applied: 2, skipped: 0, failed: 2 });
    expect(
      first.rows.filter((r: { outcome: string }) => r.outcome === 'failed').map((r: { row: number }) => r.row),
    ).toEqual([2, 4]);
    expect((await simError(sim, project, a)).status).toBe('fixed');
    expect(await simComments(sim, project, c)).toEqual([]);

    const page = await get(`/destinations/${sinkId}/runs/${firstId}`);
    expect(page.body).toContain(`action="/destinations/${sinkId}/runs/${firstId}/retry"`);
    expect(page.body).toContain('Retry failed rows (2)');

    // The plan: the two failed rows only, nothing sent.
    const writesBefore = simWrites(sim);
    const plan = await postForm(s.app, browser, `/destinations/${sinkId}/runs/${firstId}/retry`, {});
    expect(plan.statusCode, plan.body).toBe(200);
    expect(plan.body).toContain('Retry failed rows: retry me');
    expect(plan.body).toMatch(/data-plan-summary>2 rows/);
    expect(plan.body).toContain(`action="/destinations/${sinkId}/runs/${firstId}/retry/apply"`);
    expect(plan.body).not.toMatch(/data-plan-group="fix"/);
    expect(simWrites(sim)).toBe(writesBefore);

    const retried = await postForm(s.app, browser, `/destinations/${sinkId}/runs/${firstId}/retry/apply`, {});
    expect(retried.statusCode, retried.body).toBe(303);
    expect(retried.headers.location).toMatch(new RegExp(`^/destinations/${sinkId}/runs/wbr_`));
    const secondId = await runToEnd(retried.headers.location as string);
    expect(secondId).not.toBe(firstId);
    const second = (await s.api('GET', `/api/data_sinks/${sinkId}/runs/${secondId}`)).json();
    expect(second.totals).toEqual({ applied: 2, skipped: 0, failed: 0 });
    expect(second.rows.map((r: { error_id: string; operation: string }) => [r.error_id, r.operation])).toEqual([
      [c, 'comment'],
      [d, 'comment'],
    ]);
    // Exactly two writes (the two comments): the fixes were not sent again, each comment is there once.
    expect(simWrites(sim) - writesBefore).toBe(2);
    expect(await simComments(sim, project, c)).toEqual([`ticket for ${c}`]);
    expect(await simComments(sim, project, d)).toEqual([`ticket for ${d}`]);
    // The new run has no failed rows: no Retry button on its page.
    expect((await get(`/destinations/${sinkId}/runs/${secondId}`)).body).not.toContain('/retry"');

    // A viewer sees the report without the button, and may not retry.
    const store = s.app.snag.runtime.store;
    const viewer = await store.users.add({
      email: 'vi@example.com',
      role: 'viewer',
      invitation_sha256: 'x'.repeat(64),
    });
    const token = (await createToken(store, { user: viewer.id, scope: 'admin' }, Date.now())).token;
    const asViewer = await get(`/destinations/${sinkId}/runs/${firstId}`, { authorization: `Bearer ${token}` });
    expect(asViewer.statusCode).toBe(200);
    expect(asViewer.body).toContain('data-report');
    expect(asViewer.body).not.toContain('/retry"');
    const refused = await s.app.inject({
      method: 'POST',
      url: `/destinations/${sinkId}/runs/${firstId}/retry`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(refused.statusCode).toBe(403);
  });
});
