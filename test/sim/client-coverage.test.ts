import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BugsnagClient, createBugsnagClient } from '../../src/bugsnag/index.js';
import type { Simulator } from '../../src/sim/index.js';
import { start } from './helpers.js';

/**
 * The simulator must answer every request the real client makes (issue 3). Every method of every resource of a real
 * client is called against a started simulator over a real socket; the client parses each answer with its own models,
 * so a missing route (404) or a body the models refuse fails here. The table of calls is checked against the client
 * object itself: a method added to the client later, without a row here (and so, most likely, without a simulator
 * route), fails the first test.
 */
type Row = Record<string, unknown>;

interface Ids {
  org: string;
  project: string;
  error: string;
  errorWithComments: string;
  event: string;
  comment: string;
  release: string;
  group: string;
  orgCollaborator: string;
  projectCollaborator: string;
  team: string;
  search: string;
  /** Errors the write rows change (kept apart from the ones the reads use). */
  writable: string[];
}

interface Entry {
  kind: 'read' | 'write';
  /** Calls the method (as many ways as worth checking) and asserts on what the client parsed. */
  run(c: BugsnagClient, id: Ids, sim: Simulator): Promise<void>;
}

const read = (run: Entry['run']): Entry => ({ kind: 'read', run });
const write = (run: Entry['run']): Entry => ({ kind: 'write', run });

/** Lenient models accept `{}`, so each row also has to carry the fields that make it what it claims to be. */
function rows(list: readonly unknown[], ...fields: string[]): void {
  expect(list.length, 'rows').toBeGreaterThan(0);
  for (const r of list as Row[])
    for (const f of fields) expect(r[f], `${f} in ${JSON.stringify(r).slice(0, 200)}`).toBeDefined();
}
function one(value: unknown, ...fields: string[]): void {
  expect(value).toBeTruthy();
  rows([value], ...fields);
}

const CALLS: Record<string, Entry> = {
  'organizations.list': read(async (c) => {
    rows(await c.organizations.list().all(), 'id', 'name', 'slug');
    rows(await c.organizations.list({ admin: true }).all(), 'id');
  }),
  'organizations.get': read(async (c, id) => one(await c.organizations.get(id.org), 'id', 'name')),

  'projects.list': read(async (c, id) => {
    rows(await c.projects.list(id.org).all(), 'id', 'name', 'api_key');
    rows(await c.projects.list(id.org, { sort: 'name', direction: 'asc', perPage: 1 }).all(), 'id');
  }),
  'projects.get': read(async (c, id) => one(await c.projects.get(id.project), 'id', 'name', 'release_stages')),
  'projects.listForCollaborator': read(async (c, id) =>
    rows(await c.projects.listForCollaborator(id.org, id.orgCollaborator).all(), 'id', 'name'),
  ),

  'errors.list': read(async (c, id) => {
    rows(await c.errors.list(id.project, { perPage: 7 }).all(), 'id', 'error_class', 'events', 'last_seen');
    rows(await c.errors.list(id.project, { sort: 'unsorted', since: '30d' }).all(), 'id');
    rows(await c.errors.list(id.project, { sort: 'events', direction: 'asc', base: new Date() }).all(), 'id', 'events');
    // `histogram` is a documented option of the client ([OAS26]): each row then carries its trend.
    const withTrend = await c.errors.list(id.project, { histogram: 'two_week' }).first();
    rows(withTrend.items, 'trend');
  }),
  'errors.get': read(async (c, id) => {
    one(await c.errors.get(id.project, id.error), 'id', 'status', 'events');
    one(await c.errors.get(id.project, id.error, { filters: { 'app.release_stage': 'production' } }), 'id');
  }),
  'errors.update': write(async (c, id) => {
    const fixed = await c.errors.update(id.project, id.writable[0]!, { operation: 'fix' });
    expect(fixed?.status).toBe('fixed');
    // 204 for delete and discard: the client's null.
    expect(await c.errors.update(id.project, id.writable[1]!, { operation: 'discard' })).toBeNull();
  }),
  'errors.bulkUpdate': write(async (c, id) => {
    const res = await c.errors.bulkUpdate(id.project, [id.writable[2]!, id.writable[3]!], { operation: 'ignore' });
    expect(res?.operation).toBe('ignore');
    expect((res as Row)[id.writable[2]!]).toMatchObject({ status: 'ignored' });
  }),

  'events.list': read(async (c, id) => {
    rows((await c.events.list(id.project).first()).items, 'id', 'received_at', 'error_id');
    rows(
      (await c.events.list(id.project, { fullReports: true, direction: 'asc', since: '7d' }).first()).items,
      'id',
      'exceptions',
      'device',
    );
  }),
  'events.listForError': read(async (c, id) =>
    rows(await c.events.listForError(id.project, id.error).all(), 'id', 'error_id'),
  ),
  'events.get': read(async (c, id) => one(await c.events.get(id.project, id.event), 'id', 'exceptions', 'app')),
  'events.latest': read(async (c, id) => one(await c.events.latest(id.error), 'id', 'exceptions')),

  'releases.list': read(async (c, id) => {
    rows(await c.releases.list(id.project).all(), 'id', 'release_time', 'app_version');
    rows(
      await c.releases
        .list(id.project, { releaseStage: 'production', sort: 'percent_of_sessions', base: new Date() })
        .all(),
      'id',
    );
  }),
  'releases.get': read(async (c, id) => one(await c.releases.get(id.project, id.release), 'id', 'release_time')),

  'releaseGroups.list': read(async (c, id) => {
    rows(await c.releaseGroups.list(id.project, { releaseStageName: 'production' }).all(), 'id', 'app_version');
    await c.releaseGroups.list(id.project, { releaseStageName: 'production', topOnly: true, visibleOnly: true }).all();
  }),
  'releaseGroups.get': read(async (c, id) => one(await c.releaseGroups.get(id.group), 'id', 'release_stage_name')),
  'releaseGroups.releases': read(async (c, id) =>
    rows(await c.releaseGroups.releases(id.group).all(), 'id', 'release_time'),
  ),

  'collaborators.listForOrganization': read(async (c, id) => {
    rows(await c.collaborators.listForOrganization(id.org).all(), 'id', 'email');
    await c.collaborators.listForOrganization(id.org, { q: 'a' }).all();
  }),
  'collaborators.getForOrganization': read(async (c, id) =>
    one(await c.collaborators.getForOrganization(id.org, id.orgCollaborator), 'id', 'email'),
  ),
  'collaborators.listForProject': read(async (c, id) =>
    rows(await c.collaborators.listForProject(id.project).all(), 'id', 'email'),
  ),
  'collaborators.getForProject': read(async (c, id) =>
    one(await c.collaborators.getForProject(id.project, id.projectCollaborator), 'id', 'email'),
  ),

  'teams.list': read(async (c, id) => rows(await c.teams.list(id.org).all(), 'id', 'name')),
  'teams.get': read(async (c, id) => one(await c.teams.get(id.org, id.team), 'id', 'name')),

  'comments.list': read(async (c, id) => {
    rows(await c.comments.list(id.project, id.errorWithComments).all(), 'id', 'message', 'created_at');
    rows(await c.comments.list(id.project, id.errorWithComments, { sort: 'created_at', direction: 'asc' }).all(), 'id');
  }),
  'comments.get': read(async (c, id) => one(await c.comments.get(id.comment), 'id', 'message')),
  'comments.create': write(async (c, id) => {
    const created = await c.comments.create(id.project, id.writable[0]!, 'fixed in 1.2.3');
    expect(created).toMatchObject({ message: 'fixed in 1.2.3' });
    one(await c.comments.get(created.id), 'id');
  }),

  'eventFields.list': read(async (c, id) =>
    rows(await c.eventFields.list(id.project).all(), 'display_id', 'filter_options'),
  ),
  'traceFields.list': read(async (c, id) =>
    rows(await c.traceFields.list(id.project).all(), 'display_id', 'field_type'),
  ),

  'featureFlags.list': read(async (c, id) => {
    const o = { releaseStageName: 'production', includeVariantSummary: true, includeInactive: true };
    rows(await c.featureFlags.list(id.project, o).all(), 'id', 'name', 'first_seen', 'variant_summary');
    rows(await c.featureFlags.list(id.project, { releaseStageName: 'production', perPage: 1 }).all(), 'id');
  }),
  'featureFlags.variants': read(async (c, id) => {
    const [flag] = await c.featureFlags.list(id.project, { releaseStageName: 'production' }).all();
    rows(await c.featureFlags.variants(id.project, flag!.id, { releaseStageName: 'production' }).all(), 'id', 'name');
  }),
  'featureFlags.errorOverview': read(async (c, id) => {
    const [flag] = await c.featureFlags.list(id.project, { releaseStageName: 'production' }).all();
    one(await c.featureFlags.errorOverview(id.project, flag!.id, { releaseStageName: 'production' }), 'errors_seen');
  }),
  'featureFlags.variantsErrorOverview': read(async (c, id) => {
    const o = { releaseStageName: 'production' };
    const [flag] = await c.featureFlags.list(id.project, o).all();
    const variants = await c.featureFlags.variants(id.project, flag!.id, o).all();
    const ids = variants.map((v) => v.id);
    rows(await c.featureFlags.variantsErrorOverview(id.project, flag!.id, ids, o), 'variant_id', 'errors_seen');
  }),
  'performance.spanGroups': read(async (c, id) =>
    rows(await c.performance.spanGroups(id.project, { perPage: 10 }).all(), 'id', 'category', 'statistics'),
  ),
  // Page loads are a browser project's; this seed's project answers an empty list, which the client takes as one.
  'performance.pageLoadSpanGroups': read(async (c, id) =>
    expect(Array.isArray(await c.performance.pageLoadSpanGroups(id.project).all())).toBe(true),
  ),
  'performance.networkEndpointGrouping': read(async (c, id) =>
    one(await c.performance.networkEndpointGrouping(id.project), 'project_id', 'endpoints'),
  ),

  'pivots.list': read(async (c, id) => {
    rows(await c.pivots.list(id.project).all(), 'event_field_display_id', 'name', 'cardinality');
    rows(
      await c.pivots
        .list(id.project, { summarySize: 3, pivots: ['app.release_stage'], filters: { 'event.since': '7d' } })
        .all(),
      'event_field_display_id',
    );
  }),
  'pivots.values': read(async (c, id) => {
    const fields = ['event_field_value', 'events', 'proportion', 'first_seen', 'last_seen', 'fields'];
    rows(await c.pivots.values(id.project, 'app.release_stage').all(), ...fields);
    rows(
      await c.pivots
        .values(id.project, 'user.email', {
          perPage: 5,
          sort: 'unsorted',
          base: new Date(),
          filters: { 'event.since': '30d' },
        })
        .all(),
      ...fields,
    );
  }),

  'savedSearches.list': read(async (c, id) => {
    rows(await c.savedSearches.list(id.project).all(), 'id', 'name', 'filters');
    rows(await c.savedSearches.list(id.project, { shared: true }).all(), 'id');
  }),
  'savedSearches.get': read(async (c, id) => one(await c.savedSearches.get(id.search), 'id', 'name')),
  'savedSearches.usageSummary': read(async (c, id) =>
    one(await c.savedSearches.usageSummary(id.search), 'project_notifications_count'),
  ),

  'integrations.supported': read(async (c) => rows(await c.integrations.supported().all(), 'key', 'name')),

  'trends.forProject': read(async (c, id) => {
    rows(await c.trends.forProject(id.project, { bucketsCount: 5 }), 'from', 'to', 'events_count');
    rows(await c.trends.forProject(id.project, { resolution: '12h', filters: { 'event.since': '7d' } }), 'from');
    // The spec's path answers, so the client never needs its fallback to `/trend`.
    expect(c.trends.pathInUse).toBe('trends');
  }),
  'trends.forError': read(async (c, id) =>
    rows(await c.trends.forError(id.project, id.error, { bucketsCount: 3 }), 'events_count'),
  ),

  'stability.trend': read(async (c, id, sim) => {
    one(await c.stability.trend(id.project), 'project_id', 'timeline_points');
    // The documented no-data answers (204, and 404 "no primary release stage") are the client's null.
    const { projectWithoutSessions: noSessions, projectWithoutPrimaryStage: noStage } = sim.fixtures;
    if (!noSessions || !noStage) throw new Error('the simulator lost its no-data fixtures');
    expect(await c.stability.trend(noSessions)).toBeNull();
    expect(await c.stability.trend(noStage)).toBeNull();
  }),

  // A POST that only reads (docs/bugsnag-api.md §2.13), so it sits with the reads.
  'eventDataRequests.create': read(async (c, id) => {
    one(
      await c.eventDataRequests.create(id.project, { filters: { 'event.since': '7d' } }),
      'id',
      'status',
      'created_at',
    );
    one(
      await c.eventDataRequests.create(
        { organizationId: id.org },
        { filters: { 'event.since': '1d' }, reportType: 'gdpr' },
      ),
      'id',
      'report_type',
    );
  }),
  'eventDataRequests.get': read(async (c, id) => {
    const created = await c.eventDataRequests.create({ projectId: id.project }, { filters: { 'event.since': '1d' } });
    one(await c.eventDataRequests.get({ projectId: id.project }, created.id), 'id', 'status', 'filters');
  }),
  'eventDataRequests.waitUntilComplete': read(async (c, id) => {
    const created = await c.eventDataRequests.create(id.project, { filters: { 'event.since': '1d' } });
    one(
      await c.eventDataRequests.waitUntilComplete(id.project, created.id, { initialDelayMs: 20 }),
      'url',
      'total',
      'completed_at',
      'expires_at',
    );
  }),
  'eventDataRequests.download': read(async (c, id, sim) => {
    const created = await c.eventDataRequests.create(id.project, { filters: { 'event.since': '1d' } });
    const { url } = await c.eventDataRequests.waitUntilComplete(id.project, created.id, { initialDelayMs: 20 });
    const d = await c.eventDataRequests.download(url);
    let text = '';
    for await (const chunk of d.body) text += (chunk as Buffer).toString('utf8');
    rows(JSON.parse(text) as unknown[], 'id', 'received_at', 'exceptions');
    expect(sim.stats().downloads.completed).toBe(1);
  }),
  'eventDataRequests.readPages': read(async (c, id) => {
    const created = await c.eventDataRequests.create(id.project, { filters: { 'event.since': '7d' } });
    const { url } = await c.eventDataRequests.waitUntilComplete(id.project, created.id, { initialDelayMs: 20 });
    const pages: unknown[][] = [];
    for await (const page of c.eventDataRequests.readPages(url, { pageSize: 100 })) pages.push(page);
    rows(pages.flat(), 'id', 'received_at', 'exceptions', 'device');
  }),
};

/**
 * Own properties of a client that are not resources, and prototype methods that are plumbing rather than endpoints:
 * the raw `request` / `list` escape hatches take any path, so there is no route to check for them.
 */
const NOT_RESOURCES = new Set(['baseUrl', 'origin', 'host']);
const PLUMBING = new Set([
  'constructor',
  'stats',
  'resetStats',
  'rateLimitState',
  'now',
  'toJSON',
  'get',
  'getOptional',
  'getArray',
  'paginate',
  'write',
  'request',
  'list',
]);

/** `resource.method` for every function-valued member of every resource object of a client. */
function clientMethods(c: BugsnagClient): { methods: string[]; strays: string[] } {
  const methods: string[] = [];
  const strays: string[] = [];
  for (const [name, value] of Object.entries(c)) {
    if (NOT_RESOURCES.has(name)) continue;
    if (!value || typeof value !== 'object') {
      strays.push(name);
      continue;
    }
    // Descriptors, so getters (trends.pathInUse) are seen as properties and never invoked.
    for (const [member, d] of Object.entries(Object.getOwnPropertyDescriptors(value))) {
      if (typeof d.value === 'function') methods.push(`${name}.${member}`);
    }
  }
  for (const name of Object.getOwnPropertyNames(BugsnagClient.prototype)) if (!PLUMBING.has(name)) strays.push(name);
  return { methods: methods.sort(), strays };
}

let sim: Simulator;
let client: BugsnagClient;
const id = {} as Ids;

beforeAll(async () => {
  // The default anchor (today), so that the relative windows below (`7d`, `30d`) hold data.
  sim = await start({ seed: 5, events: 2000, errors: 40, edrPrepareMs: 100 });
  const admin = sim.tokens.find((t) => t.role === 'admin')!;
  client = createBugsnagClient({
    token: admin.token,
    host: sim.url,
    logger: false,
    retry: { retries: 0, rateLimitRetries: 0 },
  });
  // Ids come from a plain fetch so that no client method is exercised before its own row.
  const get = async (path: string) => {
    const r = await fetch(`${sim.url}${path}`, {
      headers: { Authorization: `token ${admin.token}`, 'X-Version': '2' },
    });
    expect(r.status, path).toBe(200);
    return (await r.json()) as Row[];
  };
  const first = (list: Row[]) => String(list[0]!.id);
  id.org = admin.organizations[0]!;
  const special = new Set([sim.fixtures.projectWithoutPrimaryStage, sim.fixtures.projectWithoutSessions]);
  id.project = (await get(`/organizations/${id.org}/projects`)).map((p) => String(p.id)).find((p) => !special.has(p))!;
  const errors = await get(`/projects/${id.project}/errors?per_page=100`);
  const withComments = errors.filter((e) => Number(e.comment_count) > 0);
  id.errorWithComments = String(withComments[0]!.id);
  id.error = String(errors.find((e) => e.id !== id.errorWithComments)!.id);
  id.writable = errors.slice(-4).map((e) => String(e.id));
  id.event = first(await get(`/projects/${id.project}/events`));
  id.comment = first(await get(`/projects/${id.project}/errors/${id.errorWithComments}/comments`));
  id.release = first(await get(`/projects/${id.project}/releases`));
  id.group = first(await get(`/projects/${id.project}/release_groups?release_stage_name=production`));
  id.orgCollaborator = first(await get(`/organizations/${id.org}/collaborators`));
  id.projectCollaborator = first(await get(`/projects/${id.project}/collaborators`));
  id.team = first(await get(`/organizations/${id.org}/teams`));
  id.search = first(await get(`/projects/${id.project}/saved_searches`));
  expect(new Set([id.error, id.errorWithComments, ...id.writable]).size).toBe(6);
});

afterAll(() => sim.close());

describe('the simulator answers every method of the real client', () => {
  it('the table lists exactly the methods the client has (a new client method needs a row, and a route)', () => {
    const { methods, strays } = clientMethods(client);
    expect(strays, 'client members that are neither resources nor known plumbing').toEqual([]);
    expect(methods.length).toBeGreaterThan(30);
    expect(
      methods.filter((m) => !(m in CALLS)),
      'client methods missing from the table',
    ).toEqual([]);
    expect(
      Object.keys(CALLS).filter((m) => !methods.includes(m)),
      'rows for methods the client no longer has',
    ).toEqual([]);
  });

  // Reads first, so that the writes' changes never decide whether a read finds data.
  const ordered = Object.entries(CALLS).sort(([, a], [, b]) => (a.kind === b.kind ? 0 : a.kind === 'read' ? -1 : 1));
  it.each(ordered)('%s', async (_name, entry) => {
    sim.resetStats();
    await entry.run(client, id, sim);
    const s = sim.stats();
    expect(s.requests, 'requests made').toBeGreaterThan(0);
    // Every request reached a route: a client path the simulator does not know answers Rails' 404 and counts here.
    expect(s.unrouted, 'requests to paths the simulator does not route').toBe(0);
  });
});
