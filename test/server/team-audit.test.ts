import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { requirementOf } from '../../src/server/permissions.js';
import type { AuditEntry } from '../../src/store/audit.js';
import { createToken } from '../../src/store/team/tokens.js';
import { startSmallSim } from '../credentials/helpers.js';
import { keyHeaders, type TestServer, testServer } from './helpers.js';

/**
 * The audit log after a scripted session: a credential added and checked (uses of a Bugsnag token), a change by a
 * user's token, a refusal — each one entry, naming who, the route and the fields, and holding no secret. GET /api/audit
 * pages through it, for admins only; the log refuses to be rewritten.
 */

let sim: Simulator;
let s: TestServer;
const secrets: string[] = [];
let editor: string;
let admin: string;

beforeAll(async () => {
  sim = await startSmallSim();
  s = await testServer({ verify: { logger: false, timeoutMs: 5000 } });
  const store = s.runtime.store;
  await store.users.add({ email: 'ada@example.com', role: 'admin', invitation_sha256: 'x' });
  await store.users.add({ email: 'ed@example.com', role: 'editor', invitation_sha256: 'y' });
  admin = (await createToken(store, { user: 'ada@example.com', scope: 'admin' }, Date.now())).token;
  editor = (await createToken(store, { user: 'ed@example.com', scope: 'write' }, Date.now())).token;
  secrets.push(admin, editor, s.apiKey);
});
afterAll(async () => {
  await s.cleanup();
  await sim.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function audit(token = admin, query = ''): Promise<{ entries: AuditEntry[]; next_before: number | null }> {
  const res = await s.app.inject({ method: 'GET', url: `/api/audit${query}`, headers: bearer(token) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

describe('the audit log', () => {
  it('holds exactly the expected entries after a scripted session, and no secret', async () => {
    const bugsnagToken = sim.tokens.find((t) => t.role === 'admin')!.token;
    secrets.push(bugsnagToken);
    const created = await s.app.inject({
      method: 'POST',
      url: '/api/data_credentials',
      headers: keyHeaders(),
      payload: { name: 'prod', credentials: { auth_token: bugsnagToken, host: sim.url } },
    });
    expect(created.statusCode, created.body).toBe(201);
    const credId = created.json().id as string;
    const probe = await s.app.inject({
      method: 'POST',
      url: `/api/data_credentials/${credId}/probe`,
      headers: keyHeaders(),
    });
    expect(probe.statusCode, probe.body).toBe(200);
    // Reads are not changes: no entry.
    expect((await s.app.inject({ method: 'GET', url: '/api/data_sources', headers: bearer(editor) })).statusCode).toBe(
      200,
    );
    // An editor may not add a credential: a refusal, recorded with the permission missing.
    const refused = await s.app.inject({
      method: 'POST',
      url: '/api/data_credentials',
      headers: bearer(editor),
      payload: { name: 'mine', credentials: { auth_token: 'a-secret-the-editor-typed', host: sim.url } },
    });
    expect(refused.statusCode).toBe(403);
    secrets.push('a-secret-the-editor-typed');
    // A change by the editor's token: who, the route, the fields by name.
    const change = await s.app.inject({
      method: 'POST',
      url: '/api/tokens',
      headers: bearer(admin),
      payload: { user: 'ed@example.com', scope: 'read' },
    });
    expect(change.statusCode).toBe(201);
    secrets.push(change.json().token);

    const { entries } = await audit();
    const summary = entries
      .map(
        (e) => `${e.actor} ${e.kind} ${e.method} ${e.route} ${e.fields.join(',')} ${e.outcome} ${e.permission ?? '-'}`,
      )
      .reverse();
    expect(summary).toEqual([
      'server key credential POST /api/data_credentials credentials,name ok -',
      'server key credential POST /api/data_credentials/:id/probe  ok -',
      'ed@example.com refused POST /api/data_credentials credentials,name refused credentials:write',
      'ada@example.com change POST /api/tokens scope,user ok -',
    ]);
    expect(entries.find((e) => e.route.endsWith('/probe'))?.resource_id).toBe(credId);
    const everything = JSON.stringify(entries) + s.logs.join('');
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });

  it('pages newest first, filters by actor, and is for admins only', async () => {
    const first = await audit(admin, '?limit=2');
    expect(first.entries).toHaveLength(2);
    expect(first.next_before).toBe(first.entries[1]!.id);
    const rest = await audit(admin, `?limit=50&before=${first.next_before}`);
    expect(rest.entries.every((e) => e.id < first.next_before!)).toBe(true);
    expect(rest.next_before).toBeNull();
    const mine = await audit(admin, '?actor=ed@example.com');
    expect(mine.entries.map((e) => e.actor)).toEqual(['ed@example.com']);

    const denied = await s.app.inject({ method: 'GET', url: '/api/audit', headers: bearer(editor) });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().message).toContain('audit:read');
    // The refusal to read the log is itself in it.
    expect((await audit()).entries[0]).toMatchObject({ actor: 'ed@example.com', route: '/api/audit', kind: 'refused' });
  });

  it('cannot be rewritten', async () => {
    const db = (s.runtime.store as unknown as { users: { db: { exec(sql: string): void } } }).users.db;
    expect(() => db.exec('DELETE FROM audit_log')).toThrow(/append-only/);
    expect(() => db.exec("UPDATE audit_log SET actor = 'nobody'")).toThrow(/append-only/);
  });
  it('holds one entry for each call of every route that changes something', async () => {
    const changing = s.app.snag.routes.filter(
      (r) => !['GET', 'HEAD', 'OPTIONS'].includes(r.method) && requirementOf(r.method, r.url, undefined) !== 'public',
    );
    expect(changing.length).toBeGreaterThan(40);
    const before = (await audit(admin, '?limit=1')).entries[0]!.id;
    for (const r of changing) {
      // Unknown ids: each call is refused or fails, and is recorded all the same.
      const url = r.url.replace(/:[a-z_]+/g, 'zz_none');
      await s.app.inject({ method: r.method as 'POST', url, headers: bearer(admin), payload: { name: 'x' } });
    }
    const entries = (await audit(admin, '?limit=500')).entries.filter((e) => e.id > before).reverse();
    expect(entries.map((e) => `${e.method} ${e.route}`)).toEqual(changing.map((r) => `${r.method} ${r.url}`));
  });
});
