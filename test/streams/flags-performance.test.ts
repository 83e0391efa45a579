import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRun } from '../../src/engine/index.js';
import type { Simulator } from '../../src/sim/index.js';
import { DEFAULT_STREAMS } from '../../src/streams/catalog.js';
import { dropSchema, pgDestinationUrl, uniqueSchema } from '../destinations/pg-schema.js';
import { makeHome, startSim, type Home } from '../engine/helpers.js';
import { stored } from '../engine/truth.js';
import { requireService } from '../helpers/services.js';
import { api, nextLink } from '../sim/helpers.js';

/**
 * The feature-flag and performance streams, synced from the simulator into every destination: each stores exactly
 * what the API lists (keys derived from the API itself, page by page), a project whose plan lacks the features is
 * skipped with a warning while the run succeeds, and a second sync with nothing due reads none of them again.
 */
const HAS_PG = requireService('postgres');
type Kind = 'sqlite' | 'postgres' | 'jsonl';
const KINDS: Kind[] = HAS_PG ? ['sqlite', 'postgres', 'jsonl'] : ['sqlite', 'jsonl'];

const NEW = [
  'feature_flags',
  'feature_flag_variants',
  'span_groups',
  'page_load_span_groups',
  'network_endpoint_groupings',
] as const;
const ENDPOINTS = [
  'GET /projects/{project_id}/feature_flags',
  'GET /projects/{project_id}/feature_flags/{id}/error_overview',
  'GET /projects/{project_id}/feature_flags/{id}/variants',
  'GET /projects/{project_id}/feature_flags/{id}/variants/error_overview',
  'GET /projects/{project_id}/span_groups',
  'GET /projects/{project_id}/page_load_span_groups',
  'GET /projects/{project_id}/network_endpoint_grouping',
];

type Row = Record<string, unknown>;
let sim: Simulator;
let h: Home;
const schemas: string[] = [];
/** Per stream, the keys the API lists for the projects that have the features (the truth). */
const truth = new Map<string, Set<string>>();
let lackingProjects: string[] = [];

beforeAll(async () => {
  // Seed 4: the first organization has a browser project (page loads) beside server and mobile ones.
  sim = await startSim({ seed: 4, orgs: 2, projects: 4, errors: 8, events: 40, releases: 3 });
  h = await makeHome(sim);
  const client = api(sim, sim.tokens.find((t) => t.role === 'multi-org')!.token);
  const all = async (path: string): Promise<Row[]> => {
    const rows: Row[] = [];
    let url: string | null = path;
    while (url) {
      const res = await client.get<Row[]>(url);
      expect(res.status, res.text).toBe(200);
      rows.push(...res.body);
      url = nextLink(res.headers);
    }
    return rows;
  };
  for (const s of NEW) truth.set(s, new Set());
  const info = sim.info();
  lackingProjects = info.organizations
    .find((o) => o.id === sim.fixtures.orgWithoutFlagsAndPerformance)!
    .projects.map((p) => p.id);
  const org = info.organizations.find((o) => o.id !== sim.fixtures.orgWithoutFlagsAndPerformance)!;
  for (const p of await all(`/organizations/${org.id}/projects`)) {
    const id = String(p.id);
    for (const stage of p.release_stages as string[]) {
      const q = `release_stage_name=${stage}`;
      for (const f of await all(`/projects/${id}/feature_flags?${q}&include_inactive=true`)) {
        truth.get('feature_flags')!.add(`${id}|${stage}|${String(f.id)}`);
        for (const v of await all(`/projects/${id}/feature_flags/${String(f.id)}/variants?${q}`))
          truth.get('feature_flag_variants')!.add(`${id}|${stage}|${String(f.id)}|${String(v.id)}`);
      }
    }
    for (const g of await all(`/projects/${id}/span_groups`)) truth.get('span_groups')!.add(`${id}|${String(g.id)}`);
    for (const g of await all(`/projects/${id}/page_load_span_groups`))
      truth.get('page_load_span_groups')!.add(`${id}|${String(g.id)}`);
    truth.get('network_endpoint_groupings')!.add(id);
  }
}, 120_000);

afterAll(async () => {
  await h?.cleanup();
  await sim?.close();
  for (const s of schemas) await dropSchema(s);
});

const keyOf: Record<(typeof NEW)[number], (r: Row) => string> = {
  feature_flags: (r) => `${String(r.project_id)}|${String(r.release_stage_name)}|${String(r.id)}`,
  feature_flag_variants: (r) =>
    `${String(r.project_id)}|${String(r.release_stage_name)}|${String(r.feature_flag_id)}|${String(r.id)}`,
  span_groups: (r) => `${String(r.project_id)}|${String(r.id)}`,
  page_load_span_groups: (r) => `${String(r.project_id)}|${String(r.id)}`,
  network_endpoint_groupings: (r) => String(r.project_id),
};

function destinationFor(kind: Kind, name: string): string {
  if (kind === 'sqlite') return `sqlite:${join(h.home, `${name}.db`)}`;
  if (kind === 'jsonl') return `jsonl:${join(h.home, name)}`;
  const schema = uniqueSchema('snag_flags');
  schemas.push(schema);
  return pgDestinationUrl(schema);
}

const newEndpointRequests = () => {
  const e = sim.stats().byToken['multi-org']?.endpoints ?? {};
  return Object.fromEntries(ENDPOINTS.filter((k) => (e[k] ?? 0) > 0).map((k) => [k, e[k]]));
};

describe('the feature-flag and performance streams', () => {
  it('are declared in the catalog, off unless a source asks for them', () => {
    for (const s of NEW) expect(DEFAULT_STREAMS, s).not.toContain(s);
    expect(truth.get('span_groups')!.size).toBeGreaterThan(30); // more than one page of span groups somewhere
    expect(truth.get('page_load_span_groups')!.size).toBeGreaterThan(0);
    expect(truth.get('feature_flag_variants')!.size).toBeGreaterThan(truth.get('feature_flags')!.size);
  });

  it.each(KINDS)(
    'sync into %s exactly what the API lists, skip a plan without the features, and read nothing again when not due',
    async (kind) => {
      const dest = destinationFor(kind, `flags-${kind}`);
      const source = await h.source({ role: 'multi-org', destination: dest, streams: ['projects', ...NEW] });
      const first = await (await startRun(h.runtime, source.name)).done;
      expect(first.status, JSON.stringify(first.error)).toBe('succeeded');

      for (const s of NEW) {
        const got = await stored(dest, s, keyOf[s]);
        expect([...got.byKey.keys()].sort(), s).toEqual([...truth.get(s)!].sort());
        expect(got.rows, `${s}: one row per key`).toBe(got.byKey.size);
      }
      const flag = [...(await stored(dest, 'feature_flags', keyOf.feature_flags)).byKey.values()][0]!;
      expect((flag.error_overview as Row).errors_seen).toBeGreaterThan(0);
      const projects = await stored(dest, 'projects', (r) => String(r.id));
      for (const p of projects.byKey.values()) expect(['user', 'session']).toContain(p.stability_target_type);

      // The organization whose plan lacks the features: each new stream skipped per project, with Bugsnag's reason.
      const rows = (await h.runtime.store.runs.listStreams(first.run_id)).filter((r) =>
        (NEW as readonly string[]).includes(r.stream),
      );
      for (const r of rows) {
        const lacks = lackingProjects.includes(r.partition.replace(/^project:/, ''));
        expect(r.outcome, `${r.stream} ${r.partition}`).toBe(lacks ? 'skipped' : 'ok');
        if (lacks) expect(r.message, r.stream).toMatch(/requires the (features-experiments|performance.*) feature/);
      }
      expect(rows.filter((r) => r.outcome === 'skipped').length).toBe(NEW.length * lackingProjects.length);

      // Nothing is due a moment later: none is read again where it was read, nothing is written. A partition that was
      // skipped completed no pass, so it is asked again (one refused request per stream and project, nothing more).
      sim.resetStats();
      const second = await (await startRun(h.runtime, source.name)).done;
      expect(second.status, JSON.stringify(second.error)).toBe('succeeded');
      const n = lackingProjects.length;
      expect(newEndpointRequests()).toEqual({
        'GET /projects/{project_id}/feature_flags': 2 * n,
        'GET /projects/{project_id}/span_groups': n,
        'GET /projects/{project_id}/page_load_span_groups': n,
        'GET /projects/{project_id}/network_endpoint_grouping': n,
      });
      const again = (await h.runtime.store.runs.listStreams(second.run_id)).filter((r) =>
        (NEW as readonly string[]).includes(r.stream),
      );
      for (const r of again) expect(r.records_written, `${r.stream} ${r.partition}`).toBe(0);
    },
    180_000,
  );
});
