import { fail, json } from '../http/reply.js';
import type { Router } from '../http/router.js';
import { scalar } from '../query/params.js';
import { hash, hashString } from '../prng.js';
import type { ProjectData } from '../data/project.js';
import { integrationViews, traceFieldViews } from '../data/catalog.js';
import { eventFieldViews } from '../query/fields.js';
import { isoMs } from '../format.js';
import { requireProject, type Ctx } from './context.js';

/** Event and trace fields, supported integrations, saved searches and their usage summaries. */
export function catalogRoutes(r: Router<Ctx>): void {
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

  r.add('GET', '/saved_searches/{id}', (ctx, p) => json(requireSavedSearch(ctx, p.id).search));

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

function requireSavedSearchFeature(ctx: Ctx, pd: ProjectData): void {
  if (ctx.sim.world.orgs[pd.project.org]!.lacksSavedSearches)
    fail(403, 'Account requires the performance-comparisons feature');
}

const SEARCHES: Array<[string, Record<string, Array<{ type: string; value: string }>>, string, boolean]> = [
  ['Open errors', { 'error.status': [{ type: 'eq', value: 'open' }] }, 'last_seen', true],
  [
    'Production, last 7 days',
    { 'app.release_stage': [{ type: 'eq', value: 'production' }], 'event.since': [{ type: 'eq', value: '7d' }] },
    'events',
    true,
  ],
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
