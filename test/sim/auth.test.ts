import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { ANCHOR, api, start } from './helpers.js';

/** Authentication and access: 401 for bad credentials, 403 only for org-admin-only lists, 404 for what a token cannot reach. */
type Row = Record<string, unknown>;

let sim: Simulator;
const token = (role: string) => sim.tokens.find((t) => t.role === role)!;

beforeAll(async () => {
  sim = await start({ seed: 21, anchor: ANCHOR, events: 200 });
});
afterAll(() => sim.close());

describe('401', () => {
  it('without a token, with an unknown token, with Bearer, and with a project notifier API key', async () => {
    const projects = sim.info().organizations[0]!.projects;
    expect(sim.fixtures.projectApiKey).toMatch(/^[0-9a-f]{32}$/);
    expect(projects.map((p) => p.api_key)).toContain(sim.fixtures.projectApiKey);
    const attempts: Array<Record<string, string>> = [
      {},
      { Authorization: 'token 00000000-0000-4000-a000-000000000000' },
      { Authorization: `Bearer ${token('admin').token}` },
      { Authorization: `token ${sim.fixtures.projectApiKey}` },
    ];
    for (const headers of attempts) {
      const r = await fetch(`${sim.url}/user/organizations`, { headers: { 'X-Version': '2', ...headers } });
      expect(r.status).toBe(401);
      expect(((await r.json()) as { errors: string[] }).errors[0]).toMatch(/authentication/i);
      expect(r.headers.get('x-ratelimit-limit')).toBeNull();
    }
  });

  it('for a revoked token until it is restored', async () => {
    const t = token('member').token;
    sim.revokeToken(t);
    expect((await api(sim, t).get('/user/organizations')).status).toBe(401);
    sim.restoreToken(t);
    expect((await api(sim, t).get('/user/organizations')).status).toBe(200);
  });

  it('accepts ?auth_token= and the token scheme in any case', async () => {
    const t = token('admin').token;
    expect((await fetch(`${sim.url}/user/organizations?auth_token=${t}`)).status).toBe(200);
    expect((await fetch(`${sim.url}/user/organizations`, { headers: { Authorization: `TOKEN ${t}` } })).status).toBe(
      200,
    );
  });
});

describe('what each token reaches', () => {
  it('lists its organizations: one for the admin and the member, two for the multi-org token', async () => {
    for (const role of ['admin', 'member', 'multi-org']) {
      const t = token(role);
      const r = await api(sim, t.token).get<Row[]>('/user/organizations');
      expect(r.status).toBe(200);
      expect(r.body.map((o) => o.id).sort()).toEqual([...t.organizations].sort());
      expect(r.headers.get('x-total-count')).toBeNull();
    }
    expect(token('multi-org').organizations.length).toBe(2);
    expect(
      (await api(sim, token('multi-org').token).get<Row[]>('/user/organizations?admin=true')).body.map((o) => o.id),
    ).toEqual(token('multi-org').admin_organizations);
  });

  it('answers 404 (never 403) for organizations, projects and records a token cannot reach', async () => {
    const member = api(sim, token('member').token);
    const admin = api(sim, token('admin').token);
    const otherOrg = token('multi-org').organizations.find((o) => !token('admin').organizations.includes(o))!;
    const hidden = sim.fixtures.projectHiddenFromMember!;
    expect((await admin.get(`/organizations/${otherOrg}`)).body).toEqual({ errors: ['Organization not found'] });
    expect((await admin.get(`/organizations/${otherOrg}/projects`)).status).toBe(404);
    expect((await member.get(`/projects/${hidden}`)).body).toEqual({ errors: ['Project not found'] });
    expect((await member.get(`/projects/${hidden}/events`)).status).toBe(404);
    expect((await admin.get(`/projects/${hidden}`)).status).toBe(200);
    // Ids that resolve to the hidden project's records are hidden too.
    const err = (await admin.get<Row[]>(`/projects/${hidden}/errors?per_page=1`)).body[0]!;
    expect((await member.get(`/errors/${String(err.id)}/latest_event`)).body).toEqual({ errors: ['Error not found'] });
    const ev = (await admin.get<Row[]>(`/projects/${hidden}/events?per_page=1`)).body[0]!;
    expect((await member.get(`/events/${String(ev.id)}`)).status).toBe(404);
    // The member's organization project list leaves it out.
    const listed = (await member.get<Row[]>(`/organizations/${token('member').organizations[0]}/projects`)).body.map(
      (p) => p.id,
    );
    expect(listed).not.toContain(hidden);
    // Made-up and malformed ids.
    expect((await admin.get('/projects/5f0000000000000000000000')).body).toEqual({ errors: ['Project not found'] });
    expect((await admin.get('/projects/not-an-id/errors')).status).toBe(404);
  });

  it("answers 403 with Bugsnag's message on org-admin-only lists for a plain member", async () => {
    const member = api(sim, token('member').token);
    const org = token('member').organizations[0]!;
    for (const path of [`/organizations/${org}/collaborators`, `/organizations/${org}/teams`]) {
      const r = await member.get(path);
      expect(r.status).toBe(403);
      expect(r.body).toEqual({ errors: ['Organization Administrator role required'] });
    }
    expect((await member.get(`/projects/${sim.info().organizations[0]!.projects[0]!.id}/collaborators`)).status).toBe(
      200,
    );
    expect((await api(sim, token('admin').token).get(`/organizations/${org}/teams`)).status).toBe(200);
  });

  it('answers 403 for saved searches where the plan lacks the feature', async () => {
    const multi = api(sim, token('multi-org').token);
    const org = sim.fixtures.orgWithoutSavedSearches!;
    const p = (await multi.get<Row[]>(`/organizations/${org}/projects`)).body[0]!;
    const r = await multi.get(`/projects/${String(p.id)}/saved_searches`);
    expect(r.status).toBe(403);
    expect(r.body).toEqual({ errors: ['Account requires the performance-comparisons feature'] });
  });
});

describe('routing', () => {
  it("answers unrouted paths with Rails' 404 envelope, even without a token", async () => {
    for (const headers of [{}, { Authorization: `token ${token('admin').token}` }] as Array<Record<string, string>>) {
      const r = await fetch(`${sim.url}/no/such/path`, { headers });
      expect(r.status).toBe(404);
      expect(await r.json()).toEqual({ status: 404, error: 'Not Found' });
    }
  });

  it('answers the API root like the recording', async () => {
    expect((await api(sim).get('/')).body).toEqual({ organizations_url: `${sim.url}/user/organizations` });
  });

  it('serves v2 without X-Version but counts those requests', async () => {
    sim.resetStats();
    const r = await fetch(`${sim.url}/user/organizations`, {
      headers: { Authorization: `token ${token('admin').token}` },
    });
    expect(r.status).toBe(200);
    await fetch(`${sim.url}/user/organizations`, {
      headers: { Authorization: `token ${token('admin').token}`, Accept: 'application/json; version=2' },
    });
    expect(sim.stats().withoutVersion).toBe(1);
  });
});
