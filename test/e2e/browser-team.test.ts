import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { createToken } from '../../src/store/team/tokens.js';
import type { Role } from '../../src/store/users.js';
import { startWebServer, useBrowserSuite, type WebServer } from '../helpers/browser.js';
import { requireService } from '../helpers/services.js';
import { startSim } from '../server/sources-helpers.js';
import { projectsOf, simErrorIds, simWrites } from '../writeback/helpers.js';

/**
 * The web UI in Chromium as each role: a viewer sees the runs but no Add Credential, no Run now and no Plan or
 * Apply; an editor plans a discarding write-back but is offered neither the discard's tick nor Apply (and the server
 * refuses it anyway); an admin creates an API token on the Tokens page, sees it once, and finds its creation on the
 * Audit page with no token text anywhere. Each browses with the user's own API token (Authorization: Bearer).
 */

const enabled = requireService('chromium');

describe.skipIf(!enabled)('web UI: roles, Users, API tokens and Audit (Chromium)', () => {
  const web = useBrowserSuite({ beforeAll, afterEach, afterAll });
  let sim: Simulator;
  let server: WebServer;
  let sourceId: string;
  let runId: string;
  let sinkId: string;
  const tokens: Partial<Record<Role, string>> = {};

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    sim = await startSim({ errors: 6 });
    server = await startWebServer();
    const admin = sim.tokens.find((t) => t.role === 'admin')!;
    const cred = await api('POST', '/api/data_credentials', {
      name: 'Triage token',
      credentials: { auth_token: admin.token, host: sim.url },
    });
    expect(cred.status).toBe(201);
    const source = await api('POST', '/api/data_sources', {
      name: 'orders',
      data_credentials_id: cred.json.id,
      source_config: { streams: ['organizations'] },
    });
    expect(source.status).toBe(201);
    sourceId = source.json.id as string;
    const run = await api('POST', `/api/data_sources/${sourceId}/runs`, {});
    expect(run.status).toBe(202);
    runId = run.json.run_id as string;
    await server.server.app.snag.runs.get(runId)!.handle.done;
    const project = projectsOf(sim)[0]!;
    const ids = await simErrorIds(sim, project, 2);
    const sink = await api('POST', '/api/data_sinks', {
      name: 'Drop noisy',
      data_credentials_id: cred.json.id,
      data_sink_config: {
        input: {
          type: 'file',
          format: 'jsonl',
          content: ids.map((id) => JSON.stringify({ project_id: project, error_id: id })).join('\n'),
          filename: 'rows.jsonl',
        },
        operation: { name: 'discard', params: {} },
      },
    });
    expect(sink.status).toBe(201);
    sinkId = sink.json.id as string;
    const store = server.runtime.store;
    for (const role of ['admin', 'editor', 'viewer'] as const) {
      const u = await store.users.add({ email: `${role}@example.com`, role, invitation_sha256: role.padEnd(64, '0') });
      tokens[role] = (await createToken(store, { user: u.id, scope: 'admin' }, Date.now())).token;
    }
  });
  afterAll(async () => {
    await server?.close();
    await sim?.close();
  });

  const as = async (role: Role) => {
    const page = await web.page({ extraHTTPHeaders: { authorization: `Bearer ${tokens[role]}` } });
    page.setDefaultTimeout(8000);
    return page;
  };

  it('a viewer sees the runs but no Add Credential, no Run now, no Plan and no Apply', async () => {
    const page = await as('viewer');
    await page.goto(`${server.url}/runs`);
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    expect(await page.locator(`a[href="/runs/${runId}"]`).count()).toBeGreaterThan(0);
    const nav = page.getByRole('navigation', { name: 'Main' });
    for (const hidden of ['Credentials', 'Users', 'API tokens', 'Audit'])
      expect(await nav.getByRole('link', { name: hidden, exact: true }).count(), hidden).toBe(0);
    expect(await nav.getByRole('link', { name: 'Sources', exact: true }).count()).toBe(1);

    await page.goto(`${server.url}/sources`);
    await page.getByRole('link', { name: 'orders' }).waitFor();
    expect(await page.getByRole('button', { name: /Run now/ }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'New source' }).count()).toBe(0);
    expect(await page.getByText('Add Credential').count()).toBe(0);

    await page.goto(`${server.url}/destinations/${sinkId}/plan`);
    await page.locator('[data-role-note]').waitFor();
    expect(await page.getByRole('button', { name: 'Plan', exact: true }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Apply' }).count()).toBe(0);

    // Hiding is a courtesy: the server refuses whatever the page leaves out.
    const refused = await page.request.post(`${server.url}/sources/${sourceId}/run`);
    expect(refused.status()).toBe(403);
    expect(page.problems).toEqual([]);
  });

  it('an editor plans a discard but is offered neither the tick nor Apply, and cannot discard', async () => {
    const page = await as('editor');
    await page.goto(`${server.url}/credentials`);
    await page.getByRole('heading', { name: 'Triage token' }).waitFor();
    expect(await page.getByText('Add Credential').count()).toBe(0);
    expect(await page.getByRole('link', { name: /Replace token/ }).count()).toBe(0);

    await page.goto(`${server.url}/destinations/${sinkId}/plan`);
    await page.getByRole('button', { name: 'Plan', exact: true }).click();
    await page.locator('table[data-plan]').waitFor();
    expect(await page.getByRole('checkbox').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Apply' }).count()).toBe(0);
    expect(await page.getByRole('note').filter({ hasText: 'writeback:destructive' }).count()).toBe(1);

    const refused = await page.request.post(`${server.url}/destinations/${sinkId}/apply`, { form: { confirm: '1' } });
    expect(refused.status()).toBe(403);
    expect(simWrites(sim)).toBe(0);
    expect(page.problems).toEqual([]);
  });

  it('an admin creates a token, sees it once, and finds its creation on the Audit page without the token', async () => {
    const page = await as('admin');
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await page.goto(`${server.url}/`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API tokens' }).click();
    await page.getByRole('heading', { name: 'API tokens' }).waitFor();
    await page.getByLabel(/^User/).selectOption({ label: 'editor@example.com (editor)' });
    await page.getByLabel('Scope').selectOption('write');
    await page.getByLabel('Expires after').fill('30d');
    await page.getByRole('button', { name: 'Create token' }).click();
    const field = page.getByLabel('The new token');
    await field.waitFor();
    const token = await field.inputValue();
    expect(token).toMatch(/^snagt_[A-Za-z0-9_-]{43}$/);
    expect(await page.getByText('shown only this once').count()).toBe(1);
    await page.getByRole('button', { name: 'Copy' }).click();
    await expect.poll(() => page.locator('[data-copy-status="new-token"]').textContent()).toBe('Copied.');
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(token);

    // It works, as the editor it acts for.
    const res = await fetch(`${server.url}/api/data_sources`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);

    // Shown once: the list does not hold it.
    await page.goto(`${server.url}/tokens`);
    await page.locator('table[data-tokens-table]').waitFor();
    expect(await page.content()).not.toContain(token);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    await page.getByLabel('Resource').fill('tokens');
    await page.getByLabel('Action').selectOption('POST');
    await page.getByRole('button', { name: 'Filter' }).click();
    const row = page.locator('table[data-audit-table] tbody tr').first();
    await row.waitFor();
    expect(await row.textContent()).toContain('POST /tokens');
    expect(await row.textContent()).toContain('admin@example.com');
    expect(await row.textContent()).toContain('expires, scope, user');
    expect(await page.content()).not.toContain(token);
    const download = await page.getByRole('link', { name: /Download JSONL/ }).getAttribute('href');
    expect(download).toContain('format=jsonl');
    expect(download).toContain('resource=tokens');
    expect(download).toContain('method=POST');
    expect(page.problems).toEqual([]);
  });

  it('an admin invites a user, sees the one-time link once, and the invitee signs in with it as a viewer', async () => {
    const page = await as('admin');
    await page.goto(`${server.url}/users`);
    await page.getByLabel(/^Email/).fill('new.analyst@example.com');
    await page.locator('#invite-role').selectOption('viewer');
    await page.getByRole('button', { name: 'Invite' }).click();
    const link = await page.getByLabel('Invitation link').inputValue();
    expect(link).toMatch(new RegExp(`^${server.url}/invite/snagi_[A-Za-z0-9_-]{43}$`));
    expect(await page.locator('tr[data-user="new.analyst@example.com"]').count()).toBe(1);
    await page.goto(`${server.url}/users`);
    await page.locator('tr[data-user="new.analyst@example.com"]').waitFor();
    expect(await page.content()).not.toContain(link.split('/invite/')[1]!);
    expect(page.problems).toEqual([]);

    // The invitee opens the link in a browser of their own, sets a password and is signed in as a viewer: their
    // session shows them a viewer's pages, and the server refuses them an admin's.
    const invitee = await web.page();
    invitee.setDefaultTimeout(8000);
    await invitee.goto(link);
    await invitee.getByLabel(/^New password/).fill('correct horse battery staple');
    await invitee.getByLabel(/^Repeat the password/).fill('correct horse battery staple');
    await invitee.getByRole('button', { name: 'Set password and sign in' }).click();
    const nav = invitee.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Runs', exact: true }).waitFor();
    for (const hidden of ['Credentials', 'Users', 'API tokens', 'Audit'])
      expect(await nav.getByRole('link', { name: hidden, exact: true }).count(), hidden).toBe(0);
    expect(invitee.problems).toEqual([]);
    const refused = await invitee.goto(`${server.url}/users`);
    expect(refused?.status()).toBe(403);
  });
});
