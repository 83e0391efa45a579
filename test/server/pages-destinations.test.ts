import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { projectsOf, simError, simErrorIds, simWrites } from '../writeback/helpers.js';
import { login, postForm, type Browser } from './helpers.js';
import { sourcesServer, startSim, type SourcesServer } from './sources-helpers.js';

/** The Destinations pages without JavaScript (plain form posts), and the wizard's answers to app.js's fetches. */

let sim: Simulator;
let s: SourcesServer;
let browser: Browser;
let credentialId: string;
let project: string;
let ids: string[];

beforeAll(async () => {
  sim = await startSim({ errors: 6 });
  project = projectsOf(sim)[0]!;
  ids = await simErrorIds(sim, project, 3);
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  s = await sourcesServer();
  credentialId = await s.credential(sim);
  browser = await login(s.app);
  sim.resetStats();
});
afterEach(async () => {
  await s.cleanup();
});

const get = (url: string) => s.app.inject({ method: 'GET', url, headers: { cookie: browser.cookie } });
const content = () =>
  [...ids.slice(0, 2), 'abcdefabcdefabcdefabcdef']
    .map((id) => JSON.stringify({ project_id: project, error_id: id }))
    .join('\n');

describe('Destinations pages', () => {
  it('the wizard saves a destination, its plan sends nothing, Apply runs it and its page shows the per-row report', async () => {
    const list = await get('/destinations');
    expect(list.statusCode).toBe(200);
    expect(list.body).toMatch(/<a href="\/destinations" aria-current="page">Destinations<\/a>/);
    expect(list.body).toContain('New destination');
    const wizard = await get('/destinations/new');
    expect(wizard.body).toContain('Add Credential');
    expect(wizard.body).toContain(`value="${credentialId}" checked`);

    const saved = await postForm(s.app, browser, '/destinations', {
      credential_id: credentialId,
      input_type: 'file',
      format: 'jsonl',
      content: content(),
      filename: 'rows.jsonl',
      operation: 'fix',
      name: 'Fix them',
    });
    expect(saved.statusCode, saved.body).toBe(303);
    const planUrl = saved.headers.location as string;
    expect(planUrl).toMatch(/^\/destinations\/snk_[0-9a-z]+\/plan$/);
    // The page shows the Plan button; the plan is made by its POST.
    const before = await get(planUrl);
    expect(before.statusCode).toBe(200);
    expect(before.body).not.toContain('data-plan-summary');
    const plan = await postForm(s.app, browser, planUrl, {});
    expect(plan.statusCode).toBe(200);
    expect(plan.body).toContain('data-plan');
    expect(plan.body).toContain('Nothing has been sent');
    expect(plan.body).toMatch(/Row 3: error not found/);
    expect(simWrites(sim)).toBe(0);

    const sinkId = planUrl.split('/')[2]!;
    const applied = await postForm(s.app, browser, `/destinations/${sinkId}/apply`, {});
    expect(applied.statusCode, applied.body).toBe(303);
    const runUrl = applied.headers.location as string;
    const runId = runUrl.split('/').at(-1)!;
    await s.app.snag.sinkRuns.get(runId)!.done;
    const run = await get(runUrl);
    expect(run.body).toContain('data-report');
    expect(run.body).toMatch(/data-row="3" data-outcome="failed"/);
    expect(run.body).toMatch(/404/);
    expect((await simError(sim, project, ids[0]!)).status).toBe('fixed');
    const page = await get(`/destinations/${sinkId}`);
    expect(page.body).toContain(runId);
    expect((await get('/destinations')).body).toContain('Fix them');
  });

  it('the wizard puts problems on its fields (page and fetch), never advising a CLI command', async () => {
    const res = await postForm(s.app, browser, '/destinations', {
      input_type: 'file',
      format: 'jsonl',
      content: JSON.stringify({ project_id: 'nope', error_id: ids[0] }),
      operation: 'override_severity',
      severity: '',
      name: '',
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toMatch(/data-field="credential_id"[^>]*aria-invalid="true"/);
    const fetched = await postForm(
      s.app,
      browser,
      '/destinations',
      {
        credential_id: credentialId,
        input_type: 'file',
        format: 'jsonl',
        content: JSON.stringify({ project_id: 'nope', error_id: ids[0] }),
        operation: 'fix',
        name: 'x',
      },
      'fetch',
    );
    expect(fetched.statusCode).toBe(400);
    const body = fetched.json();
    expect(body.ok).toBe(false);
    expect(Object.keys(body.fields)).toEqual(['content']);
    expect(body.fields.content.message).toMatch(/row 1, project_id/);
    expect(fetched.body).not.toMatch(/snagsync [a-z]+ /);
    expect(simWrites(sim)).toBe(0);
  });
});
