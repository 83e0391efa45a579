import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { escapeHtml } from '../../src/server/html.js';
import { login, type Browser } from './helpers.js';
import { postForm, sourcesServer, startSim, wizardFields, type SourcesServer } from './sources-helpers.js';

/** The source wizard, the Sources list and the Runs pages, without JS (form POSTs) and as app.js uses them (JSON). */

let sim: Simulator;
let s: SourcesServer;
let b: Browser;
let credentialId: string;

beforeAll(async () => {
  sim = await startSim();
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  s = await sourcesServer();
  credentialId = await s.credential(sim);
  b = await login(s.app);
});
afterEach(async () => {
  sim.setFaults('');
  await s.cleanup();
});

const get = (url: string, headers: Record<string, string> = {}) =>
  s.app.inject({ method: 'GET', url, headers: { cookie: b.cookie, ...headers } });
const projectIds = () => sim.info().organizations.flatMap((o) => o.projects.map((p) => p.id));
/** "Android App (Initech)": how the run pages name a project. */
function projectLabel(id: string): string {
  const org = sim.info().organizations.find((o) => o.projects.some((p) => p.id === id))!;
  return `${org.projects.find((p) => p.id === id)!.name} (${org.name})`;
}

/** What the wizard's form sends for a complete source, to save. */
function wizardBody(over: Record<string, string | string[]> = {}): Record<string, string | string[]> {
  return wizardFields(credentialId, {
    streams: ['projects', 'errors', 'events'],
    schedule_preset: 'hourly',
    name: 'From the wizard',
    intent: 'save',
    ...over,
  });
}

const post = (url: string, fields: Record<string, string | string[]>, mode: 'page' | 'fetch' = 'page') =>
  postForm(s.app, b, url, fields, mode);

describe('the source wizard', () => {
  it('shows the six steps, the credential tiles, the projects of the only credential, and the stream catalog', async () => {
    const res = await get('/sources/new');
    expect(res.statusCode).toBe(200);
    const html = res.body;
    for (const step of ['Connector', 'Authenticate', 'What to read', 'Destination', 'Schedule', 'Name and save'])
      expect(html).toContain(step);
    expect(html.match(/data-step="\d"/g)).toHaveLength(6);
    expect(html).toContain('name="connector" value="bugsnag" checked');
    // The only credential is picked already, so its projects are listed.
    expect(html).toMatch(new RegExp(`name="credential_id" value="${credentialId}"[^>]*checked`));
    for (const id of projectIds()) expect(html).toContain(`value="${id}"`);
    expect(html).toMatch(/name="streams" value="errors" checked/);
    expect(html).toMatch(/name="streams" value="pivots">/);
    expect(html).toContain('heavy');
    expect(html).toContain('Add Credential');
    expect(html).not.toMatch(/\sstyle=/);
    expect(html.match(/<script\b/g)).toHaveLength(1);
  });

  it('without JS: a failed save re-renders the whole wizard with every error on its field and the input kept', async () => {
    const res = await post(
      '/sources',
      wizardBody({
        name: '',
        start_date: 'someday',
        schedule_preset: 'custom',
        schedule_custom: 'every 10s',
        filters: 'nope',
        destination_kind: 'jsonl',
      }),
    );
    expect(res.statusCode).toBe(400);
    const html = res.body;
    expect(html).toMatch(/id="wizard-name"[^>]*aria-invalid="true"/);
    expect(html).toMatch(/id="wizard-start_date"[^>]*aria-invalid="true"/);
    expect(html).toMatch(/id="wizard-filters"[^>]*aria-invalid="true"/);
    expect(html).toMatch(/data-field="schedule"[^>]*aria-invalid="true"/);
    expect(html).toMatch(/id="wizard-destination-path"[^>]*aria-invalid="true"/);
    expect(html).toContain('A source name is required.');
    expect(html).toContain('too frequent');
    expect(html).toContain('value="someday"');
    expect(html).toContain('value="every 10s"');
    expect(html).toMatch(/name="destination_kind" value="jsonl" checked/);
    expect((await s.api('GET', '/api/data_sources')).json()).toEqual([]);
  });

  it("with JS: the same errors come as JSON on the wizard's field names", async () => {
    const res = await post(
      '/sources',
      wizardBody({ name: '', streams: ['comments'], credential_id: '', project_mode: 'include' }),
      'fetch',
    );
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.ok).toBe(false);
    expect(Object.keys(body.fields).sort()).toEqual(['projects']);
    const res2 = await post('/sources', wizardBody({ name: '', streams: ['comments'], credential_id: '' }), 'fetch');
    expect(Object.keys(res2.json().fields).sort()).toEqual(['credential_id', 'name', 'streams']);
    expect(res2.json().fields.streams.message).toContain('errors stream');
  });

  it('Test shows sample records in the result panel (JSON for app.js, the whole page without JS); nothing is saved', async () => {
    const fetched = await post('/sources', wizardBody({ intent: 'test', test_stream: 'errors' }), 'fetch');
    expect(fetched.statusCode).toBe(200);
    const r = fetched.json();
    expect(r).toMatchObject({ ok: true, focus: 'test-result' });
    expect(r.panels[0].id).toBe('test-result');
    expect(r.panels[0].html).toContain('data-preview-count="3"');
    expect(r.panels[0].html).toContain('<table');
    expect(r.panels[0].html).toContain('Raw JSON');
    expect(r.panels[0].html).toContain('Nothing was saved');
    const page = await post('/sources', wizardBody({ intent: 'test', test_stream: 'projects' }));
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/data-preview-stream="projects" data-preview-count="\d+"/);
    expect(page.body).toContain('value="From the wizard"');
    const bad = await post('/sources', wizardBody({ intent: 'test', start_date: 'whenever' }), 'fetch');
    expect(bad.json().fields.start_date.message).toContain('whenever');
    const admin = sim.tokens.find((t) => t.role === 'admin')!.token;
    sim.revokeToken(admin);
    try {
      const refused = await post('/sources', wizardBody({ intent: 'test' }), 'fetch');
      expect(refused.json().ok).toBe(true);
      expect(refused.json().panels[0].html).toContain('data-preview-error');
    } finally {
      sim.restoreToken(admin);
    }
    expect((await s.api('GET', '/api/data_sources')).json()).toEqual([]);
    expect((await s.api('GET', '/api/runs')).json()).toEqual([]);
  });

  it('lists the projects of the picked credential (the List button, or app.js when a tile is picked)', async () => {
    const res = await post('/sources', wizardBody({ intent: 'load' }), 'fetch');
    const panel = res.json().panels[0];
    expect(panel.id).toBe('wizard-projects');
    for (const id of projectIds()) expect(panel.html).toContain(`value="${id}"`);
    const none = await post('/sources', wizardBody({ intent: 'load', credential_id: '' }), 'fetch');
    expect(none.json().panels[0].html).toContain('Pick a credential first');
  });

  it('saves: a redirect to the list with the new source selected, or to its live run with "Run it now"', async () => {
    const [first] = projectIds();
    const saved = await post(
      '/sources',
      wizardBody({
        project_mode: 'include',
        project_ids: [first!],
        filters: 'app.release_stage=production',
        start_date: '7d',
      }),
    );
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toMatch(/^\/sources\?selected=src_/);
    const source = (await s.api('GET', '/api/data_sources')).json()[0];
    expect(source).toMatchObject({
      name: 'From the wizard',
      poll_schedule: 'hourly',
      source_config: {
        projects: [first],
        streams: ['projects', 'errors', 'events'],
        start_date: '7d',
        filters: { 'app.release_stage': ['production'] },
      },
    });
    const list = await get(saved.headers.location as string);
    expect(list.body).toContain('Saved &quot;From the wizard&quot;');
    expect(list.body).toMatch(new RegExp(`id="source-${source.id}"[^>]*class="is-selected"`));

    const now = await post('/sources', wizardBody({ name: 'Run me', run_now: '1' }), 'fetch');
    expect(now.statusCode).toBe(201);
    expect(now.json().redirect).toMatch(/^\/runs\/run_/);
    const runId = (now.json().redirect as string).slice('/runs/'.length);
    await s.app.snag.runs.get(runId)!.handle.done;
  });

  it('edits a source: the wizard comes filled in, unchanged filters it cannot show stay as they are', async () => {
    const created = await s.source({
      name: 'edit me',
      data_credentials_id: credentialId,
      source_config: { streams: ['errors'], filters: { 'error.status': [{ type: 'empty', value: 'false' }] } },
      poll_schedule: 'every 6h',
    });
    const form = await get(`/sources/${created.id}/edit`);
    expect(form.body).toContain('value="edit me"');
    expect(form.body).toMatch(/name="streams" value="errors" checked/);
    expect(form.body).not.toMatch(/name="streams" value="events" checked/);
    expect(form.body).toMatch(/name="schedule_preset" value="custom" checked/);
    expect(form.body).toContain('value="every 6h"');
    const filtersText = /<textarea[^>]*name="filters"[^>]*>([^<]*)<\/textarea>/.exec(form.body)![1]!;
    const saved = await post(
      `/sources/${created.id}/edit`,
      wizardBody({
        name: 'edited',
        streams: ['errors', 'releases'],
        filters: filtersText,
        filters_original: filtersText,
        schedule_preset: 'daily',
      }),
    );
    expect(saved.statusCode).toBe(303);
    const after = (await s.api('GET', `/api/data_sources/${created.id}`)).json();
    expect(after).toMatchObject({
      name: 'edited',
      poll_schedule: 'daily',
      source_config: {
        streams: ['errors', 'releases'],
        filters: { 'error.status': [{ type: 'empty', value: 'false' }] },
      },
    });
  });
});

describe('the Sources list and its actions', () => {
  it('shows status, credential, destination, last run and next run, with the actions', async () => {
    const created = await s.source({
      name: 'listed',
      data_credentials_id: credentialId,
      source_config: { streams: ['errors'] },
      poll_schedule: 'hourly',
    });
    const empty = await get('/sources');
    expect(empty.body).toContain('never run');
    expect(empty.body).toContain('Run now');
    expect(empty.body).toContain('the scheduler is off');
    const runId = await s.runToEnd(created.id);
    const res = await get('/sources');
    const row = new RegExp(`<tr id="source-${created.id}"[\\s\\S]*?</tr>`).exec(res.body)![0];
    expect(row).toContain('data-source-status="active"');
    expect(row).toContain('sim admin');
    expect(row).toContain(created.destination);
    expect(row).toContain(`href="/runs/${runId}"`);
    expect(row).toContain('data-run-status="succeeded"');
    expect(row).toContain(`${sim.info().organizations[0]!.projects.length * 3} records`);
    for (const action of ['Run now', 'Pause', 'Edit', 'Delete'])
      expect(row).toContain(`>${action}<span class="visually-hidden"> listed</span>`);
  });

  it('pause and resume swap the row in place (JS) or redirect (no JS); a form without the CSRF token is refused', async () => {
    const created = await s.source({ name: 'toggle', data_credentials_id: credentialId, poll_schedule: 'daily' });
    const paused = await post(`/sources/${created.id}/pause`, {}, 'fetch');
    expect(paused.statusCode).toBe(200);
    const r = paused.json();
    expect(r.panels[0]).toMatchObject({ id: `source-${created.id}`, replace: 'outer' });
    expect(r.panels[0].html).toContain('data-source-status="paused"');
    expect(r.panels[0].html).toContain('Resume');
    expect(r.focus).toBe(`source-${created.id}-resume`);
    const resumed = await post(`/sources/${created.id}/resume`, {});
    expect(resumed.statusCode).toBe(303);
    expect((await s.api('GET', `/api/data_sources/${created.id}`)).json().status).toBe('ACTIVE');
    const forged = await s.app.inject({
      method: 'POST',
      url: `/sources/${created.id}/pause`,
      headers: { cookie: b.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
    expect(forged.statusCode).toBe(403);
    expect((await s.api('GET', `/api/data_sources/${created.id}`)).json().status).toBe('ACTIVE');
  });

  it('run now goes to the live run; while it runs, a second start is refused with the reason', async () => {
    sim.setFaults('slow:100ms');
    const created = await s.source({
      name: 'runner',
      data_credentials_id: credentialId,
      source_config: { streams: ['errors', 'events'] },
    });
    const started = await post(`/sources/${created.id}/run`, {}, 'fetch');
    expect(started.statusCode).toBe(202);
    const runId = (started.json().redirect as string).replace('/runs/', '');
    // Once a page has been read, the page renders the progress so far (what a browser without JS sees).
    const events = s.app.snag.runs.get(runId)!.handle.events;
    await new Promise<void>((resolve) => {
      if (events.history().some((e) => e.type === 'page')) return resolve();
      const off = events.subscribe((e) => {
        if (e.type === 'page') {
          off();
          resolve();
        }
      });
    });
    const live = await get(`/runs/${runId}`);
    expect(live.body).toContain('data-live-run');
    expect(live.body).toContain(`data-events-url="/api/runs/${runId}/events"`);
    expect(live.body).toContain('Cancel the run');
    expect(live.body).toMatch(/<tr data-key="[a-z_]+\|[^"]*" data-outcome="[a-z]*"[^>]*>/);
    // Rows name their project as people know it, not by id (the id stays in data-partition).
    const labelled = [
      ...live.body.matchAll(
        /<tr data-key="[^"]*" data-outcome="[a-z]*" data-partition="project:([0-9a-f]+)" data-partition-label="([^"]*)">/g,
      ),
    ];
    expect(labelled.length).toBeGreaterThan(0);
    for (const [, id, label] of labelled) expect(label).toBe(escapeHtml(projectLabel(id!)));
    expect(live.body).not.toMatch(/data-label="Partition">project /);
    expect(live.body).toContain('<progress');
    const again = await post(`/sources/${created.id}/run`, {}, 'fetch');
    expect(again.statusCode).toBe(409);
    expect(again.json().formError.message).toContain('already being synced');
    const list = await get('/sources');
    expect(list.body).toContain(`href="/runs/${runId}">Watch the run`);
    const cancel = await post(`/runs/${runId}/cancel`, {}, 'fetch');
    expect(cancel.statusCode).toBe(202);
    expect((await s.app.snag.runs.get(runId)!.handle.done).status).toBe('cancelled');
  });

  it('delete asks first (what goes, what stays), then removes the row (JS) or redirects (no JS)', async () => {
    const created = await s.source({
      name: 'doomed',
      data_credentials_id: credentialId,
      source_config: { streams: ['errors'] },
    });
    await s.runToEnd(created.id);
    const keeper = await s.source({ name: 'stays', data_credentials_id: credentialId });
    const confirm = await get(`/sources/${created.id}/delete?from=list`);
    expect(confirm.body).toContain('Delete doomed?');
    expect(confirm.body).toContain('its run history (1 run)');
    expect(confirm.body).toContain('The destination is <strong>not</strong> deleted');
    expect(confirm.body).toContain(created.destination);
    const removed = await post(`/sources/${created.id}/delete`, { from: 'list' }, 'fetch');
    expect(removed.json()).toMatchObject({ ok: true, removeTile: `source-${created.id}` });
    expect((await s.api('GET', `/api/data_sources/${created.id}`)).statusCode).toBe(404);
    const other = await s.source({ name: 'doomed too', data_credentials_id: credentialId });
    const plain = await post(`/sources/${other.id}/delete`, {});
    expect(plain.statusCode).toBe(303);
    expect(plain.headers.location).toBe('/sources');
    // The last row: the list page again (its "No sources yet"), not an empty table.
    const last = await post(`/sources/${keeper.id}/delete`, { from: 'list' }, 'fetch');
    expect(last.json()).toMatchObject({ ok: true, redirect: '/sources' });
  });
});

describe('the Runs pages', () => {
  it('list every run, and show one run: totals, per stream and partition, warnings', async () => {
    const created = await s.source({
      name: 'history',
      data_credentials_id: credentialId,
      source_config: { streams: ['errors', 'collaborators', 'teams'] },
    });
    const runId = await s.runToEnd(created.id);
    const list = await get('/runs');
    expect(list.body).toContain(`href="/runs/${runId}"`);
    expect(list.body).toContain('data-run-status="succeeded"');
    const page = await get(`/runs/${runId}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('data-live-run');
    const run = (await s.api('GET', `/api/runs/${runId}`)).json();
    expect(page.body).toContain(`data-total="records">${run.totals.records_read.toLocaleString('en-US')}<`);
    for (const r of run.streams as Array<{ stream: string; partition: string; partition_label: string | null }>) {
      expect(page.body).toContain(`data-stream="${r.stream}" data-partition="${r.partition}"`);
      // Projects as "Name (Organization)", organizations by name: in the API, and in the page instead of the id.
      const [kind, id] = r.partition.split(':') as [string, string];
      const expected = kind === 'project' ? projectLabel(id) : sim.info().organizations.find((o) => o.id === id)!.name;
      expect(r.partition_label).toBe(expected);
      expect(page.body).toContain(`<td data-label="Partition" title="${r.partition}">${escapeHtml(expected)}</td>`);
    }
    expect(page.body).not.toMatch(/data-label="Partition"[^>]*>(project|organization) /);
    const perSource = await get(`/runs?source=${created.id}`);
    expect(perSource.body).toContain('Runs of history');
    const detail = await get(`/sources/${created.id}`);
    expect(detail.body).toContain(`href="/runs/${runId}"`);
    expect((await get('/runs/run_nope')).statusCode).toBe(404);
  });

  it('show the partition id where no name was saved (runs of an older snagsync)', async () => {
    const created = await s.source({
      name: 'older',
      data_credentials_id: credentialId,
      source_config: { streams: ['errors'] },
    });
    const store = s.runtime.store;
    const run = await store.runs.create({ source_id: created.id, trigger: 'cli' });
    await store.runs.upsertStream({
      run_id: run.id,
      stream: 'errors',
      partition: 'project:5a2f00000000000000000001',
      records_read: 3,
      outcome: 'ok',
    });
    await store.runs.finish(run.id, { status: 'succeeded' });
    expect((await s.api('GET', `/api/runs/${run.id}`)).json().streams[0]).toMatchObject({ partition_label: null });
    expect((await get(`/runs/${run.id}`)).body).toContain(
      '<td data-label="Partition">project 5a2f00000000000000000001</td>',
    );
  });
});

describe('every new page keeps to the CSP', () => {
  it('no inline script or style, no style attribute, one script file (the chart SVG included)', async () => {
    const created = await s.source({
      name: 'csp',
      data_credentials_id: credentialId,
      source_config: { streams: ['events', 'stability_trend'] },
    });
    const runId = await s.runToEnd(created.id);
    for (const url of [
      '/',
      '/sources',
      '/sources/new',
      `/sources/${created.id}`,
      `/sources/${created.id}/edit`,
      `/sources/${created.id}/delete`,
      '/runs',
      `/runs/${runId}`,
    ]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.body.match(/<script\b[^>]*>/g), url).toEqual([
        expect.stringMatching(/src="\/static\/app\.js\?v=[0-9a-f]{16}"/),
      ]);
      expect(res.body, url).not.toMatch(/<style\b/);
      expect(res.body, url).not.toMatch(/\sstyle=/);
      expect(res.body, url).not.toMatch(/\son[a-z]+=/);
    }
    expect((await get('/')).body).toContain('<svg class="chart"');
  });
});
