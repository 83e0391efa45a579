// The errors' status pass (src/streams/status-pass.ts): what it costs, and what the other ways Bugsnag's filters allow
// would cost, for many projects on a small token.
//  1. A source syncs `errors` from a simulator of PROJECTS × ERRORS (the first sync: a full pass, which counts as a
//     status pass). Then some errors are fixed and some reopened through the API (no new events), and the source
//     syncs again one status-pass interval later: its requests are the incremental pass (one per project) plus the
//     status pass. The changes must be in error_history, observed by status_pass.
//  2. The same simulator walked plainly (100 a page, following Link) with each filter that could tell status changes:
//     the errors not open (what the status pass reads), each status that is not open on its own, the open ones, and
//     all of them (what a full pass reads).
//  3. Each cost as a share of the token's budget over one interval: RATE requests a minute × INTERVAL minutes.
// Prints one JSON line. Run: npx tsx bench/status-pass.ts [--projects 25] [--errors 1000] [--rate 30] [--interval 15]
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createBugsnagClient } from '../src/bugsnag/index.js';
import { startRun } from '../src/engine/index.js';
import { startSimulator } from '../src/sim/index.js';
import { benchHome, inProcess } from './sync-common.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const PROJECTS = Number(arg('projects', '25'));
const ERRORS = Number(arg('errors', '1000'));
const RATE = Number(arg('rate', '30'));
const INTERVAL_MIN = Number(arg('interval', '15'));
const CHANGES = 10; // errors fixed, and as many reopened, across the projects

// Requests are counted, not timed: the simulator does not limit this run (the budget is computed from RATE).
const sim = await startSimulator({
  orgs: 1,
  projects: PROJECTS,
  errors: ERRORS,
  events: 2 * ERRORS,
  releases: 1,
  rateLimit: 1_000_000_000,
  anchor: '2026-01-15T00:00:00Z',
});
const token = sim.tokens.find((t) => t.role === 'admin')!.token;
const projects = sim.info().organizations[0]!.projects;

/** Pages and rows of one errors list, walked plainly at 100 a page. */
async function walk(projectId: string, filters: Array<[string, string]>): Promise<{ pages: number; rows: number }> {
  const q = new URLSearchParams([['per_page', '100'], ...filters]);
  let url: string | null = `${sim.url}/projects/${projectId}/errors?${q}`;
  let pages = 0;
  let rows = 0;
  while (url) {
    const res: Response = await fetch(url, { headers: { Authorization: `token ${token}`, 'X-Version': '2' } });
    if (res.status !== 200) throw new Error(`${res.status} for ${url}`);
    rows += ((await res.json()) as unknown[]).length;
    pages++;
    url = /<([^>]+)>\s*;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1] ?? null;
  }
  return { pages, rows };
}
const status = (type: 'eq' | 'ne', value: string): Array<[string, string]> => [
  ['filters[error.status][][type]', type],
  ['filters[error.status][][value]', value],
];
const NOT_OPEN = ['fixed', 'snoozed', 'ignored', 'for_review', 'in progress'];
const census = { notOpen: 0, perStatus: 0, open: 0, all: 0, notOpenRows: 0 };
for (const p of projects) {
  const n = await walk(p.id, status('ne', 'open'));
  census.notOpen += n.pages;
  census.notOpenRows += n.rows;
  for (const s of NOT_OPEN) census.perStatus += (await walk(p.id, status('eq', s))).pages;
  census.open += (await walk(p.id, status('eq', 'open'))).pages;
  census.all += (await walk(p.id, [])).pages;
}

const h = await benchHome(inProcess(sim));
const file = join(h.home, 'status.db');
const source = await h.source({ name: 'status', streams: ['errors'], destination: `sqlite:${file}` });
const ERRORS_LIST = 'GET /projects/{project_id}/errors';
const ERROR_GET = 'GET /projects/{project_id}/errors/{error_id}';
async function sync(now: Date): Promise<{ list: number; get: number; total: number }> {
  sim.resetStats();
  const s = await (await startRun(h.runtime, source, { now })).done;
  if (s.status !== 'succeeded') throw new Error(`sync ${s.status}: ${s.error?.message}`);
  const t = sim.stats().byToken.admin!;
  return { list: t.endpoints[ERRORS_LIST] ?? 0, get: t.endpoints[ERROR_GET] ?? 0, total: t.requests };
}

const t0 = Date.now();
const first = await sync(new Date(t0));
const query = <T>(sql: string, ...params: unknown[]) => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
};
const stored = query<{ project_id: string; id: string; status: string }>('SELECT project_id, id, status FROM errors');
const api = createBugsnagClient({ token, host: sim.url, logger: false });
const fixed = stored.filter((e) => e.status === 'open').slice(0, CHANGES);
const reopened = stored.filter((e) => e.status === 'fixed' || e.status === 'ignored').slice(0, CHANGES);
for (const e of fixed) await api.errors.update(e.project_id, e.id, { operation: 'fix' });
for (const e of reopened) await api.errors.update(e.project_id, e.id, { operation: 'open' });

const within = await sync(new Date(t0 + (INTERVAL_MIN - 1) * 60_000));
const due = await sync(new Date(t0 + (INTERVAL_MIN + 1) * 60_000));
const seen = (ids: Array<{ id: string }>, want: string) =>
  ids.filter(
    (e) =>
      query<{ n: number }>(
        "SELECT count(*) AS n FROM error_history WHERE error_id = ? AND status = ? AND observed_by = 'status_pass' AND valid_to IS NULL",
        e.id,
        want,
      )[0]!.n === 1,
  ).length;

const budget = RATE * INTERVAL_MIN;
// What the sync spent beyond one within the interval (the same planning and incremental passes, one per project).
const statusPass = due.total - within.total;
const share = (n: number) => Math.round((1000 * n) / budget) / 10;
console.log(
  JSON.stringify({
    bench: 'status-pass',
    projects: PROJECTS,
    errors_per_project: ERRORS,
    not_open_per_project: Math.round(census.notOpenRows / PROJECTS),
    token_rate_per_min: RATE,
    interval_min: INTERVAL_MIN,
    budget_per_interval: budget,
    requests: {
      first_sync_full_pass: first.total,
      sync_within_interval: within.total,
      sync_with_status_pass: due.total,
      status_pass: statusPass,
      status_pass_lists: due.list - within.list,
      status_pass_read_backs: due.get,
      walk_not_open: census.notOpen,
      walk_each_status_not_open: census.perStatus,
      walk_open: census.open,
      walk_all_full_pass: census.all,
    },
    share_of_budget_pct: {
      status_pass: share(statusPass),
      each_status_not_open: share(census.perStatus),
      open_list: share(census.open),
      full_pass: share(census.all),
    },
    goal_pct: 10,
    goal_met: share(statusPass) <= 10,
    interval_for_goal_min: Math.ceil(statusPass / (0.1 * RATE)),
    not_open_per_project_for_goal_at_interval: Math.floor((0.1 * budget) / PROJECTS) * 100,
    changes: { fixed: fixed.length, reopened: reopened.length },
    seen_by_status_pass: { fixed: seen(fixed, 'fixed'), reopened: seen(reopened, 'open') },
  }),
);
await h.cleanup();
await sim.close();
