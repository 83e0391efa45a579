// Requests a sync makes, counted by the simulator per endpoint.
//  1. A full sync of every stream: at most 1.1 × the pages the data needs at each endpoint's largest page size.
//     What the data needs is counted from the SIMULATOR, never from what the sync stored (a sync that dropped records
//     would lower its own bar): errors per project from the simulator's options, and the other lists by a census: a
//     plain reader that walks each list on the simulator before the sync (largest page size, following Link) and
//     counts its rows and pages. Events pages end on a whole second, so they can be longer than 30 and the pages a
//     project's events need are the census's pages; the census's rows must equal `sim.volume()` (the simulator's own
//     count), and so must the events the sync stored.
//     A second simulator holds one project with > 1,000 errors in the window: Bugsnag pages a sorted errors list only to offset 1,000
//     (422, code 60000), so that project's errors must be read with `sort=unsorted`, whose pages stop at the
//     server's shard boundaries (64 errors in the simulator, like the short unsorted pages of the real API). Its
//     errors endpoint is reported on its own line, against both floors: the sorted minimum (unreachable there) and
//     the unsorted one (one sorted first page that announces the count, then one page per shard).
//  2. A second sync with no new data: at most one request per incremental (stream, project), plus the full-refresh
//     streams (which need what they needed the first time).
// Run: npx tsx bench/sync-requests.ts [--projects 4] [--events 4000] [--errors 600] [--big-errors 1500]
import { join } from 'node:path';
import { startRun, STREAM_NAMES } from '../src/engine/index.js';
import { startSimulator } from '../src/sim/index.js';
import { UNSORTED_SHARD } from '../src/sim/routes/errors.js';
import { benchHome, inProcess, verdict } from './sync-common.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const PROJECTS = Number(arg('projects', '4'));
const BIG_ERRORS = Number(arg('big-errors', '1500'));
// In this process: requests are counted, not timed, and the simulator's library API answers what its data holds.
const simOptions = {
  orgs: 1,
  releases: Number(arg('releases', '45')),
  rateLimit: 1_000_000_000,
  anchor: '2026-01-15T00:00:00Z',
};
const sim = await startSimulator({
  ...simOptions,
  projects: PROJECTS,
  errors: Number(arg('errors', '600')),
  events: Number(arg('events', '4000')),
});
const bigSim = await startSimulator({ ...simOptions, projects: 1, errors: BIG_ERRORS, events: 2 * BIG_ERRORS });
const info = sim.info();
const org = info.organizations[0]!;
const eventsOf = (projectId: string) => sim.volume(projectId).days.reduce((n, d) => n + d.events, 0);

/** Rows and pages of a list as the simulator serves it, read plainly (largest page size, following Link). */
async function walk(
  on: typeof sim,
  path: string,
  query: Record<string, string> = {},
  perPage = 100,
): Promise<{ rows: Array<Record<string, unknown>>; pages: number }> {
  const token = on.tokens.find((t) => t.role === 'admin')!.token;
  const rows: Array<Record<string, unknown>> = [];
  let pages = 0;
  let url: string | null = `${on.url}${path}?${new URLSearchParams({ ...query, per_page: String(perPage) })}`;
  while (url) {
    const res: Response = await fetch(url, { headers: { Authorization: `token ${token}`, 'X-Version': '2' } });
    if (res.status !== 200) throw new Error(`census: ${res.status} for ${path}`);
    rows.push(...((await res.json()) as Array<Record<string, unknown>>));
    pages++;
    url = /<([^>]+)>\s*;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1] ?? null;
  }
  return { rows, pages };
}
const pagesOf = (rows: number, size: number) => Math.max(1, Math.ceil(rows / size));

const projects = org.projects;
let commentPages = 0;
let releasePages = 0;
let releaseGroupLists = 0;
let savedSearches = 0;
let savedSearchPages = 0;
let eventPages = 0;
// Feature flags (one list per release stage, read by both flag streams; then per flag and stage an overview, a variants
// list and the variants' overview) and performance (span groups and page loads, one list each).
let flagLists = 0;
let flagStages = 0;
let variantPages = 0;
let variantOverviews = 0;
let spanGroupPages = 0;
let pageLoadPages = 0;
for (const p of projects) {
  const ev = await walk(sim, `/projects/${p.id}/events`, {}, 30);
  if (ev.rows.length !== eventsOf(p.id))
    throw new Error(`census: ${ev.rows.length} events listed, the simulator holds ${eventsOf(p.id)}`);
  eventPages += ev.pages;
  for (const e of (await walk(sim, `/projects/${p.id}/errors`, { sort: 'unsorted' })).rows) {
    const c = Number(e.comment_count ?? 0);
    if (c > 0) commentPages += pagesOf(c, 30);
  }
  releasePages += pagesOf((await walk(sim, `/projects/${p.id}/releases`, {}, 10)).rows.length, 10);
  const view = (await (
    await fetch(`${sim.url}/projects/${p.id}`, {
      headers: { Authorization: `token ${sim.tokens.find((t) => t.role === 'admin')!.token}`, 'X-Version': '2' },
    })
  ).json()) as { release_stages?: string[] };
  for (const stage of new Set(view.release_stages ?? []))
    releaseGroupLists += pagesOf(
      (await walk(sim, `/projects/${p.id}/release_groups`, { release_stage_name: stage })).rows.length,
      100,
    );
  for (const stage of new Set(view.release_stages ?? [])) {
    const flags = await walk(
      sim,
      `/projects/${p.id}/feature_flags`,
      { release_stage_name: stage, include_inactive: 'true' },
      30,
    );
    flagLists += flags.pages;
    for (const f of flags.rows) {
      flagStages++;
      const v = await walk(
        sim,
        `/projects/${p.id}/feature_flags/${String(f.id)}/variants`,
        { release_stage_name: stage },
        30,
      );
      variantPages += v.pages;
      if (v.rows.length > 0) variantOverviews++;
    }
  }
  spanGroupPages += (await walk(sim, `/projects/${p.id}/span_groups`, {}, 30)).pages;
  pageLoadPages += (await walk(sim, `/projects/${p.id}/page_load_span_groups`, {}, 30)).pages;
  const searches = (await walk(sim, `/projects/${p.id}/saved_searches`)).rows.length;
  savedSearches += searches;
  savedSearchPages += pagesOf(searches, 100);
}
const need: Record<string, number> = {
  'GET /user/organizations': pagesOf(info.organizations.length, 100),
  'GET /integrations': 1,
  'GET /organizations/{organization_id}/projects': pagesOf(projects.length, 100),
  'GET /organizations/{organization_id}/collaborators': pagesOf(
    (await walk(sim, `/organizations/${org.id}/collaborators`)).rows.length,
    100,
  ),
  'GET /organizations/{organization_id}/teams': pagesOf(
    (await walk(sim, `/organizations/${org.id}/teams`)).rows.length,
    100,
  ),
  'GET /projects/{project_id}/errors': projects.length * pagesOf(info.options.errors, 100),
  'GET /projects/{project_id}/errors/{error_id}/comments': commentPages,
  'GET /projects/{project_id}/events': eventPages,
  'GET /projects/{project_id}/releases': releasePages,
  // One list per release stage of each project (an empty stage still costs its one request).
  'GET /projects/{project_id}/release_groups': releaseGroupLists,
  'GET /projects/{project_id}/event_fields': projects.length,
  'GET /projects/{project_id}/trace_fields': projects.length,
  'GET /projects/{project_id}/pivots': projects.length,
  'GET /projects/{project_id}/saved_searches': savedSearchPages,
  'GET /saved_searches/{id}/usage_summary': savedSearches,
  'GET /projects/{project_id}/stability_trend': projects.length,
  'GET /projects/{project_id}/trends': projects.length,
  'GET /projects/{project_id}/feature_flags': 2 * flagLists,
  'GET /projects/{project_id}/feature_flags/{id}/error_overview': flagStages,
  'GET /projects/{project_id}/feature_flags/{id}/variants': variantPages,
  'GET /projects/{project_id}/feature_flags/{id}/variants/error_overview': variantOverviews,
  'GET /projects/{project_id}/span_groups': spanGroupPages,
  'GET /projects/{project_id}/page_load_span_groups': pageLoadPages,
  'GET /projects/{project_id}/network_endpoint_grouping': projects.length,
};
const bigErrors = bigSim.info().options.errors;
const bigSorted = pagesOf(bigErrors, 100);
const bigUnsorted = 1 + pagesOf(bigErrors, Math.min(100, UNSORTED_SHARD));

const h = await benchHome(inProcess(sim));
const source = await h.source({
  name: 'requests',
  // pivot_values (heavy, off by default) lists each project's event fields again to know which pivots to read, and
  // its values pages have no census here: it is measured by its own tests, not held to this floor.
  streams: STREAM_NAMES.filter((s) => s !== 'pivot_values'),
  events_backfill: 'list',
  destination: `sqlite:${join(h.home, 'requests.db')}`,
});
const hb = await benchHome(inProcess(bigSim));
const bigSource = await hb.source({
  name: 'big',
  streams: ['errors'],
  destination: `sqlite:${join(hb.home, 'big.db')}`,
});

/** Requests per endpoint of one sync (the admin token's: the census's requests came before the reset). */
async function sync(
  on: typeof sim,
  home: typeof h,
  name: string,
): Promise<{ endpoints: Record<string, number>; events: number }> {
  on.resetStats();
  const s = await (await startRun(home.runtime, name)).done;
  if (s.status !== 'succeeded') throw new Error(`sync ${s.status}: ${s.error?.message}`);
  return {
    endpoints: { ...(on.stats().byToken.admin?.endpoints ?? {}) },
    events: s.streams.find((x) => x.stream === 'events')?.records_written ?? 0,
  };
}

const run1 = await sync(sim, h, source);
const first = run1.endpoints;
const simEvents = projects.reduce((n, p) => n + eventsOf(p.id), 0);
if (run1.events !== simEvents)
  throw new Error(`the sync stored ${run1.events} events, the simulator holds ${simEvents}`);
const bigFirst = (await sync(bigSim, hb, bigSource)).endpoints['GET /projects/{project_id}/errors'] ?? 0;
const bigSecond = (await sync(bigSim, hb, bigSource)).endpoints['GET /projects/{project_id}/errors'] ?? 0;

let ok1 = true;
console.log("1. full sync: requests per endpoint against the pages the simulator's data needs (target ≤ 1.1 ×)");
console.log(`${'endpoint'.padEnd(56)} ${'requests'.padStart(8)} ${'needed'.padStart(7)}  ratio`);
let totalReq = 0;
let totalNeed = 0;
for (const [endpoint, needed] of Object.entries(need)) {
  const req = first[endpoint] ?? 0;
  totalReq += req;
  totalNeed += needed;
  const ratio = req / needed;
  const pass = ratio <= 1.1;
  ok1 &&= pass;
  console.log(
    `${endpoint.padEnd(56)} ${String(req).padStart(8)} ${String(needed).padStart(7)}  ${ratio.toFixed(2)} ${verdict(pass)}`,
  );
}
const unexpected = Object.keys(first).filter((e) => !(e in need));
if (unexpected.length) {
  ok1 = false;
  console.log(`unexpected endpoints: ${unexpected.join(', ')}`);
}
console.log(
  `${'total'.padEnd(56)} ${String(totalReq).padStart(8)} ${String(totalNeed).padStart(7)}  ${(totalReq / totalNeed).toFixed(2)} ${verdict(ok1)}`,
);
const okBig = bigFirst <= 1.1 * bigUnsorted && bigSecond <= 1;
console.log(
  `\nerrors of a project with ${bigErrors} errors in the window (a simulator of its own): ${bigFirst} requests; sorted minimum ${bigSorted} ` +
    `(${(bigFirst / bigSorted).toFixed(2)} ×; unreachable: a sorted list stops at offset 1,000), unsorted minimum ${bigUnsorted} ` +
    `(1 sorted first page that announces the count + ${bigUnsorted - 1} pages of at most ${Math.min(100, UNSORTED_SHARD)}): ${(bigFirst / bigUnsorted).toFixed(2)} × (target ≤ 1.1 ×); ` +
    `second sync with no new data: ${bigSecond} (target ≤ 1) ${verdict(okBig)}`,
);

const second = (await sync(sim, h, source)).endpoints;
const incremental = [
  'GET /projects/{project_id}/errors',
  'GET /projects/{project_id}/events',
  'GET /projects/{project_id}/releases',
];
let ok2 = true;
console.log(
  '\n2. second sync, no new data: incremental streams ≤ 1 request per project; full-refresh streams as needed (streams read less than their interval ago: none)',
);
for (const [endpoint, needed] of Object.entries(need)) {
  const req = second[endpoint] ?? 0;
  const limit = incremental.includes(endpoint) ? projects.length : endpoint.includes('/comments') ? 0 : needed;
  const pass = req <= limit;
  ok2 &&= pass;
  console.log(
    `${endpoint.padEnd(56)} ${String(req).padStart(8)} ≤ ${String(limit).padStart(5)}  ${incremental.includes(endpoint) ? '(incremental)' : endpoint.includes('/comments') ? '(through errors)' : '(full refresh)'} ${verdict(pass)}`,
  );
}
const secondTotal = Object.values(second).reduce((a, b) => a + b, 0);
console.log(`total ${secondTotal} requests (first sync: ${totalReq})`);
console.log(
  JSON.stringify({
    full_requests: totalReq,
    full_needed: totalNeed,
    full_ratio: Number((totalReq / totalNeed).toFixed(3)),
    full_pass: ok1,
    big_errors: bigErrors,
    big_errors_requests: bigFirst,
    big_errors_second_sync: bigSecond,
    big_errors_sorted_minimum: bigSorted,
    big_errors_unsorted_minimum: bigUnsorted,
    big_errors_pass: okBig,
    second_requests: secondTotal,
    second_pass: ok2,
  }),
);
await h.cleanup();
await hb.cleanup();
await sim.close();
await bigSim.close();
process.exitCode = ok1 && ok2 && okBig ? 0 : 1;
