import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import {
  activeId,
  loginInBrowser,
  startWebServer,
  useBrowserSuite,
  type TrackedPage,
  type WebServer,
} from '../helpers/browser.js';
import { requireService } from '../helpers/services.js';

/**
 * Sources, runs and the Overview in real headless Chromium, against `snagsync serve` listening on a port and the
 * simulator: create a source with the wizard (credential tile, projects, streams, Test with sample records,
 * destination, schedule, save), run it and watch the live progress over SSE until the summary, then the charts —
 * their figures checked against the destination. Then the list's actions, the keyboard, a narrow window, no JS.
 *
 * The simulator allows 2 requests per 300 ms window (and the server is told that window), so a sync of ~25
 * requests lasts a few seconds: the live view is seen mid-way for certain, without sleeping anywhere.
 */

const enabled = requireService('chromium');
const WINDOW_MS = 300;

describe.skipIf(!enabled)('web UI: sources, runs and overview (Chromium)', () => {
  const web = useBrowserSuite({ beforeAll, afterEach, afterAll });
  let sim: Simulator;
  let server: WebServer;
  let adminCredential: string;
  beforeAll(async () => {
    sim = await startSimulator({
      anchor: '2026-01-15T00:00:00Z',
      rateLimit: 2,
      rateWindowMs: WINDOW_MS,
      orgs: 1,
      projects: 3,
      errors: 3,
      events: 300,
      releases: 2,
    });
    server = await startWebServer({ env: { SNAGSYNC_RATE_WINDOW_MS: String(WINDOW_MS) } });
    adminCredential = await createCredential('Bugsnag production', sim.tokens.find((t) => t.role === 'admin')!.token);
    await createCredential('Second token', sim.tokens.find((t) => t.role === 'member')!.token);
  });
  afterAll(async () => {
    await server?.close();
    await sim?.close();
  });

  async function createCredential(name: string, token: string): Promise<string> {
    const res = await fetch(`${server.url}/api/data_credentials`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, credentials: { auth_token: token, host: sim.url } }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${server.key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return (await res.json()) as T;
  }

  /** Problems the page reported, less Chromium's console line for each 4xx a fetch gets (expected in error flows). */
  const realProblems = (page: TrackedPage) =>
    page.problems.filter((p) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(p));

  const projects = () => sim.info().organizations[0]!.projects;

  it('creates a source with the wizard, runs it, watches the progress finish, and sees the charts', async () => {
    const page = await web.page();
    await loginInBrowser(page, server.url, server.key, '/sources');
    await page.getByRole('link', { name: 'Create a source' }).click();
    await page.waitForURL(`${server.url}/sources/new`);

    // 1 Connector: one tile, picked.
    const steps = page.getByRole('navigation', { name: 'Steps of the wizard' });
    expect(await steps.getByRole('link').allTextContents()).toEqual([
      '1 Connector',
      '2 Authenticate',
      '3 What to read',
      '4 Destination',
      '5 Schedule',
      '6 Name and save',
    ]);
    expect(await page.getByRole('radio', { name: 'Bugsnag' }).isChecked()).toBe(true);
    await page.locator('#step-connector').getByRole('button', { name: 'Next' }).click();

    // 2 Authenticate: two tiles, none picked yet; picking one lists its projects.
    expect(await page.getByRole('radio', { name: 'Bugsnag production' }).isChecked()).toBe(false);
    await page.getByText('Bugsnag production', { exact: true }).click();
    await page.locator('#wizard-projects [data-projects-state="listed"]').waitFor({ state: 'attached' });
    await page.locator('#step-authenticate').getByRole('button', { name: 'Next' }).click();

    // 3 What to read: two of the three projects; a few streams.
    const step3 = page.locator('#step-configure');
    await step3.getByRole('heading', { name: /What to read/ }).waitFor();
    const [p1, p2] = projects();
    await step3.getByLabel('Only the checked projects').check();
    await step3.getByLabel(new RegExp(`^${p1!.name} `)).check();
    await step3.getByLabel(new RegExp(`^${p2!.name} `)).check();
    for (const name of [
      'organizations',
      'supported_integrations',
      'collaborators',
      'teams',
      'comments',
      'releases',
      'release_groups',
      'event_fields',
      'trace_fields',
      'saved_searches',
      'trends',
    ]) {
      await step3.locator(`input[name="streams"][value="${name}"]`).uncheck();
    }
    expect(await step3.locator('input[name="streams"][value="pivots"]').isChecked()).toBe(false);
    // Test: sample records in the result panel, read with these settings, nothing saved.
    await step3.getByLabel('Test: read a few records of').selectOption('events');
    await step3.getByRole('button', { name: 'Test' }).click();
    const result = page.locator('#test-result');
    await result.locator('[data-preview-stream="events"]').waitFor();
    expect(Number(await result.locator('[data-preview-count]').getAttribute('data-preview-count'))).toBe(5);
    expect(await result.locator('tbody tr').count()).toBe(5);
    expect(await result.textContent()).toMatch(new RegExp(`(${p1!.name}|${p2!.name})`));
    // For the events stream, how long the first sync would take by each path, over the two projects checked.
    const firstSync = result.locator('[data-first-sync]');
    const events = [p1!, p2!].reduce((n, p) => n + sim.volume(p.id).days.reduce((m, d) => m + d.events, 0), 0);
    expect(Number(await firstSync.getAttribute('data-events'))).toBe(events);
    expect(await firstSync.textContent()).toMatch(
      /First sync of ~[\d,]+ events over 2 projects: list API ~[\d,]+ requests ≈ .+; bulk export ~[\d,]+ requests .+This source would use: bulk for 0 projects, list for 2\./s,
    );
    expect(await activeId(page)).toBe('test-result');
    await result.getByText(/Raw JSON/).click();
    expect(await result.locator('pre').textContent()).toContain('"received_at"');
    await step3.getByRole('button', { name: 'Next' }).click();

    // 4 Destination: the default SQLite file. 5 Schedule: hourly. 6 Name and save.
    await page.locator('#step-destination').getByRole('button', { name: 'Next' }).click();
    await page.locator('#step-schedule').getByLabel('Every hour').check();
    await page.locator('#step-schedule').getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Source name').fill('Production errors');
    await page.getByRole('button', { name: 'Save source' }).click();
    await page.waitForURL(/\/sources\?selected=src_/);
    const row = page.locator('tr.is-selected');
    expect(await row.locator('.source-name').textContent()).toBe('Production errors');
    expect(await row.getByText('Active').isVisible()).toBe(true);
    expect(await row.textContent()).toContain('never run');
    const source = (
      await api<
        Array<{
          id: string;
          source_config: { projects: string[]; streams: string[] };
          poll_schedule: string;
          data_credentials_id: string;
          destination: string;
        }>
      >('GET', '/api/data_sources')
    )[0]!;
    expect(source.data_credentials_id).toBe(adminCredential);
    expect(source.source_config.projects.sort()).toEqual([p1!.id, p2!.id].sort());
    expect(source.source_config.streams.sort()).toEqual(['errors', 'events', 'projects', 'stability_trend']);
    expect(source.poll_schedule).toBe('hourly');
    expect(source.destination).toBe(`sqlite:${join(server.home, 'bugsnag.db')}`);
    expect(await api<unknown[]>('GET', '/api/runs')).toEqual([]);

    // Run it: the live view updates from the server-sent events while the run goes on…
    await row.getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL(/\/runs\/run_/);
    const live = page.locator('[data-live-run]');
    // Running, events applied by app.js, records counted, a determinate progress bar (waitForFunction would need
    // eval, which the CSP forbids: a selector waits instead).
    await page
      .locator(
        '[data-live-run][data-status="running"]:not([data-applied="0"]):has(progress[value]):has([data-total="records"]:not(:text-is("0")))',
      )
      .waitFor();
    const midRecords = Number((await live.locator('[data-total="records"]').textContent())!.replace(/,/g, ''));
    const midApplied = Number(await live.getAttribute('data-applied'));
    expect(await page.locator('.page-head [data-run-status="running"]').isVisible()).toBe(true);
    // Rows name their project "Name (Organization)", the ones app.js adds as events arrive too (the second project's
    // streams start after the page loaded); never "project <id>".
    const orgName = sim.info().organizations[0]!.name;
    await live.locator(`td[data-label="Partition"]:text-is("${p2!.name} (${orgName})")`).first().waitFor();
    expect(await live.locator('td[data-label="Partition"]:text-matches("^project ")').count()).toBe(0);
    // …and at the end the page shows the summary, without a reload.
    const runPage = page.locator('[data-run-page][data-run-status="succeeded"]');
    await runPage.waitFor({ timeout: 60_000 });
    expect(await page.locator('[data-live-run]').count()).toBe(0);
    expect(await page.locator('#announcer').textContent()).toContain('succeeded');
    const runId = new URL(page.url()).pathname.split('/').pop()!;
    const run = await api<{
      totals: { records_read: number; rate_limit_waits: number };
      streams: Array<{ stream: string }>;
    }>('GET', `/api/runs/${runId}`);
    expect(midRecords).toBeGreaterThan(0);
    expect(midRecords).toBeLessThan(run.totals.records_read);
    expect(midApplied).toBeGreaterThan(0);
    expect(run.totals.rate_limit_waits).toBeGreaterThan(0);
    expect(await runPage.locator('[data-total="records"]').textContent()).toBe(
      run.totals.records_read.toLocaleString('en-US'),
    );
    // The run's detail: one row per stream and partition, both projects' events among them.
    expect(await runPage.locator('[data-run-streams] tbody tr').count()).toBe(run.streams.length);
    expect(await runPage.locator('tr[data-stream="events"]').count()).toBe(2);
    expect(await runPage.locator('tr[data-outcome="ok"]').count()).toBe(run.streams.length);
    expect(
      await runPage
        .locator(`tr[data-stream="events"] td[data-label="Partition"]:text-is("${p1!.name} (${orgName})")`)
        .count(),
    ).toBe(1);

    // The Overview: two series of 30 days, and a table whose every figure is the destination's.
    await page.getByRole('link', { name: 'Overview' }).click();
    const chart = page.locator('[data-chart="events-0"]');
    await chart.waitFor();
    expect(await chart.getAttribute('data-series-count')).toBe('2');
    expect(await chart.locator('svg[role="img"] circle').count()).toBe(60);
    expect(await chart.locator('svg title').first().textContent()).toBe('Events per day per project');
    await chart.getByText('The figures as a table').click();
    expect(await chart.locator('table').isVisible()).toBe(true);
    const db = new Database(join(server.home, 'bugsnag.db'), { readonly: true });
    try {
      const counts = db
        .prepare('SELECT project_id AS p, substr(received_at, 1, 10) AS d, count(*) AS n FROM events GROUP BY p, d')
        .all() as Array<{ p: string; d: string; n: number }>;
      const byDay = new Map<string, number>();
      for (const c of counts) byDay.set(`${c.p}|${c.d}`, c.n);
      const tableKeys = await chart
        .locator('thead th[data-series]')
        .evaluateAll((ths) => ths.map((th) => th.getAttribute('data-series') ?? ''));
      expect([...tableKeys].sort()).toEqual([p1!.id, p2!.id].sort());
      const cells = await page.evaluate<Array<{ p: string; d: string; v: number }>>(`(() => {
        const table = document.querySelector('[data-chart-table="events-0"]');
        const keys = [...table.querySelectorAll('thead th[data-series]')].map((th) => th.dataset.series);
        return [...table.querySelectorAll('tbody tr')].flatMap((r) => [...r.querySelectorAll('td')].map((td, i) => ({ p: keys[i], d: r.dataset.day, v: Number(td.dataset.value) })));
      })()`);
      expect(cells).toHaveLength(60);
      let total = 0;
      for (const c of cells) {
        expect(c.v, `${c.p} ${c.d}`).toBe(byDay.get(`${c.p}|${c.d}`) ?? 0);
        total += c.v;
      }
      expect(total).toBeGreaterThan(0);
    } finally {
      db.close();
    }
    expect(await page.locator('[data-chart="stability-0"] svg[role="img"]').count()).toBe(1);
    expect(realProblems(page)).toEqual([]);
  });

  it('chart axis labels are readable on a wide and a phone-sized window (at least 11 px on screen)', async () => {
    for (const width of [1280, 390]) {
      const page = await web.page({ viewport: { width, height: 900 } });
      await loginInBrowser(page, server.url, server.key, '/');
      await page.locator('[data-chart="events-0"] .chart-tick').first().waitFor();
      // The size on screen: the font size times the scale the label's SVG is drawn at (a viewBox shrinks it).
      const sizes = await page.evaluate<number[]>(`[...document.querySelectorAll('.chart-tick')].map(
        (t) => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)`);
      expect(sizes.length, `labels at ${width}`).toBeGreaterThan(4);
      expect(Math.min(...sizes), `smallest label at ${width} px wide`).toBeGreaterThanOrEqual(11);
      // The labels stay inside the window (none pushed off its left edge).
      const lefts = await page.evaluate<number[]>(
        `[...document.querySelectorAll('.chart-tick')].map((t) => t.getBoundingClientRect().left)`,
      );
      expect(Math.min(...lefts)).toBeGreaterThanOrEqual(0);
      expect(realProblems(page)).toEqual([]);
    }
  });

  it('pauses, resumes and deletes a source from the list (the delete says the destination stays)', async () => {
    const created = await api<{ id: string }>('POST', '/api/data_sources', {
      name: 'Short-lived',
      data_credentials_id: adminCredential,
      source_config: { streams: ['errors'] },
      poll_schedule: 'daily',
    });
    const page = await web.page();
    await loginInBrowser(page, server.url, server.key, '/sources');
    const row = page.locator(`#source-${created.id}`);
    await row.getByRole('button', { name: 'Pause Short-lived' }).click();
    await page.locator(`#source-${created.id} [data-source-status="paused"]`).waitFor();
    expect(await activeId(page)).toBe(`source-${created.id}-resume`);
    expect(await page.locator('[data-flash-region]').textContent()).toContain('Paused "Short-lived"');
    expect((await api<{ status: string }>('GET', `/api/data_sources/${created.id}`)).status).toBe('PAUSED');
    await page.keyboard.press('Enter'); // the focused Resume button
    await page.locator(`#source-${created.id} [data-source-status="active"]`).waitFor();
    expect((await api<{ status: string }>('GET', `/api/data_sources/${created.id}`)).status).toBe('ACTIVE');

    await page.locator(`#source-${created.id}`).getByRole('link', { name: 'Delete Short-lived' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Delete Short-lived?' }).waitFor();
    expect(await dialog.textContent()).toContain('The destination is not deleted');
    await dialog.getByRole('button', { name: 'Delete source' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.locator(`#source-${created.id}`).waitFor({ state: 'detached' });
    expect(await page.locator('[data-flash-region]').textContent()).toContain('Deleted "Short-lived"');
    const gone = await fetch(`${server.url}/api/data_sources/${created.id}`, {
      headers: { authorization: `Bearer ${server.key}` },
    });
    expect(gone.status).toBe(404);
    expect(realProblems(page)).toEqual([]);
  });

  it('works with the keyboard: Next moves focus to the step, Enter in a field goes on, errors open their step', async () => {
    const page = await web.page();
    await loginInBrowser(page, server.url, server.key, '/sources/new');
    await page.locator('#step-connector [data-wizard-next]').focus();
    await page.keyboard.press('Enter');
    expect(await activeId(page)).toBe('step-authenticate-title');
    expect(await page.locator('#step-connector').isHidden()).toBe(true);
    expect(await page.locator('[data-step-link="1"]').getAttribute('aria-current')).toBe('step');
    // Arrow keys move between the credential tiles (a radio group); the projects follow.
    await page.getByRole('radio', { name: 'Bugsnag production' }).focus();
    await page.keyboard.press('Space');
    await page.locator('#wizard-projects [data-projects-state="listed"]').waitFor({ state: 'attached' });
    await page.keyboard.press('ArrowDown');
    expect(await page.getByRole('radio', { name: 'Second token' }).isChecked()).toBe(true);
    // The step list is a row of links: Enter on one opens its step.
    await page.locator('[data-step-link="2"]').focus();
    await page.keyboard.press('Enter');
    expect(await activeId(page)).toBe('step-configure-title');
    await page.getByLabel('Start date').fill('30d');
    await page.keyboard.press('Enter');
    expect(await activeId(page)).toBe('step-destination-title');
    expect(page.url()).toBe(`${server.url}/sources/new`);
    // Saving without a name: the wizard opens the last step on the field in error.
    await page.locator('[data-step-link="5"]').focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Save source' }).focus();
    await page.keyboard.press('Enter');
    await page.locator('#wizard-name[aria-invalid="true"]').waitFor();
    expect(await activeId(page)).toBe('wizard-name');
    expect(await page.locator('[data-error-for="name"]').textContent()).toContain('A source name is required');
    // A start date it cannot read: back on step 3, on that field.
    await page.getByLabel('Source name').fill('Keyboard source');
    await page.locator('[data-step-link="2"]').click();
    await page.getByLabel('Start date').fill('soonish');
    await page.locator('[data-step-link="5"]').click();
    await page.getByRole('button', { name: 'Save source' }).click();
    await page.locator('#wizard-start_date[aria-invalid="true"]').waitFor();
    expect(await activeId(page)).toBe('wizard-start_date');
    expect(await page.locator('#step-configure').isVisible()).toBe(true);
    expect(realProblems(page)).toEqual([]);
  });

  it('Next without a credential stays on Authenticate and says so on the tiles; a taken name is shown on the name field', async () => {
    await api('POST', '/api/data_sources', { name: 'Taken name', data_credentials_id: adminCredential });
    const page = await web.page();
    page.setDefaultTimeout(8000);
    await loginInBrowser(page, server.url, server.key, '/sources/new');
    await page.locator('#step-connector [data-wizard-next]').click();
    await page.locator('#step-authenticate [data-wizard-next]').click();
    expect(await page.locator('#step-authenticate').isVisible()).toBe(true);
    expect(await page.locator('[data-step-link="1"]').getAttribute('aria-current')).toBe('step');
    expect(await page.locator('[data-error-for="credential_id"]').textContent()).toContain('Pick a credential first');
    expect(await activeId(page)).toMatch(/^cred-|credential/);
    // Jumping ahead by the step list does not mark the step without a credential as done.
    await page.locator('[data-step-link="3"]').click();
    expect(await page.locator('[data-step-link="0"]').getAttribute('class')).toContain('is-done');
    expect((await page.locator('[data-step-link="1"]').getAttribute('class')) ?? '').not.toContain('is-done');
    await page.locator('[data-step-link="1"]').click();
    await page.locator('label.tile-pick-label', { hasText: 'Bugsnag production' }).click();
    await page.locator('#wizard-projects [data-projects-state="listed"]').waitFor({ state: 'attached' });
    expect(await page.locator('[data-error-for="credential_id"]').isHidden()).toBe(true);
    await page.locator('#step-authenticate [data-wizard-next]').click();
    expect(await page.locator('#step-configure').isVisible()).toBe(true);
    expect(await page.locator('[data-step-link="1"]').getAttribute('class')).toContain('is-done');

    await page.locator('[data-step-link="5"]').click();
    await page.getByLabel('Source name').fill('TAKEN NAME');
    await page.getByRole('button', { name: 'Save source' }).click();
    await page.locator('#wizard-name[aria-invalid="true"]').waitFor();
    expect(await activeId(page)).toBe('wizard-name');
    const error = await page.locator('[data-error-for="name"]').textContent();
    expect(error).toContain('already exists');
    expect(error).toContain('Sources page');
    expect(error).not.toContain('snagsync');
    expect(await page.locator('[data-form-error]').isHidden()).toBe(true);
    expect(realProblems(page)).toEqual([]);
  });

  it('reads on a narrow window: the wizard, the list and a run without sideways scrolling', async () => {
    const page = await web.page({ viewport: { width: 390, height: 844 } });
    await loginInBrowser(page, server.url, server.key, '/sources/new');
    const overflow = () => page.evaluate<boolean>('document.documentElement.scrollWidth > window.innerWidth + 1');
    expect(await overflow()).toBe(false);
    expect(await page.locator('[data-step-link="5"]').isVisible()).toBe(true);
    const next = await page.locator('#step-connector [data-wizard-next]').boundingBox();
    expect(next!.x + next!.width).toBeLessThanOrEqual(390);
    await page.locator('[data-step-link="2"]').click();
    expect(await overflow()).toBe(false);
    await page.goto(`${server.url}/sources`);
    expect(await overflow()).toBe(false);
    // A run of its own (one project, one stream: quick even at this rate limit), read to its end over SSE.
    const src = await api<{ id: string }>('POST', '/api/data_sources', {
      name: 'Narrow',
      data_credentials_id: adminCredential,
      source_config: { streams: ['errors'], projects: [projects()[2]!.id] },
    });
    const started = await api<{ run_id: string }>('POST', `/api/data_sources/${src.id}/runs`);
    await (
      await fetch(`${server.url}/api/runs/${started.run_id}/events`, {
        headers: { authorization: `Bearer ${server.key}` },
      })
    ).text();
    await page.goto(`${server.url}/runs`);
    expect(await overflow()).toBe(false);
    await page.goto(`${server.url}/runs/${started.run_id}`);
    await page.locator('[data-run-page][data-run-status="succeeded"]').waitFor();
    expect(await overflow()).toBe(false);
    await page.goto(`${server.url}/`);
    expect(await overflow()).toBe(false);
  });

  it('deleting the last source from the list shows the empty state, not an empty table', async () => {
    for (const s of await api<Array<{ id: string }>>('GET', '/api/data_sources'))
      await fetch(`${server.url}/api/data_sources/${s.id}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${server.key}` },
      });
    const last = await api<{ id: string }>('POST', '/api/data_sources', {
      name: 'The only one',
      data_credentials_id: adminCredential,
      source_config: { streams: ['errors'] },
    });
    const page = await web.page();
    await loginInBrowser(page, server.url, server.key, '/sources');
    expect(await page.locator('[data-empty="sources"]').count()).toBe(0);
    await page.locator(`#source-${last.id}`).getByRole('link', { name: 'Delete The only one' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Delete source' }).click();
    await page.locator('[data-empty="sources"]').waitFor();
    expect(await page.locator('table').count()).toBe(0);
    expect(await page.locator('[data-flash-region]').textContent()).toContain('Deleted "The only one"');
    expect(realProblems(page)).toEqual([]);
  });

  it('follows a run of another process from its stored progress, and shows its end', async () => {
    const src = await api<{ id: string }>('POST', '/api/data_sources', {
      name: 'Elsewhere',
      data_credentials_id: adminCredential,
      source_config: { streams: ['errors'] },
    });
    // As `snagsync sync` in another terminal would: the run exists in the store, its events are not in this process.
    const run = await server.runtime.store.runs.create({ source_id: src.id, trigger: 'cli' });
    const page = await web.page();
    await loginInBrowser(page, server.url, server.key, `/runs/${run.id}`);
    expect(await page.locator('[data-external-run]').isVisible()).toBe(true);
    await server.runtime.store.runs.heartbeat(run.id, {
      records_read: 1234,
      records_written: 1200,
      requests: 7,
      rate_limit_wait_ms: 0,
    });
    await page.locator('[data-run-totals] [data-total="records"]:text-is("1,234")').waitFor();
    await server.runtime.store.runs.finish(run.id, {
      status: 'succeeded',
      totals: { records_read: 2000, records_written: 1990, requests: 9, rate_limit_wait_ms: 0 },
    });
    await page.locator('[data-run-page][data-run-status="succeeded"]').waitFor();
    expect(await page.locator('[data-run-totals] [data-total="records"]').textContent()).toBe('2,000');
    expect(await page.locator('[data-external-run]').count()).toBe(0);
    expect(realProblems(page)).toEqual([]);
  });

  it('without JavaScript every step shows on one page, and saving works', async () => {
    const page = await web.page({ javaScriptEnabled: false });
    await loginInBrowser(page, server.url, server.key, '/sources/new');
    for (const id of [
      'step-connector',
      'step-authenticate',
      'step-configure',
      'step-destination',
      'step-schedule',
      'step-save',
    ]) {
      expect(await page.locator(`#${id}`).isVisible(), id).toBe(true);
    }
    await page.getByText('Bugsnag production', { exact: true }).click();
    await page.getByRole('button', { name: 'List its organizations and projects' }).click();
    await page.locator('#wizard-projects [data-projects-state="listed"]').waitFor({ state: 'attached' });
    await page.getByLabel('Source name').fill('No script');
    await Promise.all([
      page.waitForURL(/\/sources\?selected=src_/),
      page.getByRole('button', { name: 'Save source' }).click(),
    ]);
    expect(await page.locator('tr.is-selected .source-name').textContent()).toBe('No script');
  });
});
