import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FirstSyncEstimate as FirstSync } from '../../src/engine/index.js';
import { firstSyncLine } from '../../src/server/components/preview-table.js';
import type { Simulator } from '../../src/sim/index.js';
import { simTruth } from '../engine/truth.js';
import { keyHeaders, login, type Browser } from './helpers.js';
import { postForm, sourcesServer, startSim, wizardFields, type SourcesServer } from './sources-helpers.js';

/**
 * The first sync estimate (`first_sync`) of a preview of the events stream, through the HTTP API on a real socket and
 * in the wizard's Test panel, against the simulator: its figures follow from what the simulator holds (each
 * project's events, as a walk of the events list counts them) and the credential's rate limit as stored.
 */

let sim: Simulator;
let s: SourcesServer;
let url: string;
let credentialId: string;
let b: Browser;

beforeAll(async () => {
  sim = await startSim({ projects: 3, events: 70 });
  s = await sourcesServer();
  credentialId = await s.credential(sim);
  url = await s.app.listen({ host: '127.0.0.1', port: 0 });
  b = await login(s.app);
});
afterAll(async () => {
  await s?.cleanup();
  await sim?.close();
});

async function post(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { ...keyHeaders(), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** What the estimate must say, from the simulator's events per project and the credential's stored rate limit. */
async function expected(): Promise<Omit<FirstSync, 'chosen'>> {
  const truth = await simTruth(sim);
  const perProject = truth.projects.map(
    (pid) => [...truth.events.keys()].filter((k) => k.startsWith(`${pid}|`)).length,
  );
  const seen = (await s.runtime.store.credentials.get(credentialId))!.rate_limit;
  const limit = seen?.limit && seen.limit > 0 ? seen.limit : 30;
  const windowMs = seen?.window_ms ?? 60_000;
  // Two planning requests (organizations, projects); the list reads 30 events a request; an export costs its POST
  // and polls (8), a project with no events one request.
  const list = 2 + perProject.reduce((n, e) => n + Math.max(1, Math.ceil(e / 30)), 0);
  const bulk = 2 + perProject.reduce((n, e) => n + (e > 0 ? 8 : 1), 0);
  return {
    events: truth.events.size,
    projects: truth.projects.length,
    projects_not_counted: 0,
    limit,
    window_ms: windowMs,
    limit_observed: Boolean(seen?.limit),
    list: { requests: list, ms: Math.ceil(list / limit) * windowMs },
    bulk: { requests: bulk, ms: Math.ceil(bulk / limit) * windowMs, exports: perProject.filter((e) => e > 0).length },
  };
}

describe('POST /api/data_sources/preview: first_sync', () => {
  it('for the events stream, estimates the first sync from what the simulator holds', async () => {
    const want = await expected();
    expect(want.events).toBeGreaterThan(0);
    const res = await post('/api/data_sources/preview', {
      data_credentials_id: credentialId,
      source_config: { streams: ['events'] },
      stream: 'events',
      limit: 1,
    });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    const f = res.json.first_sync as FirstSync;
    expect(f).toEqual({ ...want, chosen: { bulk: 0, list: want.projects } });
    expect(res.json.records).toHaveLength(1);

    // The source's events_backfill setting decides what it would use.
    const bulk = await post('/api/data_sources/preview', {
      data_credentials_id: credentialId,
      source_config: { streams: ['events'], events_backfill: 'bulk' },
      stream: 'events',
    });
    expect((bulk.json.first_sync as FirstSync).chosen).toEqual({ bulk: want.projects, list: 0 });
  });

  it('on a saved source too; no first_sync for another stream or with estimate false; a wrong flag is a 400 on it', async () => {
    const want = await expected();
    const made = await s.source({
      name: 'estimate',
      data_credentials_id: credentialId,
      destination: 'sqlite:estimate.db',
      source_config: { streams: ['events', 'errors'] },
    });
    const saved = await post(`/api/data_sources/${made.id}/preview`, { stream: 'events', limit: 1 });
    expect(saved.status).toBe(200);
    expect(saved.json.first_sync).toMatchObject({ events: want.events, list: want.list, bulk: want.bulk });

    const errors = await post(`/api/data_sources/${made.id}/preview`, { stream: 'errors', limit: 1 });
    expect(errors.status).toBe(200);
    expect(errors.json).not.toHaveProperty('first_sync');
    const off = await post('/api/data_sources/preview', {
      data_credentials_id: credentialId,
      stream: 'events',
      estimate: false,
    });
    expect(off.status).toBe(200);
    expect(off.json).not.toHaveProperty('first_sync');
    // Without the estimate, the preview costs fewer requests.
    expect(off.json.requests as number).toBeLessThan(saved.json.requests as number);

    const bad = await post('/api/data_sources/preview', {
      data_credentials_id: credentialId,
      stream: 'events',
      estimate: 'yes',
    });
    expect(bad.status).toBe(400);
    expect(bad.json.field).toBe('estimate');
    const unknown = await post(`/api/data_sources/${made.id}/preview`, { stream: 'events', estimates: true });
    expect(unknown.status).toBe(400);
    expect(unknown.json.message).toContain('estimate');
  });
});

describe('OpenAPI: first_sync', () => {
  it('documents the estimate flag and first_sync; a real answer validates, a broken one does not', async () => {
    const doc = (await (await fetch(`${url}/api/openapi.json`, { headers: keyHeaders() })).json()) as {
      components: { schemas: Record<string, unknown> };
      paths: Record<
        string,
        { post: { description?: string; requestBody: { content: Record<string, { schema: unknown }> } } }
      >;
    };
    for (const path of ['/api/data_sources/preview', '/api/data_sources/{id}/preview']) {
      const op = doc.paths[path]!.post;
      expect(op.description).toContain('first_sync');
      expect(JSON.stringify(op.requestBody.content['application/json']!.schema)).toContain('"estimate"');
    }
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema({ $id: 'doc', components: doc.components });
    const validate = ajv.getSchema('doc#/components/schemas/Preview')!;
    const answer = (
      await post('/api/data_sources/preview', { data_credentials_id: credentialId, stream: 'events', limit: 1 })
    ).json;
    expect(answer).toHaveProperty('first_sync');
    expect(validate(answer), JSON.stringify(validate.errors)).toBe(true);
    const broken = { ...answer, first_sync: { ...(answer.first_sync as object), list: { requests: 'many' } } };
    expect(validate(broken)).toBe(false);
  });
});

/** The wizard's Test of one stream, posted as app.js posts the form; returns the result panel's HTML. */
async function wizardTest(
  srv: SourcesServer,
  browser: Browser,
  credential: string,
  testStream: string,
): Promise<{ status: number; panel: string }> {
  const fields = wizardFields(credential, { streams: ['projects', 'errors', 'events'], test_stream: testStream });
  const res = await postForm(srv.app, browser, '/sources', fields, 'fetch');
  const panels = res.statusCode === 200 ? (res.json() as { panels: Array<{ html: string }> }).panels : [];
  return { status: res.statusCode, panel: panels[0]?.html ?? res.body };
}

const textOf = (html: string) => html.replace(/<[^>]+>/g, '');

describe("the wizard's Test: the first sync line", () => {
  it('shows the estimate for the events stream, and not for another', async () => {
    const want = await expected();
    const { status, panel } = await wizardTest(s, b, credentialId, 'events');
    expect(status, panel).toBe(200);
    expect(panel).toContain(`data-events="${want.events}"`);
    const text = textOf(panel);
    const n = (x: number) => x.toLocaleString('en-US');
    expect(text).toContain(`First sync of ~${n(want.events)} events over ${want.projects} projects`);
    expect(text).toContain(`list API ~${n(want.list.requests)} requests ≈ `);
    expect(text).toContain(`bulk export ~${n(want.bulk.requests)} requests (${want.bulk.exports} exports) ≈ `);
    expect(text).toContain(want.limit_observed ? 'the limit Bugsnag announced' : 'assumed');
    expect(text).toContain(`This source would use: bulk for 0 projects, list for ${want.projects}.`);

    const other = await wizardTest(s, b, credentialId, 'errors');
    expect(other.status).toBe(200);
    expect(other.panel).toContain('data-preview-stream="errors"');
    expect(other.panel).not.toContain('data-first-sync');
  });
});

describe('an estimate the rate limit has no room for', () => {
  // 20 requests a minute (the simulator's windows start with it: the test ends well inside the first), 60 projects:
  // the records fit, the estimate (the lists and 50 counts) cannot, and a person is not kept waiting a minute.
  let small: Simulator;
  let srv: SourcesServer;
  beforeAll(async () => {
    small = await startSim({ rateLimit: 20, projects: 60, errors: 1, events: 2, releases: 1 });
    srv = await sourcesServer();
  });
  afterAll(async () => {
    await srv?.cleanup();
    await small?.close();
  });

  it('answers the records anyway, with first_sync_error saying why (API and wizard, one token each)', async () => {
    const admin = await srv.credential(small);
    const res = await srv.api('POST', '/api/data_sources/preview', {
      data_credentials_id: admin,
      stream: 'events',
      limit: 2,
    });
    expect(res.statusCode, res.body).toBe(200);
    const p = res.json();
    expect(p.records).toHaveLength(2);
    expect(p).not.toHaveProperty('first_sync');
    expect(p.first_sync_error).toMatchObject({
      error: 'rate_limited',
      hint: expect.stringMatching(/Try again in about/),
    });
    expect(small.stats().rateLimited).toBe(0);

    const member = small.tokens.find((t) => t.role === 'member')!;
    const created = await srv.api('POST', '/api/data_credentials', {
      name: 'member',
      credentials: { auth_token: member.token, host: small.url },
    });
    expect(created.statusCode, created.body).toBe(201);
    const { status, panel } = await wizardTest(srv, await login(srv.app), created.json().id, 'events');
    expect(status, panel).toBe(200);
    expect(panel).toContain('data-preview-stream="events"');
    expect(panel).not.toContain('data-first-sync=');
    expect(textOf(panel)).toMatch(
      /No first sync estimate this time: The token&#39;s Bugsnag rate limit is used up.+Try again/,
    );
  });
});

describe('the first sync line', () => {
  it('says the counts, the times in whole units, the limit and where it came from, and what the source would use', () => {
    const line = firstSyncLine({
      events: 12_345,
      projects: 50,
      projects_not_counted: 10,
      limit: 30,
      window_ms: 60_000,
      limit_observed: false,
      list: { requests: 414, ms: 14 * 60_000 },
      bulk: { requests: 402, ms: 14 * 60_000, exports: 1 },
      chosen: { bulk: 1, list: 49 },
    }).value.replace(/<[^>]+>/g, '');
    expect(line).toContain(
      'First sync of ~12,345 events over 50 projects (10 more projects not counted): list API ~414 requests ≈ 14 min; bulk export ~402 requests (1 export) ≈ 14 min (at 30 requests per minute, assumed: Bugsnag has not announced a limit to this credential yet). This source would use: bulk for 1 project, list for 49.',
    );
    const observed = firstSyncLine({
      events: 1,
      projects: 1,
      projects_not_counted: 0,
      limit: 4,
      window_ms: 200,
      limit_observed: true,
      list: { requests: 3, ms: 200 },
      bulk: { requests: 10, ms: 7_200_000, exports: 1 },
      chosen: { bulk: 0, list: 1 },
    }).value.replace(/<[^>]+>/g, '');
    expect(observed).toContain('~1 event over 1 project:');
    expect(observed).toContain('list API ~3 requests ≈ 200 ms');
    expect(observed).toContain('≈ 2 h (at 4 requests per 200 ms, the limit Bugsnag announced to this credential)');
    expect(observed).not.toContain('not counted');
  });
});
