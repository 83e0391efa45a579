import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { ANCHOR, api, nextLink, start, type Api, type Res } from './helpers.js';
import { describeErrors, responseValidator } from './openapi.js';

/**
 * Feature flags and BugSnag Performance in the simulator: every answer validates against the response schema of the
 * same operation in SmartBear's OpenAPI description (test/fixtures/bugsnag/openapi-responses.json), lists page the
 * way the description gives (keyset for flags, numeric `offset` for span groups) with Link and X-Total-Count, flags
 * need a release stage, and a plan without the feature answers 403.
 */
type Row = Record<string, unknown>;

let sim: Simulator;
let admin: Api;
let multi: Api;
let project: string;
let browser: string;
let lacking: string;

beforeAll(async () => {
  sim = await start({ seed: 4, anchor: ANCHOR, orgs: 2, projects: 4, errors: 10, events: 50 });
  admin = api(sim, sim.tokens.find((t) => t.role === 'admin')!.token);
  multi = api(sim, sim.tokens.find((t) => t.role === 'multi-org')!.token);
  const info = sim.info();
  const projects = info.organizations[0]!.projects;
  project = projects[0]!.id;
  const list = (await admin.get<Row[]>(`/organizations/${info.organizations[0]!.id}/projects`)).body;
  browser = String(list.find((p) => p.type === 'js' || p.type === 'react')?.id ?? '');
  lacking = info.organizations.find((o) => o.id === sim.fixtures.orgWithoutFlagsAndPerformance)!.projects[0]!.id;
});

afterAll(async () => {
  await sim?.close();
});

/** Every row of a list, following Link; checks X-Total-Count on each page. */
async function walk(client: Api, path: string): Promise<{ rows: Row[]; pages: number }> {
  const rows: Row[] = [];
  let url: string | null = path;
  let pages = 0;
  let total: number | null = null;
  while (url) {
    const res: Res<Row[]> = await client.get<Row[]>(url);
    expect(res.status, res.text).toBe(200);
    const t = Number(res.headers.get('x-total-count'));
    total ??= t;
    expect(t).toBe(total);
    rows.push(...res.body);
    pages++;
    url = nextLink(res.headers);
  }
  expect(rows.length).toBe(total);
  return { rows, pages };
}

function valid(method: string, template: string, status: number, body: unknown): void {
  const validate = responseValidator(method, template, status);
  expect(validate, `the spec has a JSON schema for ${method} ${template} ${status}`).not.toBeNull();
  expect(validate!(body), describeErrors(validate!)).toBe(true);
}

describe('feature flags', () => {
  it('lists flags per release stage, with variant summaries, validating against the spec', async () => {
    const res = await admin.get<Row[]>(
      `/projects/${project}/feature_flags?release_stage_name=production&include_variant_summary=true&include_inactive=true`,
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.length).toBeGreaterThanOrEqual(3);
    valid('GET', '/projects/{project_id}/feature_flags', 200, res.body);
    for (const f of res.body) expect((f.variant_summary as Row).variant_count).toBeGreaterThan(0);
    // Sorted by name by default; inactive flags only when asked for.
    const names = res.body.map((f) => String(f.name));
    expect(names).toEqual([...names].sort());
    const active = await admin.get<Row[]>(`/projects/${project}/feature_flags?release_stage_name=production`);
    expect(active.body.every((f) => f.is_active === true)).toBe(true);
    expect(active.body.some((f) => 'variant_summary' in f)).toBe(false);
  });

  it('needs release_stage_name (400), as the API does', async () => {
    const res = await admin.get(`/projects/${project}/feature_flags`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: ["release_stage_name can't be blank"] });
  });

  it('pages by keyset with Link and X-Total-Count', async () => {
    const base = `/projects/${project}/feature_flags?release_stage_name=production&include_inactive=true`;
    const whole = (await admin.get<Row[]>(base)).body;
    const { rows, pages } = await walk(admin, `${base}&per_page=2`);
    expect(pages).toBeGreaterThan(1);
    expect(rows.map((r) => r.id)).toEqual(whole.map((r) => r.id));
  });

  it('answers variants and error overviews (per flag and per variant) as the spec shapes them', async () => {
    const q = 'release_stage_name=production';
    const flags = (await admin.get<Row[]>(`/projects/${project}/feature_flags?${q}&include_inactive=true`)).body;
    for (const f of flags) {
      const variants = await admin.get<Row[]>(`/projects/${project}/feature_flags/${String(f.id)}/variants?${q}`);
      valid('GET', '/projects/{project_id}/feature_flags/{id}/variants', 200, variants.body);
      expect(variants.body.length).toBeGreaterThan(0);
      const overview = await admin.get(`/projects/${project}/feature_flags/${String(f.id)}/error_overview?${q}`);
      valid('GET', '/projects/{project_id}/feature_flags/{id}/error_overview', 200, overview.body);
      const ids = variants.body.map((v) => `variant_ids[]=${String(v.id)}`).join('&');
      const per = await admin.get<Row[]>(
        `/projects/${project}/feature_flags/${String(f.id)}/variants/error_overview?${q}&${ids}`,
      );
      valid('GET', '/projects/{project_id}/feature_flags/{id}/variants/error_overview', 200, per.body);
      expect(per.body.map((o) => o.variant_id)).toEqual(variants.body.map((v) => v.id));
    }
    const missing = await admin.get(`/projects/${project}/feature_flags/${project}/error_overview?${q}`);
    expect(missing.status).toBe(404);
    valid('GET', '/projects/{project_id}/feature_flags/{id}/error_overview', 404, missing.body);
  });

  it('answers 403 on a plan without features-experiments', async () => {
    const res = await multi.get(`/projects/${lacking}/feature_flags?release_stage_name=production`);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ errors: ['Account requires the features-experiments feature'] });
  });
});

describe('performance', () => {
  it('lists span groups with statistics, paged by numeric offset, validating against the spec', async () => {
    const first = await admin.get<Row[]>(`/projects/${project}/span_groups`);
    valid('GET', '/projects/{project_id}/span_groups', 200, first.body);
    const { rows, pages } = await walk(admin, `/projects/${project}/span_groups?per_page=7`);
    expect(pages).toBeGreaterThan(2);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(nextLink((await admin.get(`/projects/${project}/span_groups?per_page=7`)).headers)).toMatch(
      /[?&]offset=7(&|$)/,
    );
    for (const r of rows) expect((r.statistics as Row).total_spans).toBeGreaterThan(0);
    valid('GET', '/projects/{project_id}/span_groups', 200, rows);
  });

  it('lists page loads for a browser project (full page load and route change), none for others', async () => {
    expect(browser).not.toBe('');
    const res = await admin.get<Row[]>(`/projects/${browser}/page_load_span_groups`);
    expect(res.body.length).toBeGreaterThan(0);
    valid('GET', '/projects/{project_id}/page_load_span_groups', 200, res.body);
    const server = (await admin.get<Row[]>(`/organizations/${sim.info().organizations[0]!.id}/projects`)).body.find(
      (p) => !['js', 'react'].includes(String(p.type)),
    )!;
    const none = await admin.get<Row[]>(`/projects/${String(server.id)}/page_load_span_groups`);
    expect(none.status).toBe(200);
    expect(none.body).toEqual([]);
  });

  it('answers the network endpoint grouping, and 403 (as documented) on a plan without the feature', async () => {
    const res = await admin.get<Row>(`/projects/${project}/network_endpoint_grouping`);
    valid('GET', '/projects/{project_id}/network_endpoint_grouping', 200, res.body);
    expect(res.body.project_id).toBe(project);
    const refused = await multi.get(`/projects/${lacking}/network_endpoint_grouping`);
    expect(refused.status).toBe(403);
    valid('GET', '/projects/{project_id}/network_endpoint_grouping', 403, refused.body);
    expect((await multi.get(`/projects/${lacking}/span_groups`)).status).toBe(403);
  });

  it('is the same data for the same seed', async () => {
    const other = await start({ seed: 4, anchor: ANCHOR, orgs: 2, projects: 4, errors: 10, events: 50 });
    try {
      const o = api(other, other.tokens[0]!.token);
      for (const path of [
        `/projects/${project}/span_groups?per_page=100`,
        `/projects/${project}/feature_flags?release_stage_name=production&include_inactive=true`,
      ])
        expect((await o.get(path)).text).toBe((await admin.get(path)).text);
    } finally {
      await other.close();
    }
  });
});

describe('projects', () => {
  it('carry their stability targets', async () => {
    const res = await admin.get<Row>(`/projects/${project}`);
    expect(['user', 'session']).toContain(res.body.stability_target_type);
    expect((res.body.target_stability as Row).value).toBeGreaterThan(
      (res.body.critical_stability as Row).value as number,
    );
  });
});
