import { request as httpRequest, type IncomingMessage } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { ANCHOR, api, start, walk, type Api } from './helpers.js';

/**
 * Event data requests over a real socket (docs/simulator-edr.md): lifecycle, filters, the per-request maximum,
 * signed downloads (403s, expiry), gzip, streaming with backpressure, faults mid-body, rate-limit accounting, and
 * download records identical to GET /projects/{id}/events/{id}. No sleeps decide anything: tests poll the status
 * with a bounded number of polls.
 */
interface Edr {
  id: string;
  status: string;
  url: string | null;
  total: number | null;
  report_type: string | null;
  filters: unknown;
  created_at: string;
  completed_at: string | null;
  expires_at: string | null;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** GET the request until `status` (at most `polls` polls), returning every answer seen. */
async function pollUntil(c: Api, path: string, status: string, polls = 400, everyMs = 10): Promise<Edr[]> {
  const seen: Edr[] = [];
  for (let n = 0; n < polls; n++) {
    const r = await c.get<Edr>(path);
    expect(r.status, r.text).toBe(200);
    seen.push(r.body);
    if (r.body.status === status) return seen;
    await pause(everyMs);
  }
  throw new Error(`${path} never reached ${status} in ${polls} polls (last: ${seen.at(-1)?.status})`);
}

async function create(c: Api, scope: string, body: unknown): Promise<Edr> {
  const r = await c.send<Edr>('POST', `${scope}/event_data_requests`, body);
  expect(r.status, r.text).toBe(201);
  return r.body;
}

async function completed(c: Api, scope: string, body: unknown): Promise<Edr> {
  const edr = await create(c, scope, body);
  const seen = await pollUntil(c, `${scope}/event_data_requests/${edr.id}`, 'COMPLETED');
  return seen.at(-1)!;
}

async function downloadJson(
  url: string,
  headers: Record<string, string> = {},
): Promise<Array<Record<string, unknown>>> {
  const r = await fetch(url, { headers });
  expect(r.status).toBe(200);
  return (await r.json()) as Array<Record<string, unknown>>;
}

/** A raw GET (node:http: nothing decompressed, the body as sent). */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, resolve);
    req.on('error', reject);
    req.end();
  });
}

async function readAll(res: IncomingMessage): Promise<{ body: Buffer; error: Error | null }> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of res) chunks.push(c as Buffer);
    return { body: Buffer.concat(chunks), error: null };
  } catch (err) {
    return { body: Buffer.concat(chunks), error: err as Error };
  }
}

let sim: Simulator;
let c: Api;
let project: string;
let org: string;

beforeAll(async () => {
  sim = await start({ seed: 11, anchor: ANCHOR, events: 1500, errors: 30, edrPrepareMs: 300, edrMaxEvents: 4000 });
  c = api(sim);
  org = sim.tokens[0]!.organizations[0]!;
  project = sim.info().organizations.find((o) => o.id === org)!.projects[0]!.id;
});
afterAll(() => sim.close());

describe('lifecycle', () => {
  it('POST answers 201 PREPARING with no url or total; GET moves through IN_PROGRESS to COMPLETED with a url and expiry', async () => {
    const filters = { 'event.since': [{ type: 'eq', value: '2026-01-10T00:00:00Z' }] };
    const edr = await create(c, `/projects/${project}`, { filters });
    expect(edr).toMatchObject({
      status: 'PREPARING',
      url: null,
      total: null,
      report_type: null,
      filters,
      completed_at: null,
      expires_at: null,
    });
    expect(edr.id).toMatch(/^[0-9a-f]{24}$/);
    expect(Date.parse(edr.created_at)).not.toBeNaN();

    const seen = await pollUntil(c, `/projects/${project}/event_data_requests/${edr.id}`, 'COMPLETED', 400, 5);
    const statuses = [...new Set(seen.map((s) => s.status))];
    // Statuses only move forward, and the last one is COMPLETED (IN_PROGRESS lasts 200 ms; 5 ms polls see it).
    expect(['PREPARING', 'IN_PROGRESS', 'COMPLETED']).toEqual(expect.arrayContaining(statuses));
    expect(statuses).toEqual(['PREPARING', 'IN_PROGRESS', 'COMPLETED'].filter((s) => statuses.includes(s)));
    expect(statuses).toContain('IN_PROGRESS');
    for (const s of seen) {
      if (s.status === 'PREPARING') expect(s.total).toBeNull();
      else expect(s.total).toBeGreaterThan(0);
      if (s.status !== 'COMPLETED') expect(s.url).toBeNull();
    }
    const done = seen.at(-1)!;
    expect(done.url).toMatch(
      new RegExp(`^${sim.url}/event_data_downloads/${edr.id}\\.json\\?expires=\\d+&signature=[0-9a-f]{64}$`),
    );
    expect(Date.parse(done.completed_at!) - Date.parse(done.created_at)).toBe(300);
    expect(Date.parse(done.expires_at!) - Date.parse(done.completed_at!)).toBe(7 * 86_400_000);
    const rows = await downloadJson(done.url!);
    expect(rows.length).toBe(done.total);
  });

  it('organization requests cover the projects of the organization the token sees, and are found only under their path', async () => {
    const edr = await completed(c, `/organizations/${org}`, {
      filters: { 'event.since': [{ type: 'eq', value: '2026-01-14T00:00:00Z' }] },
    });
    const rows = await downloadJson(edr.url!);
    expect(rows.length).toBe(edr.total);
    const projects = new Set(rows.map((r) => String(r.project_url).split('/').pop()));
    const visible = sim
      .info()
      .organizations.find((o) => o.id === org)!
      .projects.map((p) => p.id);
    expect(projects.size).toBeGreaterThan(1);
    for (const p of projects) expect(visible).toContain(p);
    expect((await c.get(`/projects/${project}/event_data_requests/${edr.id}`)).status).toBe(404);
    expect((await c.get(`/organizations/${org}/event_data_requests/000000000000000000000000`)).status).toBe(404);
  });

  it('a request a token cannot reach is 404 (project or organization), like every other endpoint', async () => {
    const hidden = sim.fixtures.projectHiddenFromMember!;
    const member = api(sim, sim.tokens.find((t) => t.role === 'member')!.token);
    expect((await member.send('POST', `/projects/${hidden}/event_data_requests`, { filters: {} })).status).toBe(404);
    // An organization request by that token leaves the hidden project out.
    const memberOrg = sim.info().organizations.find((o) => o.projects.some((p) => p.id === hidden))!.id;
    const edr = await completed(member, `/organizations/${memberOrg}`, {
      filters: { 'event.since': [{ type: 'eq', value: '2026-01-14T12:00:00Z' }] },
    });
    const rows = await downloadJson(edr.url!);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.some((r) => String(r.project_url).endsWith(`/${hidden}`))).toBe(false);
  });

  it('events added after the POST are not in the export (a snapshot)', async () => {
    const since = { 'event.since': [{ type: 'eq', value: '2026-01-14T12:00:00Z' }] };
    const edr = await create(c, `/projects/${project}`, { filters: since });
    const added = sim.addEvents({ projectId: project, count: 3 });
    const done = (await pollUntil(c, `/projects/${project}/event_data_requests/${edr.id}`, 'COMPLETED')).at(-1)!;
    const rows = await downloadJson(done.url!);
    const ids = new Set(rows.map((r) => r.id));
    for (const a of added) expect(ids.has(a.id)).toBe(false);
    expect(rows.length).toBe(done.total);
  });
});

describe('filters, as the events list applies them', () => {
  const cases: Array<[string, Record<string, Array<{ type: string; value: string }>>]> = [
    [
      'a time window (event.since and event.before)',
      {
        'event.since': [{ type: 'eq', value: '2026-01-12T00:00:00Z' }],
        'event.before': [{ type: 'eq', value: '2026-01-13T06:00:00Z' }],
      },
    ],
    [
      'an event-level field',
      {
        'app.release_stage': [{ type: 'eq', value: 'production' }],
        'event.since': [{ type: 'eq', value: '2026-01-13T00:00:00Z' }],
      },
    ],
    [
      'an error-level field with ne',
      {
        'error.status': [{ type: 'ne', value: 'fixed' }],
        'event.since': [{ type: 'eq', value: '2026-01-13T00:00:00Z' }],
      },
    ],
  ];
  it.each(cases)('%s: the download holds exactly the events the list returns', async (_name, filters) => {
    const edr = await completed(c, `/projects/${project}`, { filters });
    const rows = await downloadJson(edr.url!);
    const qs = Object.entries(filters)
      .flatMap(([f, cmps]) =>
        cmps.map((x) => `filters[${f}][][type]=${x.type}&filters[${f}][][value]=${encodeURIComponent(x.value)}`),
      )
      .join('&');
    const listed = await walk(c, `/projects/${project}/events?direction=asc&${qs}`);
    expect(listed.rows.length).toBeGreaterThan(0);
    expect(rows.map((r) => r.id)).toEqual(listed.rows.map((r) => r.id));
    expect(edr.total).toBe(rows.length);
  });

  it("filter mistakes answer 400 with the list's own messages; filters are required; values must be strings", async () => {
    const bad = async (body: unknown) => {
      const r = await c.send<{ errors: string[] }>('POST', `/projects/${project}/event_data_requests`, body);
      expect(r.status).toBe(400);
      return r.body.errors[0];
    };
    expect(await bad({ filters: { 'event.since': [{ type: 'ne', value: '7d' }] } })).toMatch(
      /only supports the eq filter type/,
    );
    expect(await bad({ filters: { 'event.since': [{ type: 'eq', value: 'yesterday' }] } })).toMatch(/ISO 8601/);
    expect(await bad({})).toMatch(/filters is missing/);
    expect(await bad({ filters: { 'app.in_foreground': [{ type: 'eq', value: true }] } })).toMatch(/must be a string/);
    expect(await bad({ filters: {}, report_type: 'csv' })).toMatch(/report_type/);
  });
});

describe('the maximum per request', () => {
  it('past it the POST answers 400 with a message saying how to split; a narrower window is accepted', async () => {
    const r = await c.send<{ errors: string[] }>('POST', `/organizations/${org}/event_data_requests`, { filters: {} });
    expect(r.status).toBe(400);
    expect(r.body.errors[0]).toMatch(
      /would contain \d+ events, more than the maximum of 4000 per request.*event\.since and event\.before/,
    );
    const total = Number(/contain (\d+) events/.exec(r.body.errors[0]!)![1]);
    expect(total).toBeGreaterThan(4000);
    await create(c, `/projects/${project}`, { filters: {} }); // 1500 events: under the maximum
  });
});

describe('signed downloads', () => {
  let edr: Edr;
  beforeAll(async () => {
    edr = await completed(c, `/projects/${project}`, {
      filters: { 'event.since': [{ type: 'eq', value: '2026-01-14T00:00:00Z' }] },
    });
  });

  it('need no Authorization header, and refuse a wrong, missing or tampered signature with 403', async () => {
    expect((await fetch(edr.url!)).status).toBe(200);
    const u = new URL(edr.url!);
    const sig = u.searchParams.get('signature')!;
    const variants = [
      edr.url!.replace(`signature=${sig}`, `signature=${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}`),
      `${u.origin}${u.pathname}?expires=${u.searchParams.get('expires')}`,
      edr.url!.replace(/expires=(\d+)/, (_m, e: string) => `expires=${Number(e) + 3600}`),
    ];
    for (const v of variants) {
      const r = await fetch(v);
      expect(r.status, v).toBe(403);
      expect(r.headers.get('content-type')).toBe('application/xml');
      expect(await r.text()).toContain('<Code>AccessDenied</Code>');
    }
  });

  it('a URL from one GET expires after the URL lifetime; a later GET hands out a fresh one', async () => {
    const short = await start({ seed: 11, anchor: ANCHOR, events: 200, edrPrepareMs: 0, edrUrlTtlMs: 1 });
    try {
      const sc = api(short);
      const p = short.info().organizations[0]!.projects[0]!.id;
      const e = await completed(sc, `/projects/${p}`, { filters: {} });
      // The URL's `expires` (whole seconds) is at most 1 ms after it was handed out: refused from then on.
      let status = 0;
      for (let n = 0; n < 50 && status !== 403; n++) {
        status = (await fetch(e.url!)).status;
        if (status !== 403) await pause(20);
      }
      expect(status).toBe(403);
      expect(await (await fetch(e.url!)).text()).toContain('Request has expired');
      expect(short.stats().downloads.refused).toBeGreaterThan(0);
    } finally {
      await short.close();
    }
  });

  it('a request becomes EXPIRED once expires_at has passed: no url, and its old URL is refused', async () => {
    const brief = await start({ seed: 11, anchor: ANCHOR, events: 200, edrPrepareMs: 0, edrExpireMs: 300 });
    try {
      const bc = api(brief);
      const p = brief.info().organizations[0]!.projects[0]!.id;
      const e = await completed(bc, `/projects/${p}`, { filters: {} });
      expect(Date.parse(e.expires_at!) - Date.parse(e.completed_at!)).toBe(300);
      const seen = await pollUntil(bc, `/projects/${p}/event_data_requests/${e.id}`, 'EXPIRED');
      expect(seen.at(-1)).toMatchObject({ status: 'EXPIRED', url: null, total: e.total });
      expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(e.expires_at!));
      const r = await fetch(e.url!);
      expect(r.status).toBe(403);
      expect(await r.text()).toContain('Request has expired');
    } finally {
      await brief.close();
    }
  });

  it('gzip when asked (Accept-Encoding), identity otherwise; the same JSON either way', async () => {
    const gz = await rawGet(edr.url!, { 'Accept-Encoding': 'gzip, deflate' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    const zipped = (await readAll(gz)).body;
    const plain = await rawGet(edr.url!);
    expect(plain.headers['content-encoding']).toBeUndefined();
    const text = (await readAll(plain)).body;
    expect(zipped.length).toBeLessThan(text.length / 3);
    expect(gunzipSync(zipped).equals(text)).toBe(true);
    const refused = await rawGet(edr.url!, { 'Accept-Encoding': 'gzip;q=0' });
    expect(refused.headers['content-encoding']).toBeUndefined();
    await readAll(refused);
  });

  it('records are GET /projects/{id}/events/{id}, field for field', async () => {
    const rows = await downloadJson(edr.url!);
    expect(rows.length).toBeGreaterThan(20);
    for (const row of [rows[0]!, rows[Math.floor(rows.length / 2)]!, rows.at(-1)!]) {
      const one = await c.get(`/projects/${project}/events/${String(row.id)}`);
      expect(one.status).toBe(200);
      expect(row).toEqual(one.body);
    }
    // Oldest first.
    const times = rows.map((r) => Date.parse(String(r.received_at)));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('report_type gdpr keeps only the user-related parts of each event', async () => {
    const g = await completed(c, `/projects/${project}`, {
      filters: { 'event.since': [{ type: 'eq', value: '2026-01-14T18:00:00Z' }] },
      report_type: 'gdpr',
    });
    expect(g.report_type).toBe('gdpr');
    const rows = await downloadJson(g.url!);
    expect(rows.length).toBe(g.total);
    expect(Object.keys(rows[0]!).sort()).toEqual([
      'device',
      'error_id',
      'id',
      'project_url',
      'received_at',
      'request',
      'url',
      'user',
    ]);
  });
});

describe('streaming', () => {
  it('a client that stops reading stops the generation (backpressure); the rest follows when it reads again', async () => {
    const big = await start({
      seed: 3,
      anchor: ANCHOR,
      events: 20_000,
      orgs: 1,
      projects: 1,
      errors: 40,
      edrPrepareMs: 0,
      edrMaxEvents: 1_000_000,
    });
    try {
      const bc = api(big);
      const p = big.info().organizations[0]!.projects[0]!.id;
      const e = await completed(bc, `/projects/${p}`, { filters: {} });
      expect(e.total).toBe(20_000);
      big.resetStats();
      const res = await rawGet(e.url!);
      res.pause();
      // Poll the simulator's record count until it stops moving (bounded).
      let last = -1;
      let still = 0;
      for (let n = 0; n < 200 && still < 5; n++) {
        await pause(30);
        const now = big.stats().downloads.records;
        still = now === last ? still + 1 : 0;
        last = now;
      }
      expect(still, 'generation never stalled').toBe(5);
      // Socket and stream buffers hold a few MB at most: a small share of the 80 MB body.
      expect(last).toBeGreaterThan(0);
      expect(last).toBeLessThan(5_000);
      const { body, error } = await readAll(res);
      expect(error).toBeNull();
      const rows = JSON.parse(body.toString('utf8')) as unknown[];
      expect(rows.length).toBe(20_000);
      expect(big.stats().downloads).toMatchObject({ completed: 1, records: 20_000, bytes: body.length });
    } finally {
      await big.close();
    }
  }, 180_000);
});

describe('faults apply to downloads', () => {
  let edr: Edr;
  beforeAll(async () => {
    edr = await completed(c, `/projects/${project}`, {
      filters: { 'event.since': [{ type: 'eq', value: '2026-01-13T00:00:00Z' }] },
    });
  });
  afterAll(() => sim.setFaults(''));

  it('reset: headers and part of the body, then the connection is cut', async () => {
    sim.setFaults('reset:1~/event_data_downloads');
    sim.resetStats();
    const res = await rawGet(edr.url!);
    expect(res.statusCode).toBe(200);
    const { body, error } = await readAll(res);
    expect(error).not.toBeNull();
    expect(body.length).toBeGreaterThan(0);
    expect(() => JSON.parse(body.toString('utf8'))).toThrow();
    expect(sim.stats().downloads.cut).toBe(1);
    expect(sim.stats().faults.reset).toBe(1);
  });

  it('truncate: a complete HTTP message holding half the array (invalid JSON)', async () => {
    sim.setFaults('truncate:1~/event_data_downloads');
    const res = await rawGet(edr.url!, { 'Accept-Encoding': 'gzip' });
    const { body, error } = await readAll(res);
    expect(error).toBeNull();
    const text = gunzipSync(body).toString('utf8');
    expect(text.startsWith('[{')).toBe(true);
    expect(() => JSON.parse(text)).toThrow();
    const whole = JSON.stringify(
      await (async () => {
        sim.setFaults('');
        return downloadJson(edr.url!);
      })(),
    );
    expect(whole.startsWith(text)).toBe(true);
  });

  it('status faults answer before the body; API paths are left alone by a download-scoped spec', async () => {
    sim.setFaults('503:1~/event_data_downloads');
    const r = await fetch(edr.url!);
    expect(r.status).toBe(503);
    expect(await r.text()).toContain('<Error>');
    expect((await c.get(`/projects/${project}/event_data_requests/${edr.id}`)).status).toBe(200);
  });
});

describe('rate limits and stats', () => {
  it("POST and GET count against the token's limit; downloads do not, and still work when the token is limited", async () => {
    const limited = await start({
      seed: 11,
      anchor: ANCHOR,
      events: 300,
      rateLimit: 3,
      rateWindowMs: 3_600_000,
      edrPrepareMs: 0,
    });
    try {
      const lc = api(limited);
      const p = limited.info().organizations[0]!.projects[0]!.id;
      const created = await lc.send<Edr>('POST', `/projects/${p}/event_data_requests`, { filters: {} });
      expect(created.status).toBe(201);
      expect(created.headers.get('x-ratelimit-remaining')).toBe('2');
      const got = await lc.get<Edr>(`/projects/${p}/event_data_requests/${created.body.id}`);
      expect(got.headers.get('x-ratelimit-remaining')).toBe('1');
      expect(got.body.status).toBe('COMPLETED');
      await lc.get<Edr>(`/projects/${p}/event_data_requests/${created.body.id}`);
      expect((await lc.get(`/projects/${p}/event_data_requests/${created.body.id}`)).status).toBe(429);
      for (let n = 0; n < 3; n++) expect((await downloadJson(got.body.url!)).length).toBe(got.body.total);
      const s = limited.stats();
      expect(s.endpoints).toMatchObject({
        'POST /projects/{project_id}/event_data_requests': 1,
        'GET /projects/{project_id}/event_data_requests/{id}': 3,
        'GET /event_data_downloads/{file}': 3,
      });
      expect(s.rateLimited).toBe(1);
      expect(s.downloads).toMatchObject({ requests: 3, completed: 3, records: 3 * got.body.total! });
      expect(s.downloads.bytes).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});
