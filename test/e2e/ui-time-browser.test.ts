import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import {
  loginInBrowser,
  startWebServer,
  useBrowserSuite,
  type TrackedPage,
  type WebServer,
} from '../helpers/browser.js';
import { requireService } from '../helpers/services.js';

/**
 * The source page's Webhook panel and an error's history page in real headless Chromium, against `snagsync serve`
 * on a loopback port after a real sync from the simulator: the panel shows the full URL, Copy puts it in the
 * clipboard, Rotate (confirmed in its overlay) swaps in a new URL; the Error history list leads to the history page,
 * whose intervals are those of the destination, in order.
 */

const enabled = requireService('chromium');
const HOUR = 3_600_000;

/** One error observed open by the sync is then fixed (3 h ago) and reopened (1 h ago) in its history. */
function fixAndReopen(path: string): { project_id: string; error_id: string } {
  const db = new Database(path);
  try {
    const open = db
      .prepare(
        `SELECT project_id, error_id, valid_from FROM error_history WHERE valid_to IS NULL AND status = 'open' LIMIT 1`,
      )
      .get() as { project_id: string; error_id: string; valid_from: string };
    const fixedAt = new Date(Date.now() - 3 * HOUR).toISOString();
    const reopenedAt = new Date(Date.now() - HOUR).toISOString();
    db.prepare('UPDATE error_history SET valid_to = ? WHERE project_id = ? AND error_id = ? AND valid_to IS NULL').run(
      fixedAt,
      open.project_id,
      open.error_id,
    );
    const insert = db.prepare(
      `INSERT INTO error_history (project_id, error_id, status, severity, assigned_collaborator_id, assigned_team_id, valid_from, valid_to, observed_by, _run_id)
       SELECT project_id, error_id, ?, severity, assigned_collaborator_id, assigned_team_id, ?, ?, ?, _run_id FROM error_history
       WHERE project_id = ? AND error_id = ? AND valid_from = ?`,
    );
    insert.run('fixed', fixedAt, reopenedAt, 'status_pass', open.project_id, open.error_id, open.valid_from);
    insert.run('open', reopenedAt, null, 'webhook', open.project_id, open.error_id, open.valid_from);
    return { project_id: open.project_id, error_id: open.error_id };
  } finally {
    db.close();
  }
}

describe.skipIf(!enabled)('web UI: webhook panel and error history (Chromium)', () => {
  const web = useBrowserSuite({ beforeAll, afterEach, afterAll });
  let sim: Simulator;
  let server: WebServer;
  let sourceId: string;
  let dbPath: string;
  let hot: { project_id: string; error_id: string };

  async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${server.key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  beforeAll(async () => {
    sim = await startSimulator({
      anchor: '2026-01-15T00:00:00Z',
      rateLimit: 1_000_000,
      orgs: 1,
      projects: 2,
      errors: 3,
      events: 30,
      releases: 1,
    });
    server = await startWebServer({ app: { executor: 'in-process' } });
    const admin = sim.tokens.find((t) => t.role === 'admin')!.token;
    const cred = await api<{ id: string }>('POST', '/api/data_credentials', {
      name: 'sim',
      credentials: { auth_token: admin, host: sim.url },
    });
    dbPath = join(server.home, 'time.db');
    const source = await api<{ id: string }>('POST', '/api/data_sources', {
      name: 'timely',
      data_credentials_id: cred.id,
      source_config: { streams: ['projects', 'errors'] },
      destination: `sqlite:${dbPath}`,
    });
    sourceId = source.id;
    const run = await api<{ run_id: string }>('POST', `/api/data_sources/${sourceId}/runs`);
    await server.server.app.snag.runs.get(run.run_id)!.handle.done;
    hot = fixAndReopen(dbPath);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await sim?.close();
  });

  const webhookPath = async () => (await api<{ path: string }>('GET', `/api/data_sources/${sourceId}/webhook`)).path;

  it('shows the full webhook URL, copies it, and rotates it after the confirmation', async () => {
    const page: TrackedPage = await web.page({ permissions: ['clipboard-read', 'clipboard-write'] });
    await loginInBrowser(page, server.url, server.key, `/sources/${sourceId}`);
    const field = page.getByLabel('Webhook URL', { exact: true });
    const first = await webhookPath();
    expect(await field.inputValue()).toBe(`${server.url}${first}`);
    expect(await field.getAttribute('readonly')).not.toBeNull();

    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByText('Copied.').waitFor();
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(`${server.url}${first}`);

    await page.getByRole('link', { name: 'Rotate the URL…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('The current URL stops working at once').waitFor();
    await dialog.getByRole('button', { name: 'Rotate the URL' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.waitForFunction(
      `document.getElementById('webhook-url').value !== ${JSON.stringify(`${server.url}${first}`)}`,
    );
    const second = await webhookPath();
    expect(second).not.toBe(first);
    expect(await field.inputValue()).toBe(`${server.url}${second}`);
    // The old URL is refused, as any wrong one.
    const old = await fetch(`${server.url}${first}`, { method: 'POST', body: '{}' });
    expect(old.status).toBe(404);
    expect(page.problems.filter((p) => !/status of 4\d\d/.test(p))).toEqual([]);
  });

  it('from the Error history list to an error’s history page: its intervals in order', async () => {
    const page = await web.page();
    await loginInBrowser(page, server.url, server.key, `/sources/${sourceId}`);
    const { project_id: projectId, error_id: errorId } = hot;
    const href = `/sources/${sourceId}/errors/${projectId}/${errorId}/history`;
    const link = page.locator(`[data-change] a[href="${href}"]`);
    await Promise.all([page.waitForURL(`${server.url}${href}`), link.click()]);
    await page.getByRole('heading', { name: /^History of / }).waitFor();
    const db = new Database(dbPath, { readonly: true });
    const rows = db
      .prepare('SELECT status, valid_from FROM error_history WHERE project_id = ? AND error_id = ? ORDER BY valid_from')
      .all(projectId, errorId) as Array<{ status: string; valid_from: string }>;
    db.close();
    expect(rows.length).toBeGreaterThan(0);
    const shown = await page
      .locator('tr[data-interval]')
      .evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-status'), tr.getAttribute('data-valid-from')]));
    expect(rows.map((r) => r.status)).toEqual(['open', 'fixed', 'open']);
    expect(shown).toEqual(rows.map((r) => [r.status, r.valid_from]));
    expect(page.problems).toEqual([]);
  });
});
