import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { ANCHOR, api, start, type Api } from './helpers.js';

/** Error workflow writes and comments: real answers, and visible in later reads. */
type Row = Record<string, unknown>;

let sim: Simulator;
let admin: Api;
let member: Api;
let project: string;
let errorIds: string[];

beforeAll(async () => {
  sim = await start({ seed: 61, anchor: ANCHOR, events: 600, errors: 30 });
  admin = api(sim, sim.tokens[0]!.token);
  member = api(sim, sim.tokens[1]!.token);
  project = sim.info().organizations[0]!.projects[0]!.id;
  errorIds = (await admin.get<Row[]>(`/projects/${project}/errors?per_page=100`)).body.map((e) => String(e.id));
});
afterAll(() => sim.close());

const patch = (c: Api, e: string, body: unknown) => c.send<Row>('PATCH', `/projects/${project}/errors/${e}`, body);
const get = async (e: string) => (await admin.get<Row>(`/projects/${project}/errors/${e}`)).body;

describe('single error PATCH', () => {
  it('status operations change the status and show up in reads and filters', async () => {
    const e = errorIds[0]!;
    for (const [operation, status] of [
      ['fix', 'fixed'],
      ['ignore', 'ignored'],
      ['open', 'open'],
    ] as const) {
      const r = await patch(admin, e, { operation });
      expect(r.status).toBe(200);
      expect(r.body.status).toBe(status);
      expect((await get(e)).status).toBe(status);
      const filtered = await admin.get<Row[]>(
        `/projects/${project}/errors?per_page=100&filters[error.status][][type]=eq&filters[error.status][][value]=${encodeURIComponent(status)}`,
      );
      expect(filtered.body.map((x) => x.id)).toContain(e);
    }
  });

  it('snooze takes reopen rules', async () => {
    const e = errorIds[1]!;
    const r = await patch(admin, e, {
      operation: 'snooze',
      reopen_rules: { reopen_if: 'n_additional_occurrences', additional_occurrences: 10 },
    });
    expect(r.body.status).toBe('snoozed');
    expect(r.body.reopen_rules).toMatchObject({ reopen_if: 'n_additional_occurrences', additional_occurrences: 10 });
    expect((await patch(admin, e, { operation: 'snooze' })).status).toBe(400);
    const after = await patch(admin, e, {
      operation: 'snooze',
      reopen_rules: { reopen_if: 'occurs_after', seconds: 3600 },
    });
    expect(after.body.reopen_rules).toMatchObject({ reopen_if: 'occurs_after', seconds: 3600 });
  });

  it('override_severity, assign (collaborator, team, unknown), issues', async () => {
    const e = errorIds[2]!;
    const before = await get(e);
    const other = ['info', 'warning', 'error'].find((s) => s !== before.original_severity)!;
    const sev = await patch(admin, e, { operation: 'override_severity', severity: other });
    expect(sev.body).toMatchObject({
      severity: other,
      overridden_severity: other,
      original_severity: before.original_severity,
    });
    expect((await patch(admin, e, { operation: 'override_severity', severity: 'loud' })).status).toBe(400);

    const collaborator = (await admin.get<Row[]>(`/projects/${project}/collaborators`)).body[0]!.id as string;
    expect(
      (await patch(admin, e, { operation: 'assign', assigned_collaborator_id: collaborator })).body
        .assigned_collaborator_id,
    ).toBe(collaborator);
    const team = (await admin.get<Row[]>(`/organizations/${sim.tokens[0]!.organizations[0]}/teams`)).body[0]!
      .id as string;
    const byTeam = await patch(admin, e, { operation: 'assign', assigned_team_id: team });
    expect(byTeam.body).toMatchObject({ assigned_team_id: team, assigned_collaborator_id: null });
    expect(
      (await patch(admin, e, { operation: 'assign', assigned_collaborator_id: '000000000000000000000000' })).body,
    ).toEqual({ errors: ['User not found'] });

    const created = await patch(admin, e, { operation: 'create_issue', issue_title: 'Broken' });
    expect(created.body.created_issue).toMatchObject({ type: 'jira' });
    const linked = await patch(admin, e, {
      operation: 'link_issue',
      issue_url: 'https://issues.example.com/browse/ABC-9',
    });
    expect((linked.body.linked_issues as Row[]).map((i) => i.url)).toContain('https://issues.example.com/browse/ABC-9');
    const hasIssue = await admin.get<Row[]>(
      `/projects/${project}/errors?per_page=100&filters[error.has_issue][][type]=eq&filters[error.has_issue][][value]=true`,
    );
    expect(hasIssue.body.map((x) => x.id)).toContain(e);
    const unlinked = await patch(admin, e, { operation: 'unlink_issue' });
    expect(unlinked.body).toMatchObject({ linked_issues: [], created_issue: {} });
  });

  it('discard answers 204, undiscard 200', async () => {
    const e = errorIds[3]!;
    const r = await patch(admin, e, { operation: 'discard' });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect((await get(e)).discarded).toBe(true);
    expect((await patch(admin, e, { operation: 'undiscard' })).body.discarded).toBe(false);
  });

  it('delete answers 204, then the error and its events are gone', async () => {
    const e = errorIds[4]!;
    const count = Number((await get(e)).events);
    const totalBefore = Number((await admin.get(`/projects/${project}/events`)).headers.get('x-total-count'));
    const eventId = (await admin.get<Row[]>(`/projects/${project}/errors/${e}/events?per_page=1`)).body[0]!
      .id as string;
    expect((await patch(admin, e, { operation: 'delete' })).status).toBe(204);
    expect((await admin.get(`/projects/${project}/errors/${e}`)).body).toEqual({ errors: ['Error not found'] });
    expect((await admin.get<Row[]>(`/projects/${project}/errors?per_page=100`)).body.map((x) => x.id)).not.toContain(e);
    expect(Number((await admin.get(`/projects/${project}/events`)).headers.get('x-total-count'))).toBe(
      totalBefore - count,
    );
    expect((await admin.get(`/projects/${project}/events/${eventId}`)).status).toBe(404);
    expect((await admin.send('DELETE', `/projects/${project}/errors/${errorIds[5]}`)).status).toBe(204);
  });

  it('refuses owner-only operations to a plain project member with code 40000, allows the rest', async () => {
    const e = errorIds[6]!;
    const r = await patch(member, e, { operation: 'delete' });
    expect(r.status).toBe(403);
    expect(r.body).toEqual({ code: 40000, errors: ['Insufficient Project Role for performing requested action'] });
    expect((await patch(member, e, { operation: 'fix' })).status).toBe(200);
  });

  it('rejects unknown operations and malformed JSON with 400', async () => {
    expect((await patch(admin, errorIds[7]!, { operation: 'explode' })).status).toBe(400);
    const r = await fetch(`${sim.url}/projects/${project}/errors/${errorIds[7]}`, {
      method: 'PATCH',
      headers: { Authorization: `token ${sim.tokens[0]!.token}`, 'Content-Type': 'application/json' },
      body: '{"operation":',
    });
    expect(r.status).toBe(400);
  });
});

describe('bulk PATCH', () => {
  it('answers an object keyed by error id plus the operation', async () => {
    const [a, b] = [errorIds[8]!, errorIds[9]!];
    const r = await admin.send<Row>('PATCH', `/projects/${project}/errors?error_ids[]=${a}&error_ids[]=${b}`, {
      operation: 'fix',
    });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual([a, b, 'operation'].sort());
    expect(r.body.operation).toBe('fix');
    for (const id of [a, b]) {
      // The recorded shape: {"assigned_collaborator_id":null,"created_issue":{},"reopen_rules":null,"status":"fixed"}.
      expect(Object.keys(r.body[id] as Row).sort()).toEqual([
        'assigned_collaborator_id',
        'created_issue',
        'reopen_rules',
        'status',
      ]);
      expect(r.body[id]).toMatchObject({ created_issue: {}, reopen_rules: null, status: 'fixed' });
    }
    expect((await get(a)).status).toBe('fixed');
  });

  it('accepts one unbracketed id (as the Ruby client sends), refuses missing and unknown ids', async () => {
    const r = await admin.send<Row>('PATCH', `/projects/${project}/errors?error_ids=${errorIds[10]}`, {
      operation: 'ignore',
    });
    expect(Object.keys(r.body).sort()).toEqual([errorIds[10]!, 'operation'].sort());
    expect((await admin.send('PATCH', `/projects/${project}/errors`, { operation: 'fix' })).status).toBe(400);
    expect(
      (
        await admin.send('PATCH', `/projects/${project}/errors?error_ids[]=000000000000000000000000`, {
          operation: 'fix',
        })
      ).status,
    ).toBe(404);
  });
});

describe('comments', () => {
  it('creates a comment (201, Location), counts it and lists it; the single view names the author `user`', async () => {
    const e = errorIds[11]!;
    const before = Number((await get(e)).comment_count);
    const r = await admin.send<Row>('POST', `/projects/${project}/errors/${e}/comments`, {
      message: 'Looking into it',
    });
    expect(r.status).toBe(201);
    expect(r.headers.get('location')).toBe(`${sim.url}/comments/${String(r.body.id)}`);
    expect(r.body).toMatchObject({ message: 'Looking into it', collaborator: { id: sim.tokens[0]!.user_id } });
    expect(Number((await get(e)).comment_count)).toBe(before + 1);
    const list = await admin.get<Row[]>(`/projects/${project}/errors/${e}/comments`);
    expect(list.body.map((c) => c.id)).toContain(r.body.id);
    expect(list.headers.get('x-total-count')).toBe(String(before + 1));
    const single = await admin.get<Row>(`/comments/${String(r.body.id)}`);
    expect(single.body).toMatchObject({
      id: r.body.id,
      message: 'Looking into it',
      user: { id: sim.tokens[0]!.user_id },
    });
    expect((await admin.send('POST', `/projects/${project}/errors/${e}/comments`, { message: '' })).status).toBe(400);
  });
});
