import { fail, json } from '../http/reply.js';
import type { Router } from '../http/router.js';
import { list as listParam, scalar } from '../query/params.js';
import type { ProjectData } from '../data/project.js';
import {
  errorOverview,
  flagsInStage,
  flagView,
  networkGroupingView,
  pageLoadViews,
  spanGroupSeeds,
  spanGroupView,
  variantView,
} from '../data/performance.js';
import { keysetPage, list, nextLink, perPage, requireProject, sortOf, type Ctx } from './context.js';

/**
 * Feature flags and BugSnag Performance (docs/bugsnag-api.md, Feature flags and Performance). Feature-flag calls need
 * `release_stage_name` (400 without, as release groups do); their lists page by keyset (`offset=<id of the last
 * row>`), span groups by a numeric `offset`, as the OpenAPI description gives. Plans without the feature answer 403:
 * feature flags as saved searches do for theirs, performance as the network endpoint grouping is documented to.
 */
export function performanceRoutes(r: Router<Ctx>): void {
  r.add('GET', '/projects/{project_id}/feature_flags', (ctx, p) => {
    const { pd, stage } = flagsContext(ctx, p.project_id);
    const pp = perPage(ctx, 30, 100);
    const sort = sortOf(ctx, ['name', 'first_seen']) ?? 'name';
    const desc = scalar(ctx.query, 'direction') === 'desc';
    const inactive = scalar(ctx.query, 'include_inactive') === 'true';
    const summary = scalar(ctx.query, 'include_variant_summary') === 'true';
    let rows = flagsInStage(ctx.sim.world, pd.project, stage).filter((f) => inactive || f.active);
    if (sort === 'first_seen') rows = rows.sort((a, b) => a.firstSeenSec - b.firstSeenSec);
    if (desc) rows = rows.reverse();
    const { page, next } = keysetPage(
      ctx,
      rows.map((f) => ({ id: f.flag.id, f })),
      pp,
    );
    return list(
      page.map((x) => flagView(x.f, summary)),
      { total: rows.length, next },
    );
  });

  r.add('GET', '/projects/{project_id}/feature_flags/{id}/variants', (ctx, p) => {
    const { flag } = requireFlag(ctx, p.project_id, p.id);
    const views = flag.flag.variants.map((v) => ({ id: v.id, j: v.index }));
    const { page, next } = keysetPage(ctx, views, perPage(ctx, 30, 100));
    return list(
      page.map((v) => variantView(flag, v.j)),
      { total: views.length, next },
    );
  });

  r.add('GET', '/projects/{project_id}/feature_flags/{id}/error_overview', (ctx, p) => {
    const { pd, flag } = requireFlag(ctx, p.project_id, p.id);
    return json(errorOverview(ctx.sim.world, pd.project, flag));
  });

  r.add('GET', '/projects/{project_id}/feature_flags/{id}/variants/error_overview', (ctx, p) => {
    const { pd, flag } = requireFlag(ctx, p.project_id, p.id);
    const ids = listParam(ctx.query, 'variant_ids', true);
    if (!ids || ids.length === 0) fail(400, "variant_ids can't be blank");
    return json(
      flag.flag.variants
        .filter((v) => ids.includes(v.id))
        .map((v) => ({ variant_id: v.id, ...errorOverview(ctx.sim.world, pd.project, flag, v.index) })),
    );
  });

  r.add('GET', '/projects/{project_id}/span_groups', (ctx, p) => {
    const pd = performanceProject(ctx, p.project_id);
    const sort = sortOf(ctx, ['total_spans', 'last_seen', 'name', 'display_name', 'duration_p50', 'duration_p75']);
    const views = spanGroupSeeds(ctx.sim.world, pd.project).map((g) => spanGroupView(ctx.sim.world, pd.project, g));
    const key = (v: Record<string, unknown>): number | string => {
      const s = v.statistics as { total_spans: number; last_seen: string; duration_statistics: Record<string, number> };
      if (sort === 'name' || sort === 'display_name') return String(v[sort]);
      if (sort === 'last_seen') return s.last_seen;
      if (sort === 'duration_p50' || sort === 'duration_p75') return s.duration_statistics[sort.slice(9)]!;
      return s.total_spans;
    };
    const asc = scalar(ctx.query, 'direction') === 'asc' || sort?.endsWith('name') === true;
    const ordered = views.sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      const c = ka < kb ? -1 : ka > kb ? 1 : String(a.id) < String(b.id) ? -1 : 1;
      return asc ? c : -c;
    });
    return offsetPage(ctx, ordered);
  });

  r.add('GET', '/projects/{project_id}/page_load_span_groups', (ctx, p) => {
    const pd = performanceProject(ctx, p.project_id);
    return offsetPage(ctx, pageLoadViews(ctx.sim.world, pd.project));
  });

  r.add('GET', '/projects/{project_id}/network_endpoint_grouping', (ctx, p) => {
    const pd = requireProject(ctx, p.project_id);
    if (lacksFeatures(ctx, pd)) fail(403, 'Organization requires the performance network grouping feature');
    return json(networkGroupingView(pd.project));
  });
}

function lacksFeatures(ctx: Ctx, pd: ProjectData): boolean {
  return ctx.sim.world.orgs[pd.project.org]!.lacksFlagsAndPerformance;
}

function flagsContext(ctx: Ctx, projectId: string | undefined): { pd: ProjectData; stage: string } {
  const pd = requireProject(ctx, projectId);
  if (lacksFeatures(ctx, pd)) fail(403, 'Account requires the features-experiments feature');
  const stage = scalar(ctx.query, 'release_stage_name');
  if (!stage) fail(400, "release_stage_name can't be blank");
  return { pd, stage };
}

function requireFlag(ctx: Ctx, projectId: string | undefined, id: string | undefined) {
  const { pd, stage } = flagsContext(ctx, projectId);
  const d = ctx.sim.world.ids.decodeAs('featureFlag', id ?? '');
  const flag =
    d && d.parent === pd.project.gi
      ? flagsInStage(ctx.sim.world, pd.project, stage).find((f) => f.flag.index === d.index)
      : undefined;
  if (!flag) fail(404, 'Feature flag not found');
  return { pd, flag };
}

function performanceProject(ctx: Ctx, projectId: string | undefined): ProjectData {
  const pd = requireProject(ctx, projectId);
  if (lacksFeatures(ctx, pd)) fail(403, 'Organization requires the performance feature');
  return pd;
}

/** Numeric `offset` paging (the OpenAPI description's `offset`: "the offset for the next page of results"). */
function offsetPage(ctx: Ctx, rows: Array<Record<string, unknown>>) {
  const pp = perPage(ctx, 30, 100);
  const raw = scalar(ctx.query, 'offset');
  if (raw !== undefined && !/^\d+$/.test(raw)) fail(400, 'offset must be a number');
  const offset = raw === undefined ? 0 : Number(raw);
  const next = offset + pp < rows.length ? nextLink(ctx, { offset: String(offset + pp) }) : null;
  return list(rows.slice(offset, offset + pp), { total: rows.length, next });
}
