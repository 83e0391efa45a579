// Requests a sync makes, counted by the simulator per endpoint.
//  1. A full sync of every stream: at most 1.1 × the pages the data needs at each endpoint's largest page size
//     (what the data needs is counted from the records stored, per list).
//  2. A second sync with no new data: at most one request per incremental (stream, project), plus the full-refresh
//     streams (which need what they needed the first time).
// Run: npm run build && npx tsx bench/sync-requests.ts [--projects 4] [--events 4000] [--errors 600]
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startRun, STREAM_NAMES } from '../src/engine/index.js';
import { benchHome, startSimProcess, verdict } from './sync-common.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const sim = await startSimProcess({
  orgs: 1,
  projects: Number(arg('projects', '4')),
  errors: Number(arg('errors', '600')),
  events: Number(arg('events', '4000')),
  releases: Number(arg('releases', '45')),
  'rate-limit': 1_000_000_000,
});
const h = await benchHome(sim);
const file = join(h.home, 'requests.db');
const source = await h.source({ name: 'requests', streams: [...STREAM_NAMES], destination: `sqlite:${file}` });

async function sync(): Promise<Record<string, number>> {
  await sim.resetStats();
  const s = await (await startRun(h.runtime, source)).done;
  if (s.status !== 'succeeded') throw new Error(`sync ${s.status}: ${s.error?.message}`);
  return (await sim.stats()).byToken.admin?.endpoints ?? {};
}

const first = await sync();

// What the data needs: per list, max(1, ceil(records / page size)).
const db = new Database(file, { readonly: true });
const pages = (sql: string, size: number): number =>
  (db.prepare(sql).all() as Array<{ n: number }>).reduce((sum, r) => sum + Math.max(1, Math.ceil(r.n / size)), 0);
const count = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
const projects = count('select count(*) as n from projects');
const need: Record<string, number> = {
  'GET /user/organizations': pages('select count(*) as n from organizations', 100),
  'GET /integrations': 1,
  'GET /organizations/{organization_id}/projects': pages('select count(*) as n from projects group by organization_id', 100),
  'GET /organizations/{organization_id}/collaborators': pages('select count(*) as n from collaborators group by organization_id', 100),
  'GET /organizations/{organization_id}/teams': pages('select count(*) as n from teams group by organization_id', 100),
  'GET /projects/{project_id}/errors': pages('select count(*) as n from errors group by project_id', 100),
  'GET /projects/{project_id}/errors/{error_id}/comments': pages('select count(*) as n from comments group by project_id, error_id', 30),
  'GET /projects/{project_id}/events': pages('select count(*) as n from events group by project_id', 30),
  'GET /projects/{project_id}/releases': pages('select count(*) as n from releases group by project_id', 10),
  // One list per release stage of each project (an empty stage still costs its one request).
  'GET /projects/{project_id}/release_groups': releaseGroupLists(),
  'GET /projects/{project_id}/event_fields': projects,
  'GET /projects/{project_id}/trace_fields': projects,
  'GET /projects/{project_id}/pivots': projects,
  'GET /projects/{project_id}/saved_searches': projects,
  'GET /saved_searches/{id}/usage_summary': count('select count(*) as n from saved_searches'),
  'GET /projects/{project_id}/stability_trend': projects,
  'GET /projects/{project_id}/trends': projects,
};
db.close();

function releaseGroupLists(): number {
  const groups = new Map<string, number>();
  for (const r of db.prepare('select project_id, release_stage_name as stage, count(*) as n from release_groups group by 1, 2').all() as Array<{ project_id: string; stage: string; n: number }>) {
    groups.set(`${r.project_id}|${r.stage}`, r.n);
  }
  let n = 0;
  for (const p of db.prepare('select id, release_stages from projects').all() as Array<{ id: string; release_stages: string }>) {
    for (const stage of new Set(JSON.parse(p.release_stages) as string[])) n += Math.max(1, Math.ceil((groups.get(`${p.id}|${stage}`) ?? 0) / 100));
  }
  return n;
}

let ok1 = true;
console.log('1. full sync: requests per endpoint against the pages the data needs (target ≤ 1.1 ×)');
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
  console.log(`${endpoint.padEnd(56)} ${String(req).padStart(8)} ${String(needed).padStart(7)}  ${ratio.toFixed(2)} ${verdict(pass)}`);
}
const unexpected = Object.keys(first).filter((e) => !(e in need));
if (unexpected.length) {
  ok1 = false;
  console.log(`unexpected endpoints: ${unexpected.join(', ')}`);
}
console.log(`${'total'.padEnd(56)} ${String(totalReq).padStart(8)} ${String(totalNeed).padStart(7)}  ${(totalReq / totalNeed).toFixed(2)} ${verdict(ok1)}`);

const second = await sync();
const incremental = ['GET /projects/{project_id}/errors', 'GET /projects/{project_id}/events', 'GET /projects/{project_id}/releases'];
let ok2 = true;
console.log('\n2. second sync, no new data: incremental streams ≤ 1 request per project; full-refresh streams as needed');
for (const [endpoint, needed] of Object.entries(need)) {
  const req = second[endpoint] ?? 0;
  const limit = incremental.includes(endpoint) ? projects : endpoint.includes('/comments') ? 0 : needed;
  const pass = req <= limit;
  ok2 &&= pass;
  console.log(`${endpoint.padEnd(56)} ${String(req).padStart(8)} ≤ ${String(limit).padStart(5)}  ${incremental.includes(endpoint) ? '(incremental)' : endpoint.includes('/comments') ? '(through errors)' : '(full refresh)'} ${verdict(pass)}`);
}
const secondTotal = Object.values(second).reduce((a, b) => a + b, 0);
console.log(`total ${secondTotal} requests (first sync: ${totalReq})`);
console.log(JSON.stringify({ full_requests: totalReq, full_needed: totalNeed, full_ratio: Number((totalReq / totalNeed).toFixed(3)), full_pass: ok1, second_requests: secondTotal, second_pass: ok2 }));
await h.cleanup();
await sim.close();
process.exitCode = ok1 && ok2 ? 0 : 1;
