import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { ANCHOR, api, nextLink, start } from './helpers.js';

/** The /__sim control API and its library twins: info, stats, adding data now, revoking tokens, faults. */
type Row = Record<string, unknown>;

let sim: Simulator;
let project: string;

beforeAll(async () => {
  sim = await start({ seed: 51, anchor: ANCHOR, events: 400, errors: 20 });
  project = sim.info().organizations[0]!.projects[0]!.id;
});
afterAll(() => sim.close());

const control = async (method: string, path: string, body?: unknown) => {
  const r = await fetch(`${sim.url}/__sim${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as Row };
};

describe('control endpoints', () => {
  it('GET /__sim needs no token and describes the simulator', async () => {
    const r = await control('GET', '');
    expect(r.status).toBe(200);
    expect(r.body.url).toBe(sim.url);
    expect((r.body.tokens as Row[]).map((t) => t.role)).toEqual(['admin', 'member', 'multi-org']);
    expect(r.body.fixtures).toEqual(sim.fixtures);
    expect((r.body.options as Row).anchor).toBe('2026-01-15T00:00:00.000Z');
  });

  it('stats: requests per token and endpoint, rows served, 429s, highest concurrency per token; reset', async () => {
    expect((await control('POST', '/stats/reset')).body.requests).toBe(0);
    const admin = api(sim, sim.tokens[0]!.token);
    const member = api(sim, sim.tokens[1]!.token);
    await admin.get(`/projects/${project}/events?per_page=7`);
    await admin.get(`/projects/${project}/events?per_page=5`);
    await member.get('/user/organizations');
    // Five overlapping requests from one token (each held 150 ms by a slow fault).
    sim.setFaults('slow:150ms');
    await Promise.all(Array.from({ length: 5 }, () => admin.get('/user/organizations')));
    sim.setFaults('');
    const s = (await control('GET', '/stats')).body as unknown as ReturnType<Simulator['stats']>;
    expect(s.requests).toBe(8);
    expect(s.byToken.admin!.requests).toBe(7);
    expect(s.byToken.admin!.endpoints['GET /projects/{project_id}/events']).toBe(2);
    expect(s.byToken.admin!.endpoints['GET /user/organizations']).toBe(5);
    expect(s.byToken.member!.requests).toBe(1);
    expect(s.byToken.admin!.maxConcurrent).toBe(5);
    expect(s.byToken.member!.maxConcurrent).toBe(1);
    expect(s.byToken.admin!.rows).toBe(12 + 5);
    expect(s.byToken.admin!.token).toBe(`…${sim.tokens[0]!.token.slice(-4)}`);
    expect(s.endpoints['GET /user/organizations']).toBe(6);
    expect(s.rateLimited).toBe(0);
    sim.resetStats();
    expect(sim.stats().requests).toBe(0);
  });

  it('POST /__sim/events adds events now: newest first, for one error if asked', async () => {
    const admin = api(sim);
    const errorId = (await admin.get<Row[]>(`/projects/${project}/errors?per_page=1`)).body[0]!.id as string;
    const before = (await admin.get<Row>(`/projects/${project}/errors/${errorId}`)).body;
    const r = await control('POST', '/events', { project_id: project, error_id: errorId, count: 3 });
    expect(r.status).toBe(200);
    const added = r.body.events as Array<{ id: string; error_id: string; received_at: string }>;
    expect(added).toHaveLength(3);
    expect(added.every((e) => e.error_id === errorId)).toBe(true);
    const top = (await admin.get<Row[]>(`/projects/${project}/events?per_page=3`)).body;
    expect(new Set(top.map((e) => e.id))).toEqual(new Set(added.map((e) => e.id)));
    const after = (await admin.get<Row>(`/projects/${project}/errors/${errorId}`)).body;
    expect(after.unthrottled_occurrence_count).toBe(Number(before.unthrottled_occurrence_count) + 3);
    expect(Date.parse(String(after.last_seen))).toBe(Date.parse(added[2]!.received_at));
    const latest = (await admin.get<Row>(`/errors/${errorId}/latest_event`)).body;
    expect(added.map((e) => e.id)).toContain(latest.id);
  });

  it('POST /__sim/errors adds new errors with their events', async () => {
    const admin = api(sim);
    const r = await control('POST', '/errors', { project_id: project, count: 2, events_per_error: 4 });
    const errors = r.body.errors as Array<{ id: string; events: unknown[] }>;
    expect(errors).toHaveLength(2);
    const newest = (await admin.get<Row[]>(`/projects/${project}/errors?sort=first_seen&per_page=2`)).body;
    expect(new Set(newest.map((e) => e.id))).toEqual(new Set(errors.map((e) => e.id)));
    expect(newest.every((e) => e.events === 4 && e.unthrottled_occurrence_count === 4)).toBe(true);
    const events = await admin.get<Row[]>(`/projects/${project}/errors/${errors[0]!.id}/events`);
    expect(events.body).toHaveLength(4);
    expect(nextLink(events.headers)).toBeNull();
  });

  it('revokes and restores tokens', async () => {
    const t = sim.tokens[2]!.token;
    expect((await control('POST', '/tokens/revoke', { token: t })).body).toEqual({ revoked: true });
    expect((await api(sim, t).get('/user/organizations')).status).toBe(401);
    expect((await control('POST', '/tokens/restore', { token: t })).body).toEqual({ revoked: false });
    expect((await api(sim, t).get('/user/organizations')).status).toBe(200);
    expect((await control('POST', '/tokens/revoke', { token: 'nope' })).status).toBe(400);
  });

  it('sets, reads and clears faults', async () => {
    expect((await control('PUT', '/faults', { spec: '502:1' })).body).toEqual({ spec: '502:1' });
    expect((await control('GET', '/faults')).body).toEqual({ spec: '502:1' });
    expect((await api(sim).get('/user/organizations')).status).toBe(502);
    expect((await control('DELETE', '/faults')).body).toEqual({ spec: '' });
    expect((await api(sim).get('/user/organizations')).status).toBe(200);
  });

  it('rejects bad bodies and unknown control paths', async () => {
    expect((await control('POST', '/events', { count: 0 })).status).toBe(400);
    expect((await control('POST', '/events', { project_id: 'nope' })).status).toBe(400);
    expect((await control('GET', '/nothing')).status).toBe(404);
    const malformed = await fetch(`${sim.url}/__sim/events`, { method: 'POST', body: '{' });
    expect(malformed.status).toBe(400);
  });

  it('does not exist when the simulator listens on a non-loopback address', async () => {
    const exposed = await start({ host: '0.0.0.0', seed: 2 });
    try {
      const r = await fetch(`http://127.0.0.1:${exposed.port}/__sim/stats`);
      expect(r.status).toBe(404);
      expect(await r.json()).toEqual({ status: 404, error: 'Not Found' });
    } finally {
      await exposed.close();
    }
  });
});
