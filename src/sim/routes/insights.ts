import { fail, json, noContent, type Reply } from '../http/reply.js';
import type { Router } from '../http/router.js';
import { list as listParam, scalar } from '../query/params.js';
import { hash, hashString } from '../prng.js';
import { countEvents, errorWindowStats, residueMask } from '../data/counting.js';
import { endUser, type EventProto } from '../data/errors.js';
import type { ProjectData } from '../data/project.js';
import type { CompiledFilters } from '../query/filters.js';
import { eventFieldViews, integrationViews, traceFieldViews } from '../data/catalog.js';
import { isoMs, isoZ } from '../format.js';
import { filtersOf, requireError, requireProject, type Ctx } from './context.js';

const DAY = 86_400;
const RESOLUTIONS: Record<string, number> = { '1m': 60, '5m': 300, '30m': 1800, '2h': 7200, '12h': 43_200 };
const MAX_POINTS = 2000;

/** Trends, stability, pivots, event and trace fields, saved searches and integrations. */
export function insightRoutes(r: Router<Ctx>): void {
  // `/trend` is what the recordings show, `/trends` what the spec says; both answer (API.md §2.9).
  for (const name of ['trend', 'trends']) {
    r.add('GET', `/projects/{project_id}/${name}`, (ctx, p) => trend(ctx, requireProject(ctx, p.project_id), null));
    r.add('GET', `/projects/{project_id}/errors/{error_id}/${name}`, (ctx, p) => {
      const pd = requireProject(ctx, p.project_id);
      return trend(ctx, pd, requireError(ctx, pd, p.error_id));
    });
  }

  r.add('GET', '/projects/{project_id}/stability_trend', (ctx, p) => stability(ctx, requireProject(ctx, p.project_id)));

  r.add('GET', '/projects/{project_id}/pivots', (ctx, p) => pivots(ctx, requireProject(ctx, p.project_id), null));
  r.add('GET', '/projects/{project_id}/errors/{error_id}/pivots', (ctx, p) => {
    const pd = requireProject(ctx, p.project_id);
    return pivots(ctx, pd, requireError(ctx, pd, p.error_id));
  });

  r.add('GET', '/projects/{project_id}/event_fields', (ctx, p) => {
    requireProject(ctx, p.project_id);
    return json(eventFieldViews());
  });

  r.add('GET', '/projects/{project_id}/trace_fields', (ctx, p) => {
    requireProject(ctx, p.project_id);
    return json(traceFieldViews());
  });

  r.add('GET', '/integrations', () => json(integrationViews()));

  r.add('GET', '/projects/{project_id}/saved_searches', (ctx, p) => {
    const pd = requireProject(ctx, p.project_id);
    requireSavedSearchFeature(ctx, pd);
    const shared = scalar(ctx.query, 'shared');
    const rows = savedSearches(ctx, pd)
      .filter((s) => shared === undefined || String(s.shared) === shared)
      .sort((a, b) => String(a.name).localeCompare(String(b.name)));
    return json(rows);
  });

  r.add('GET', '/saved_searches/{id}', (ctx, p) => {
    return json(requireSavedSearch(ctx, p.id).search);
  });

  r.add('GET', '/saved_searches/{id}/usage_summary', (ctx, p) => {
    const { search } = requireSavedSearch(ctx, p.id);
    const h = hash(hashString(String(search.id)));
    return json({
      project_notifications_count: h % 3,
      current_user_using_for_email_notification: h % 2 === 0,
      collaborator_email_notifications_count: h % 5,
      performance_monitor_count: 0,
    });
  });
}

function trend(ctx: Ctx, pd: ProjectData, onlyError: number | null): Reply {
  const f = filtersOf(ctx, pd);
  const bucketsRaw = scalar(ctx.query, 'buckets_count');
  const resolution = scalar(ctx.query, 'resolution');
  if (bucketsRaw === undefined && resolution === undefined) fail(400, 'Either buckets_count or resolution must be provided');
  const nowSec = Math.floor(ctx.nowMs / 1000);
  const firstEvent = onlyError === null ? (pd.totalEvents > 0 ? pd.timeOf(0) : nowSec) : pd.timeOf(pd.occurrenceIndex(onlyError, 0));
  const from = Math.max(f.since ?? firstEvent, firstEvent);
  const to = Math.max(from + 1, Math.min(f.before ?? nowSec, nowSec));
  const bounds: number[] = [];
  if (bucketsRaw !== undefined) {
    const n = Number(bucketsRaw);
    if (!Number.isInteger(n) || n < 1 || n > 50) fail(400, 'Buckets count must be between 1 and 50');
    for (let j = 0; j <= n; j++) bounds.push(from + Math.round((j * (to - from)) / n));
  } else {
    const width = RESOLUTIONS[resolution ?? ''];
    if (!width) fail(400, 'Resolution is not included in the list');
    const start = Math.floor(from / width) * width;
    const end = Math.ceil(to / width) * width;
    if ((end - start) / width > MAX_POINTS) fail(400, 'Too many data points requested. Please use a narrower time range or lower resolution.');
    for (let t = start; t <= end; t += width) bounds.push(t);
  }
  const rows = [];
  for (let j = 0; j + 1 < bounds.length; j++) {
    const a = bounds[j]!;
    const b = bounds[j + 1]!;
    rows.push({ from: isoZ(a), to: isoZ(b), events_count: countEvents(pd, f, pd.indexAt(a), pd.indexAt(b), onlyError ?? undefined) });
  }
  return json(rows);
}

/** One point per UTC day for the 30 days before today, primary release stage only; 204 / 404 as documented. */
function stability(ctx: Ctx, pd: ProjectData): Reply {
  const p = pd.project;
  if (!p.primaryStage) fail(404, 'This project does not have a primary release stage');
  if (!p.hasSessions) return noContent();
  const today = Math.floor(ctx.nowMs / 1000 / DAY) * DAY;
  const points = [];
  for (let d = 30; d >= 1; d--) {
    const start = today - d * DAY;
    const h = hash(pd.seed, hashString('stability'), start / DAY);
    const total = h % 7 === 0 ? 0 : 200 + (h % 5000);
    const unhandled = total === 0 ? 0 : (h >>> 8) % Math.max(1, Math.floor(total / 25));
    const users = Math.floor(total / 3);
    const usersUnhandled = Math.min(users, Math.ceil(unhandled / 2));
    points.push({
      bucket_start: isoMs(start * 1000),
      bucket_end: isoMs((start + DAY) * 1000),
      total_sessions_count: total,
      unhandled_sessions_count: unhandled,
      unhandled_rate: total === 0 ? 0 : round4(unhandled / total),
      users_seen: users,
      users_with_unhandled: usersUnhandled,
      unhandled_user_rate: users === 0 ? 0 : round4(usersUnhandled / users),
    });
  }
  return json({ project_id: p.id, release_stage_name: p.primaryStage, timeline_points: points });
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

type PivotKey = (p: EventProto, pd: ProjectData) => string | null;
const PIVOTS: Array<[string, string, PivotKey]> = [
  ['app.release_stage', 'Release stage', (p) => p.stage],
  ['version.seen_in', 'App version', (p) => p.appVersion],
  ['user.email', 'User email', (p, pd) => (p.user < 0 ? null : endUser(pd.world.opts.seed, pd.project.org, p.user).email)],
  ['os.name', 'OS', (p) => p.osName],
  ['browser.name', 'Browser', (p) => p.browserName],
  ['device.hostname', 'Hostname', (p) => p.hostname],
  ['device.model', 'Device model', (p) => p.model],
];

/** Value distributions over every matching event (counted arithmetically, per error and residue). */
function pivots(ctx: Ctx, pd: ProjectData, onlyError: number | null): Reply {
  const f = filtersOf(ctx, pd);
  const sizeRaw = scalar(ctx.query, 'summary_size');
  if (sizeRaw !== undefined && !/^\d+$/.test(sizeRaw)) fail(400, 'summary_size must be a number');
  const size = sizeRaw === undefined ? 10 : Number(sizeRaw);
  const wanted = listParam(ctx.query, 'pivots', false);
  const lo = f.since === null ? 0 : pd.indexAt(f.since);
  const hi = pd.indexAt(Math.min(f.before ?? Infinity, ctx.sim.defaultBaseSec(ctx.nowMs)));
  const tallies = PIVOTS.filter(([id]) => !wanted || wanted.includes(id)).map(([id, name, key]) => ({ id, name, key, counts: new Map<string, number>(), none: 0 }));
  const errors = onlyError === null ? range(pd.errorCount) : [onlyError];
  for (const e of errors) tally(pd, e, f, lo, hi, tallies);
  return json(
    tallies.map((t) => {
      const sorted = [...t.counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      const shown = sorted.slice(0, size);
      const other = sorted.slice(size).reduce((n, [, c]) => n + c, 0);
      return {
        event_field_display_id: t.id,
        name: t.name,
        cardinality: sorted.length,
        summary: { list: shown.map(([value, events]) => ({ value, events })), no_value: t.none, other },
        average: null,
      };
    }),
  );
}

interface Tally {
  key: PivotKey;
  counts: Map<string, number>;
  none: number;
}

function tally(pd: ProjectData, e: number, f: CompiledFilters, lo: number, hi: number, tallies: Tally[]): void {
  if (!errorWindowStats(pd, e, f, lo, hi)) return;
  const seed = pd.errorSeed(e);
  const k0 = pd.occurrencesBelow(e, lo);
  const k1 = pd.occurrencesBelow(e, hi);
  const mask = residueMask(pd, e, f);
  for (let r = 0; r < seed.period; r++) {
    if (mask && !mask[r]) continue;
    const first = k0 + ((r - (k0 % seed.period) + seed.period) % seed.period);
    if (first >= k1) continue;
    const n = Math.floor((k1 - 1 - first) / seed.period) + 1;
    const proto = pd.proto(e, r);
    for (const t of tallies) {
      const v = t.key(proto, pd);
      if (v === null) t.none += n;
      else t.counts.set(v, (t.counts.get(v) ?? 0) + n);
    }
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function requireSavedSearchFeature(ctx: Ctx, pd: ProjectData): void {
  if (ctx.sim.world.orgs[pd.project.org]!.lacksSavedSearches) fail(403, 'Account requires the performance-comparisons feature');
}

const SEARCHES: Array<[string, Record<string, Array<{ type: string; value: string }>>, string, boolean]> = [
  ['Open errors', { 'error.status': [{ type: 'eq', value: 'open' }] }, 'last_seen', true],
  ['Production, last 7 days', { 'app.release_stage': [{ type: 'eq', value: 'production' }], 'event.since': [{ type: 'eq', value: '7d' }] }, 'events', true],
  ['Assigned to me', { 'error.assigned_to': [{ type: 'eq', value: 'me' }] }, 'users', false],
];

function savedSearches(ctx: Ctx, pd: ProjectData): Array<Record<string, unknown>> {
  const owner = ctx.sim.world.orgs[pd.project.org]!.creator;
  return SEARCHES.map(([name, filters, sort, shared], i) => {
    const created = pd.project.createdMs + (i + 1) * 86_400_000;
    const uid = ctx.sim.world.users[owner]!.id;
    return {
      id: ctx.sim.world.ids.encode('savedSearch', pd.project.gi, i),
      user_id: uid,
      project_id: pd.project.id,
      name,
      type: 'error',
      filters,
      additional_filtersets: [],
      sort,
      shared,
      project_default: i === 0,
      updated_by_id: uid,
      created_at: isoMs(created),
      updated_at: isoMs(created + 3_600_000),
      has_assigned_to_me: 'error.assigned_to' in filters,
      has_assigned_to: 'error.assigned_to' in filters,
      has_created_issue_filter: false,
      has_status_filter: 'error.status' in filters,
      new_error_inclusion: 'all',
      open_error_inclusion: 'all',
      for_review_error_inclusion: 'error.status' in filters ? 'none' : 'all',
      snoozed_error_inclusion: 'error.status' in filters ? 'none' : 'all',
      fixed_error_inclusion: 'error.status' in filters ? 'none' : 'all',
      ignored_error_inclusion: 'error.status' in filters ? 'none' : 'all',
    };
  });
}

function requireSavedSearch(ctx: Ctx, id: string | undefined): { pd: ProjectData; search: Record<string, unknown> } {
  const d = ctx.sim.world.ids.decodeAs('savedSearch', id ?? '');
  if (!d || !ctx.sim.world.canSeeProject(ctx.token, d.parent)) fail(404, 'Saved Search not found');
  const pd = ctx.sim.project(d.parent);
  requireSavedSearchFeature(ctx, pd);
  const search = savedSearches(ctx, pd)[d.index];
  if (!search) fail(404, 'Saved Search not found');
  return { pd, search };
}
