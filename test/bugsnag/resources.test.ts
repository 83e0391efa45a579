import { describe, expect, it } from 'vitest';
import { SnagError } from '../../src/core/errors.js';
import { StabilityTrend } from '../../src/bugsnag/models/trend.js';
import type { ErrorUpdate } from '../../src/bugsnag/models/error-update.js';
import { API, harness } from '../http/helpers/client.js';
import { ok, type Step } from '../http/helpers/scripted.js';

const P = 'p1';
const E = 'e1';

describe('read endpoints: exact requests', () => {
  it('every read method asks for the right path and query', async () => {
    const steps: Step[] = [
      ok({ id: 'o1' }), // organizations.get
      ok({ id: P }), // projects.get
      ok([]), // projects.list with options
      ok([]), // projects.listForCollaborator
      ok({ id: E }), // errors.get with filters
      ok({ id: 'ev1' }), // events.get
      ok({ id: 'ev1' }), // events.latest
      ok({ id: 'r1' }), // releases.get
      ok([]), // releases.list with options
      ok([]), // releaseGroups.list
      ok({ id: 'g1' }), // releaseGroups.get
      ok([]), // collaborators.listForProject
      ok({ id: 'c1' }), // collaborators.getForOrganization
      ok({ id: 'c1' }), // collaborators.getForProject
      ok({ id: 't1' }), // teams.get
      ok([]), // comments.list
      ok({ id: 'cm1' }), // comments.get
      ok([{ display_id: 'event.since' }]), // eventFields
      ok([{ display_id: 'span.name' }]), // traceFields
      ok([{ event_field_display_id: 'user.email' }]), // pivots.list
      ok([{ id: 's1' }]), // savedSearches.list
      ok({ id: 's1' }), // savedSearches.get
      ok({ project_notifications_count: 1 }), // usageSummary
      ok([{ key: 'jira' }]), // integrations
      ok([]), // organizations.list admin
    ];
    const h = harness(steps);
    const c = h.client;
    await c.organizations.get('o1');
    await c.projects.get(P);
    await c.projects.list('o1', { q: 'shop', sort: 'name', direction: 'asc' }).all();
    await c.projects.listForCollaborator('o1', 'c1').all();
    await c.errors.get(P, E, { filters: { 'app.release_stage': 'production' } });
    await c.events.get(P, 'ev1');
    await c.events.latest(E);
    await c.releases.get(P, 'r1');
    await c.releases
      .list(P, { releaseStage: 'production', base: '2021-07-21T12:00:00+00:00', sort: 'percent_of_sessions' })
      .all();
    await c.releaseGroups.list(P, { releaseStageName: 'production', topOnly: true, visibleOnly: true }).all();
    await c.releaseGroups.get('g1');
    await c.collaborators.listForProject(P).all();
    await c.collaborators.getForOrganization('o1', 'c1');
    await c.collaborators.getForProject(P, 'c1');
    await c.teams.get('o1', 't1');
    await c.comments.list(P, E, { sort: 'created_at', direction: 'asc' }).all();
    await c.comments.get('cm1');
    await c.eventFields.list(P).all();
    await c.traceFields.list(P).all();
    await c.pivots
      .list(P, { summarySize: 5, pivots: ['user.email', 'app.release_stage'], filters: { 'event.since': '7d' } })
      .all();
    await c.savedSearches.list(P, { shared: true }).all();
    await c.savedSearches.get('s1');
    await c.savedSearches.usageSummary('s1');
    await c.integrations.supported().all();
    await c.organizations.list({ admin: true }).all();
    expect(h.script.lines().map((l) => decodeURIComponent(l.replace(`GET ${API}`, '')))).toEqual([
      '/organizations/o1',
      `/projects/${P}`,
      '/organizations/o1/projects?q=shop&sort=name&direction=asc&per_page=100',
      '/organizations/o1/collaborators/c1/projects?per_page=100',
      `/projects/${P}/errors/${E}?filters[app.release_stage][][type]=eq&filters[app.release_stage][][value]=production`,
      `/projects/${P}/events/ev1`,
      `/errors/${E}/latest_event`,
      `/projects/${P}/releases/r1`,
      `/projects/${P}/releases?release_stage=production&base=2021-07-21T12:00:00Z&sort=percent_of_sessions&per_page=10`,
      `/projects/${P}/release_groups?release_stage_name=production&top_only=true&visible_only=true&per_page=100`,
      '/release_groups/g1',
      `/projects/${P}/collaborators?per_page=100`,
      '/organizations/o1/collaborators/c1',
      `/projects/${P}/collaborators/c1`,
      '/organizations/o1/teams/t1',
      `/projects/${P}/errors/${E}/comments?sort=created_at&direction=asc&per_page=30`,
      '/comments/cm1',
      `/projects/${P}/event_fields`,
      `/projects/${P}/trace_fields`,
      `/projects/${P}/pivots?summary_size=5&pivots[]=user.email&pivots[]=app.release_stage&filters[event.since][][type]=eq&filters[event.since][][value]=7d`,
      `/projects/${P}/saved_searches?shared=true`,
      '/saved_searches/s1',
      '/saved_searches/s1/usage_summary',
      '/integrations',
      '/user/organizations?admin=true&per_page=100',
    ]);
    expect(h.script.calls.every((call) => call.method === 'GET')).toBe(true);
  });

  it('full_reports is a query parameter, never a header', async () => {
    const h = harness([ok([]), ok([]), ok([])]);
    await h.client.events.list(P, { fullReports: true }).all();
    await h.client.events
      .listForError(P, E, { fullReports: true, since: '24h', before: '2024-01-02T00:00:00Z', direction: 'asc' })
      .all();
    await h.client.events.list(P, { fullReports: false }).all();
    expect(h.script.lines().map((l) => decodeURIComponent(l.replace(`GET ${API}`, '')))).toEqual([
      `/projects/${P}/events?per_page=30&full_reports=true`,
      `/projects/${P}/errors/${E}/events?direction=asc&per_page=30&full_reports=true` +
        '&filters[event.since][][type]=eq&filters[event.since][][value]=24h' +
        '&filters[event.before][][type]=eq&filters[event.before][][value]=2024-01-02T00:00:00Z',
      `/projects/${P}/events?per_page=30`,
    ]);
    for (const call of h.script.calls) {
      expect(Object.keys(call.headers).map((k) => k.toLowerCase())).not.toContain('full_reports');
    }
  });

  it('errors list takes base, sort, histogram and time shorthands', async () => {
    const h = harness([ok([])]);
    await h.client.errors
      .list(P, { base: new Date('2024-05-01T10:00:00.500Z'), sort: 'last_seen', histogram: 'two_week', since: '7d' })
      .all();
    expect(decodeURIComponent(h.script.lines()[0]!)).toBe(
      `GET ${API}/projects/${P}/errors?base=2024-05-01T10:00:00Z&sort=last_seen&per_page=100&histogram=two_week` +
        '&filters[event.since][][type]=eq&filters[event.since][][value]=7d',
    );
  });

  it('promise-returning methods reject (not throw) on a bad id', async () => {
    const h = harness([]);
    const p = h.client.projects.get('a/b');
    await expect(p).rejects.toMatchObject({ code: 'config', message: '"a/b" is not a valid project id.' });
    await expect(h.client.events.latest('')).rejects.toMatchObject({ code: 'config' });
    expect(h.script.calls).toHaveLength(0);
  });

  it('refuses a time given twice, a bad base, and release groups without a stage, before any request', () => {
    const h = harness([]);
    expect(() => h.client.errors.list(P, { since: '7d', filters: { 'event.since': '1d' } })).toThrow(SnagError);
    expect(() => h.client.errors.list(P, { base: 'last tuesday' })).toThrow(/not a valid time for base/);
    expect(() => h.client.releaseGroups.list(P, { releaseStageName: ' ' })).toThrow(/release stage name/);
    expect(h.script.calls).toHaveLength(0);
  });
});

describe('trends', () => {
  const buckets = [{ from: '2017-12-12T10:58:49Z', to: '2017-12-12T11:10:12Z', events_count: 475 }];

  it('tries /trends, falls back to /trend on 404, and remembers which worked', async () => {
    const h = harness([{ status: 404, body: { status: 404, error: 'Not Found' } }, ok(buckets), ok(buckets)]);
    const rows = await h.client.trends.forProject(P, { bucketsCount: 5 });
    expect(rows, 'as the API sent them').toEqual(buckets);
    expect(h.client.trends.pathInUse).toBe('trend');
    await h.client.trends.forError(P, E, { resolution: '12h' });
    expect(h.script.lines()).toEqual([
      `GET ${API}/projects/${P}/trends?buckets_count=5`,
      `GET ${API}/projects/${P}/trend?buckets_count=5`,
      `GET ${API}/projects/${P}/errors/${E}/trend?resolution=12h`,
    ]);
  });

  it('keeps /trends when it answers', async () => {
    const h = harness([ok(buckets), ok(buckets)]);
    await h.client.trends.forProject(P, { resolution: '1m', filters: { 'event.since': '24h' } });
    await h.client.trends.forProject(P, { resolution: '1m' });
    expect(h.client.trends.pathInUse).toBe('trends');
    expect(h.script.lines().map((l) => new URL(l.split(' ')[1]!).pathname)).toEqual([
      `/projects/${P}/trends`,
      `/projects/${P}/trends`,
    ]);
  });

  it('does not fall back on other errors', async () => {
    const h = harness([{ status: 400, body: { errors: ['Buckets count must be between 1 and 50'] } }]);
    await expect(h.client.trends.forProject(P, { bucketsCount: 5 })).rejects.toMatchObject({ code: 'validation' });
    expect(h.script.calls).toHaveLength(1);
  });

  it('needs exactly one of bucketsCount and resolution, within range', async () => {
    const h = harness([]);
    for (const bad of [
      {},
      { bucketsCount: 0 },
      { bucketsCount: 51 },
      { resolution: '3h' },
      { bucketsCount: 5, resolution: '1m' },
    ]) {
      await expect(h.client.trends.forProject(P, bad as never)).rejects.toMatchObject({ code: 'config' });
    }
    expect(h.script.calls).toHaveLength(0);
  });
});

describe('stability trend', () => {
  it('returns the trend as sent, with bucket times normalised on request', async () => {
    const h = harness([
      ok({
        project_id: P,
        release_stage_name: 'production',
        timeline_points: [
          { bucket_start: '2021-06-21T00:00:00+00:00', bucket_end: '2021-06-22T00:00:00Z', total_sessions_count: 3 },
        ],
      }),
    ]);
    const t = await h.client.stability.trend(P);
    expect(t?.timeline_points?.[0]?.bucket_start).toBe('2021-06-21T00:00:00+00:00');
    expect(StabilityTrend.normalize(t!).timeline_points?.[0]).toMatchObject({
      bucket_start: '2021-06-21T00:00:00.000Z',
      bucket_end: '2021-06-22T00:00:00.000Z',
    });
    expect(h.script.lines()).toEqual([`GET ${API}/projects/${P}/stability_trend`]);
  });

  it('204 (no sessions) → null', async () => {
    const h = harness([{ status: 204 }]);
    expect(await h.client.stability.trend(P)).toBeNull();
  });

  it('404 "does not have a primary release stage" → null', async () => {
    const h = harness([{ status: 404, body: { errors: ['This project does not have a primary release stage'] } }]);
    expect(await h.client.stability.trend(P)).toBeNull();
  });

  it('other 404s still fail', async () => {
    const h = harness([{ status: 404, body: { errors: ['Project not found'] } }]);
    await expect(h.client.stability.trend(P)).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('writes', () => {
  const ops: Array<[ErrorUpdate, number]> = [
    [{ operation: 'override_severity', severity: 'info' }, 200],
    [{ operation: 'assign', assigned_collaborator_id: 'c1' }, 200],
    [{ operation: 'assign', assigned_team_id: 't1' }, 200],
    [{ operation: 'assign', assigned_collaborator_id: null }, 200],
    [{ operation: 'create_issue', issue_title: 'Crash on start', notification_id: 'n1' }, 200],
    [{ operation: 'link_issue', issue_url: 'https://jira.example.com/browse/X-1', verify_issue_url: false }, 200],
    [{ operation: 'unlink_issue' }, 200],
    [{ operation: 'open' }, 200],
    [{ operation: 'snooze', reopen_rules: { reopen_if: 'occurs_after', seconds: 3600 } }, 200],
    [{ operation: 'snooze', reopen_rules: { reopen_if: 'n_occurrences_in_m_hours', occurrences: 10, hours: 2 } }, 200],
    [{ operation: 'snooze', reopen_rules: { reopen_if: 'n_additional_occurrences', additional_occurrences: 5 } }, 200],
    [{ operation: 'snooze', reopen_rules: { reopen_if: 'n_additional_users', additional_users: 50 } }, 200],
    [{ operation: 'fix' }, 200],
    [{ operation: 'ignore' }, 200],
    [{ operation: 'delete' }, 204],
    [{ operation: 'discard' }, 204],
    [{ operation: 'undiscard' }, 200],
  ];

  it.each(ops)('PATCH %j', async (update, status) => {
    const h = harness([
      status === 204 ? { status: 204 } : ok({ id: E, status: 'fixed', last_seen: '2017-12-12T10:58:55.000Z' }),
    ]);
    const result = await h.client.errors.update(P, E, update);
    if (status === 204) expect(result).toBeNull();
    else expect(result).toMatchObject({ id: E });
    const [call] = h.script.calls;
    expect(`${call!.method} ${call!.url}`).toBe(`PATCH ${API}/projects/${P}/errors/${E}`);
    expect(JSON.parse(call!.body!)).toEqual(update);
    expect(call!.headers['Content-Type']).toBe('application/json');
  });

  it('bulk PATCH puts the ids in error_ids[] and the operation in the body', async () => {
    const h = harness([ok({ operation: 'fix', e1: { status: 'fixed' }, e2: { status: 'fixed' } })]);
    const result = await h.client.errors.bulkUpdate(P, ['e1', 'e2'], { operation: 'fix' });
    expect(result).toEqual({ operation: 'fix', e1: { status: 'fixed' }, e2: { status: 'fixed' } });
    expect(decodeURIComponent(h.script.lines()[0]!)).toBe(
      `PATCH ${API}/projects/${P}/errors?error_ids[]=e1&error_ids[]=e2`,
    );
    expect(h.script.calls[0]!.body).toBe('{"operation":"fix"}');
  });

  it('validates an update before sending it', async () => {
    const h = harness([]);
    const bad: unknown[] = [
      { operation: 'fixx' },
      { operation: 'override_severity', severity: 'fatal' },
      { operation: 'snooze' },
      { operation: 'snooze', reopen_rules: { reopen_if: 'occurs_after' } },
      { operation: 'assign', assigned_collaborator_id: 'c1', assigned_team_id: 't1' },
      { operation: 'link_issue', issue_url: 'not a url' },
      { operation: 'fix', severity: 'info' },
    ];
    for (const u of bad) {
      await expect(h.client.errors.update(P, E, u as ErrorUpdate)).rejects.toMatchObject({ code: 'config' });
    }
    await expect(h.client.errors.bulkUpdate(P, [], { operation: 'fix' })).rejects.toThrow(/at least one error id/);
    expect(h.script.calls).toHaveLength(0);
  });

  it('creates a comment', async () => {
    const h = harness([
      { status: 201, body: { id: 'cm1', message: 'Looking into it', created_at: '2017-12-12T11:55:08.000Z' } },
    ]);
    const c = await h.client.comments.create(P, E, 'Looking into it');
    expect(c).toMatchObject({ id: 'cm1', message: 'Looking into it' });
    expect(h.script.lines()).toEqual([`POST ${API}/projects/${P}/errors/${E}/comments`]);
    expect(h.script.calls[0]!.body).toBe('{"message":"Looking into it"}');
    await expect(h.client.comments.create(P, E, '  ')).rejects.toMatchObject({ code: 'config' });
  });
});

describe('raw requests for endpoints without a typed method', () => {
  it('reads and writes any path with a model', async () => {
    const { defineModel } = await import('../../src/bugsnag/models/common.js');
    const { z } = await import('zod');
    const Root = defineModel('the API root', z.looseObject({ organizations_url: z.string() }));
    const h = harness([ok({ organizations_url: `${API}/user/organizations` }), { status: 204 }]);
    expect(await h.client.request({ method: 'GET', path: '/', query: { foo: 'bar' }, model: Root })).toEqual({
      organizations_url: `${API}/user/organizations`,
    });
    expect(await h.client.request({ method: 'DELETE', path: '/comments/cm1', model: Root })).toBeNull();
    expect(h.script.lines()).toEqual([`GET ${API}/?foo=bar`, `DELETE ${API}/comments/cm1`]);
    await expect(h.client.request({ method: 'GET', path: 'x', model: Root })).rejects.toMatchObject({ code: 'config' });
    await expect(
      h.client.request({
        method: 'GET',
        path: '/user/organizations',
        query: { auth_token: 'abcdef123456' },
        model: Root,
      }),
    ).rejects.toMatchObject({ code: 'config', message: expect.stringContaining('Refusing to send a token in a URL') });
    expect(h.script.calls).toHaveLength(2);
  });
});
