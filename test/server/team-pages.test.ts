import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { type Permission, roleAllows } from '../../src/server/permissions.js';
import { hashPassword } from '../../src/store/team/passwords.js';
import { createToken } from '../../src/store/team/tokens.js';
import type { Role } from '../../src/store/users.js';
import { projectsOf, simErrorIds } from '../writeback/helpers.js';
import { keyHeaders, passwordLogin, setCookies } from './helpers.js';
import { sourcesServer, startSim, type SourcesServer } from './sources-helpers.js';

/**
 * The web UI as each role sees it: every page shows exactly the controls the role's permissions allow — driven by
 * the permission table (roleAllows) — and the Users, API tokens and Audit pages work for an admin, with secrets shown
 * once and never again. Users browse with their own API tokens (Authorization: Bearer), as a script or a browser may.
 */

let sim: Simulator;
let s: SourcesServer;
const bearer: Record<string, Record<string, string>> = {};
let sourceId: string;
let credentialId: string;
let sinkId: string;
const ROLES_UNDER_TEST: Array<Role | 'owner'> = ['viewer', 'editor', 'admin', 'owner'];

beforeAll(async () => {
  sim = await startSim({ errors: 6 });
  s = await sourcesServer();
  credentialId = await s.credential(sim);
  const source = await s.source({
    name: 'orders',
    data_credentials_id: credentialId,
    source_config: { streams: ['organizations'] },
  });
  sourceId = source.id;
  const project = projectsOf(sim)[0]!;
  const ids = await simErrorIds(sim, project, 2);
  const sink = await s.api('POST', '/api/data_sinks', {
    name: 'drop them',
    data_credentials_id: credentialId,
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
  expect(sink.statusCode, sink.body).toBe(201);
  sinkId = sink.json().id;
  const users = s.runtime.store.users;
  for (const role of ['admin', 'editor', 'viewer'] as const) {
    const u = await users.add({ email: `${role}@example.com`, role, invitation_sha256: role.padEnd(64, '0') });
    const t = await createToken(s.runtime.store, { user: u.id, scope: 'admin' }, Date.now());
    bearer[role] = { authorization: `Bearer ${t.token}` };
  }
  bearer.owner = keyHeaders();
});
afterAll(async () => {
  await s?.cleanup();
  await sim?.close();
});

const get = (url: string, who: string) => s.app.inject({ method: 'GET', url, headers: bearer[who]! });
const allows = (who: Role | 'owner', p: Permission) => who === 'owner' || roleAllows(who, p);

/** Page → what the page needs, and the controls on it with the permission each one needs. */
function controls(): Array<{ page: string; method?: 'POST'; needs: Permission; shows: Array<[string, Permission]> }> {
  return [
    {
      page: '/',
      needs: 'read',
      shows: [
        ['<a href="/credentials">Credentials</a>', 'credentials:read'],
        ['<a href="/users">Users</a>', 'users:manage'],
        ['<a href="/tokens">API tokens</a>', 'tokens:manage'],
        ['<a href="/audit">Audit</a>', 'audit:read'],
        ['href="/sources/new"', 'sources:write'],
        [`action="/sources/${sourceId}/run"`, 'runs:start'],
      ],
    },
    {
      page: '/sources',
      needs: 'read',
      shows: [
        ['New source</a>', 'sources:write'],
        [`action="/sources/${sourceId}/run"`, 'runs:start'],
        [`action="/sources/${sourceId}/pause"`, 'sources:write'],
        [`href="/sources/${sourceId}/edit"`, 'sources:write'],
        [`href="/sources/${sourceId}/delete`, 'sources:write'],
      ],
    },
    {
      page: `/sources/${sourceId}`,
      needs: 'read',
      shows: [
        [`action="/sources/${sourceId}/run"`, 'runs:start'],
        [`action="/sources/${sourceId}/webhook/disable"`, 'sources:write'],
        [`href="/sources/${sourceId}/webhook/rotate"`, 'sources:write'],
        // The URL carries the webhook's secret.
        ['data-webhook-url>', 'sources:write'],
        ['/hooks/bugsnag/', 'sources:write'],
      ],
    },
    {
      page: '/credentials',
      needs: 'credentials:read',
      shows: [
        ['Add Credential', 'credentials:write'],
        [`action="/credentials/${credentialId}/test"`, 'credentials:write'],
        [`href="/credentials/${credentialId}/edit"`, 'credentials:write'],
        [`href="/credentials/${credentialId}/token"`, 'credentials:write'],
        [`href="/credentials/${credentialId}/delete"`, 'credentials:write'],
      ],
    },
    { page: '/sources/new', needs: 'sources:write', shows: [['Add Credential', 'credentials:write']] },
    { page: '/destinations/new', needs: 'destinations:write', shows: [['Add Credential', 'credentials:write']] },
    { page: '/destinations', needs: 'read', shows: [['New destination</a>', 'destinations:write']] },
    {
      page: `/destinations/${sinkId}`,
      needs: 'read',
      shows: [
        [`action="/destinations/${sinkId}/plan"`, 'writeback:apply'],
        [`href="/destinations/${sinkId}/edit"`, 'destinations:write'],
        [`action="/destinations/${sinkId}/delete"`, 'destinations:write'],
      ],
    },
    { page: `/destinations/${sinkId}/plan`, needs: 'read', shows: [['data-form="plan"', 'writeback:apply']] },
    {
      // The plan of a discard: only who may discard gets the tick and Apply.
      page: `/destinations/${sinkId}/plan`,
      method: 'POST',
      needs: 'writeback:apply',
      shows: [
        ['name="confirm"', 'writeback:destructive'],
        [`action="/destinations/${sinkId}/apply"`, 'writeback:apply'],
        ['>Apply</button>', 'writeback:destructive'],
      ],
    },
    { page: '/users', needs: 'users:manage', shows: [['action="/users"', 'users:manage']] },
    { page: '/tokens', needs: 'tokens:manage', shows: [['action="/tokens"', 'tokens:manage']] },
    { page: '/audit', needs: 'audit:read', shows: [['data-download-jsonl', 'audit:read']] },
  ];
}

describe('each role sees exactly the controls its permissions allow', () => {
  for (const who of ROLES_UNDER_TEST) {
    it(`${who}`, async () => {
      for (const c of controls()) {
        const res = await s.app.inject({ method: c.method ?? 'GET', url: c.page, headers: bearer[who]! });
        const where = `${who} ${c.method ?? 'GET'} ${c.page}`;
        if (!allows(who, c.needs)) {
          expect(res.statusCode, where).toBe(403);
          expect(res.body, where).toContain(c.needs);
          continue;
        }
        expect(res.statusCode, `${where}: ${res.body.slice(0, 300)}`).toBe(200);
        for (const [marker, permission] of c.shows) {
          expect(res.body.includes(marker), `${where} shows ${marker}: ${allows(who, permission)}`).toBe(
            allows(who, permission),
          );
        }
      }
    });
  }

  it('an editor is told a discarding plan needs an admin, and the server refuses a confirmed apply anyway', async () => {
    const plan = await s.app.inject({ method: 'POST', url: `/destinations/${sinkId}/plan`, headers: bearer.editor! });
    expect(plan.body).toContain('writeback:destructive');
    const apply = await s.app.inject({
      method: 'POST',
      url: `/destinations/${sinkId}/apply`,
      headers: bearer.editor!,
      payload: { confirm: '1' },
    });
    expect(apply.statusCode).toBe(403);
  });
});

describe('the Users page', () => {
  it('invites a user with a one-time link shown once, changes a role, and shows the store refusing the last admin', async () => {
    const form = { email: 'New.Person@example.com', role: 'editor' };
    const invited = await s.app.inject({ method: 'POST', url: '/users', headers: bearer.admin!, payload: form });
    expect(invited.statusCode, invited.body).toBe(201);
    const link = /value="(http:\/\/[^"]+\/invite\/(snagi_[A-Za-z0-9_-]{43}))"/.exec(invited.body);
    expect(link, invited.body).not.toBeNull();
    expect(invited.body).toContain('data-copy="invitation-link"');
    const list = await get('/users', 'admin');
    expect(list.body).toContain('new.person@example.com');
    // Until the invitation is redeemed (a password set), the list says so.
    expect(list.body).toMatch(/data-user="new.person@example.com">\n<th[^\n]*data-pending/);
    expect(list.body).not.toContain(link![2]);
    expect(list.body).toMatch(/data-user="admin@example.com"[\s\S]*?data-owner|Owner/);

    const again = await s.app.inject({ method: 'POST', url: '/users', headers: bearer.admin!, payload: form });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('already exists');

    const user = await s.runtime.store.users.find('new.person@example.com');
    const set = await s.app.inject({
      method: 'POST',
      url: `/users/${user.id}/role`,
      headers: bearer.admin!,
      payload: { role: 'viewer' },
    });
    expect(set.statusCode).toBe(303);
    expect((await s.runtime.store.users.find(user.id)).role).toBe('viewer');

    const admin = await s.runtime.store.users.find('admin@example.com');
    const confirm = await get(`/users/${admin.id}/remove`, 'admin');
    expect(confirm.body).toContain('Remove admin@example.com?');
    const refused = await s.app.inject({ method: 'POST', url: `/users/${admin.id}/remove`, headers: keyHeaders() });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('is the last admin');
    expect(refused.body).toContain('Make another user an admin first.');

    const removed = await s.app.inject({ method: 'POST', url: `/users/${user.id}/remove`, headers: bearer.admin! });
    expect(removed.statusCode).toBe(303);
    expect((await s.runtime.store.users.list()).map((u) => u.email)).not.toContain('new.person@example.com');
  });
});

describe('the API tokens page', () => {
  it('creates a token shown once that works, lists it without the token, and revokes it after asking', async () => {
    const editor = await s.runtime.store.users.find('editor@example.com');
    const created = await s.app.inject({
      method: 'POST',
      url: '/tokens',
      headers: bearer.admin!,
      payload: { user: editor.id, scope: 'write', expires: '30d' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const token = /value="(snagt_[A-Za-z0-9_-]{43})"/.exec(created.body)?.[1];
    expect(token).toBeDefined();
    expect(created.body).toContain('shown only this once');
    const works = await s.app.inject({
      method: 'GET',
      url: '/api/data_sources',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(works.statusCode).toBe(200);

    const list = await get('/tokens', 'admin');
    expect(list.body).not.toContain(token!);
    const record = (await s.runtime.store.users.listTokens(editor.id)).find((t) => t.scope === 'write')!;
    expect(list.body).toContain(`data-token-id="${record.id}"`);

    const bad = await s.app.inject({
      method: 'POST',
      url: '/tokens',
      headers: bearer.admin!,
      payload: { user: editor.id, scope: 'read', expires: 'soon' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('is not a lifetime');
    expect(bad.body).toMatch(/id="token-expires"[^>]*aria-invalid="true"/);

    expect((await get(`/tokens/${record.id}/revoke`, 'admin')).body).toContain('Revoke token');
    const revoked = await s.app.inject({ method: 'POST', url: `/tokens/${record.id}/revoke`, headers: bearer.admin! });
    expect(revoked.statusCode).toBe(303);
    const refused = await s.app.inject({
      method: 'GET',
      url: '/api/data_sources',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(refused.statusCode).toBe(401);
    expect((await get('/tokens', 'admin')).body).toMatch(new RegExp(`data-token-id="${record.id}"[\\s\\S]*?Revoked`));
  });
});

describe('the Audit page', () => {
  it('filters by actor, resource, action, outcome and time, pages newest first, and downloads the same filter as JSONL', async () => {
    // Refusals by the viewer (more than a page of them), one creation by the admin.
    for (let i = 0; i < 55; i++) await get('/users', 'viewer');
    const editor = await s.runtime.store.users.find('editor@example.com');
    const made = await s.app.inject({
      method: 'POST',
      url: '/tokens',
      headers: bearer.admin!,
      payload: { user: editor.id, scope: 'read' },
    });
    const token = /value="(snagt_[^"]+)"/.exec(made.body)![1]!;

    const viewer = await get('/audit?actor=viewer@example.com&outcome=refused', 'admin');
    expect(viewer.statusCode).toBe(200);
    const rows = viewer.body.match(/data-audit-id="/g) ?? [];
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(viewer.body).toContain('missing users:manage');
    expect(viewer.body).not.toContain('admin@example.com<span');

    const tokens = await get('/audit?resource=tokens&method=POST', 'admin');
    expect(tokens.body).toContain('POST /tokens');
    expect(tokens.body).toContain('expires, scope, user');
    expect(tokens.body).not.toContain(token);
    expect(tokens.body).not.toContain('GET /users');

    const future = await get('/audit?since=2999-01-01T00:00', 'admin');
    expect(future.body).toContain('No entry matches this filter.');
    const past = await get('/audit?until=2000-01-01', 'admin');
    expect(past.body).toContain('No entry matches this filter.');
    const wrong = await get('/audit?since=yesterday', 'admin');
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain('is not a time');

    // Paging: one entry a page through the API's cursor; the page's "Older entries" carries the filter along.
    const all = (await s.api('GET', '/api/audit?limit=500')).json().entries as Array<{ id: number }>;
    expect(all.length).toBeGreaterThan(50);
    const first = await get('/audit', 'admin');
    const older = /rel="next" href="\/audit\?before=(\d+)"/.exec(first.body);
    expect(older).not.toBeNull();
    const ids = [...first.body.matchAll(/data-audit-id="(\d+)"/g)].map((m) => Number(m[1]));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(ids.length).toBe(50);
    const second = await get(`/audit?before=${older![1]}`, 'admin');
    const next = [...second.body.matchAll(/data-audit-id="(\d+)"/g)].map((m) => Number(m[1]));
    expect(Math.max(...next)).toBeLessThan(Math.min(...ids));

    const link = /href="(\/api\/audit\?[^"]+)"[^>]*data-download-jsonl/.exec(tokens.body)![1]!.replaceAll('&amp;', '&');
    expect(link).toContain('format=jsonl');
    const jsonl = await s.app.inject({ method: 'GET', url: link, headers: bearer.admin! });
    expect(jsonl.statusCode).toBe(200);
    expect(jsonl.headers['content-type']).toContain('application/x-ndjson');
    const lines = jsonl.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { route: string; method: string });
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.every((l) => l.method === 'POST' && l.route.includes('tokens'))).toBe(true);
    expect(jsonl.body).not.toContain(token);
  });
});

describe('the pages in an admin’s own browser session', () => {
  it('change a role with the session’s CSRF token, show the notice after the redirect, and refuse a form without it', async () => {
    const admin = await s.runtime.store.users.find('admin@example.com');
    await s.runtime.store.users.setPassword(admin.id, await hashPassword('a long enough password'));
    const signedIn = await passwordLogin(s.app, 'admin@example.com', 'a long enough password');
    expect(signedIn.statusCode).toBe(303);
    const cookie = [...setCookies(signedIn).values()].map((c) => `${c.raw.split(';')[0]}`).join('; ');
    const page = await s.app.inject({ method: 'GET', url: '/users', headers: { cookie } });
    expect(page.statusCode).toBe(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
    expect(csrf).toBeTruthy();
    const viewer = await s.runtime.store.users.find('viewer@example.com');
    const form = (fields: Record<string, string>) => ({
      method: 'POST' as const,
      url: `/users/${viewer.id}/role`,
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(fields).toString(),
    });
    const forged = await s.app.inject(form({ role: 'admin' }));
    expect(forged.statusCode).toBe(403);
    expect((await s.runtime.store.users.find(viewer.id)).role).toBe('viewer');
    const changed = await s.app.inject(form({ role: 'editor', _csrf: csrf! }));
    expect(changed.statusCode).toBe(303);
    const after = await s.app.inject({ method: 'GET', url: '/users', headers: { cookie } });
    expect(after.body).toContain('viewer@example.com is now an editor.');
    await s.runtime.store.users.setRole(viewer.id, 'viewer');
  });
});
