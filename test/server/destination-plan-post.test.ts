import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { projectsOf, simErrorIds, simWrites } from '../writeback/helpers.js';
import { login, type Browser } from './helpers.js';
import { postForm, sourcesServer, startSim, type SourcesServer } from './sources-helpers.js';

/**
 * A destination's plan reads Bugsnag (every touched error) and runs its input: only a POST makes it. Its page, the
 * plan page and the list — plain GETs, which browsers prefetch and reload freely — send the simulator nothing.
 */

let sim: Simulator;
let s: SourcesServer;
let browser: Browser;
let sinkId: string;

beforeAll(async () => {
  sim = await startSim({ errors: 6 });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  s = await sourcesServer();
  const credentialId = await s.credential(sim);
  browser = await login(s.app);
  const project = projectsOf(sim)[0]!;
  const ids = await simErrorIds(sim, project, 3);
  const res = await s.api('POST', '/api/data_sinks', {
    name: 'Fix three',
    data_credentials_id: credentialId,
    data_sink_config: {
      input: {
        type: 'file',
        format: 'jsonl',
        content: ids.map((id) => JSON.stringify({ project_id: project, error_id: id })).join('\n'),
      },
      operation: { name: 'fix', params: {} },
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  sinkId = res.json().id;
  sim.resetStats();
});
afterEach(async () => {
  await s.cleanup();
});

const get = (url: string) => s.app.inject({ method: 'GET', url, headers: { cookie: browser.cookie } });

describe('a destination plan in the web UI', () => {
  it('GET shows the destination and a Plan button, sending Bugsnag nothing; the POST (with its CSRF token) plans', async () => {
    for (const url of [`/destinations/${sinkId}/plan`, `/destinations/${sinkId}`, '/destinations']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
    }
    const page = await get(`/destinations/${sinkId}/plan`);
    expect(page.body).toMatch(
      new RegExp(
        `<form method="post" action="/destinations/${sinkId}/plan"[^>]*>\\s*<input type="hidden" name="_csrf" value="${browser.csrf}">`,
      ),
    );
    expect(page.body).toMatch(/<button type="submit"[^>]*>Plan<\/button>/);
    expect(page.body).not.toContain('data-plan-summary');
    expect(sim.stats().requests).toBe(0);

    // The POST needs the session's CSRF token, as every form.
    const forged = await s.app.inject({
      method: 'POST',
      url: `/destinations/${sinkId}/plan`,
      headers: { cookie: browser.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
    expect(forged.statusCode).toBe(403);
    expect(sim.stats().requests).toBe(0);

    const planned = await postForm(s.app, browser, `/destinations/${sinkId}/plan`, {});
    expect(planned.statusCode, planned.body.slice(0, 300)).toBe(200);
    expect(planned.body).toContain('data-plan-summary');
    expect(planned.body).toMatch(/3 rows with sim admin/);
    expect(planned.body).toContain(`action="/destinations/${sinkId}/apply"`);
    expect(sim.stats().requests).toBeGreaterThan(0);
    expect(simWrites(sim)).toBe(0);
  });
});
