import { fail, json } from '../http/reply.js';
import type { Router } from '../http/router.js';
import { scalar } from '../query/params.js';
import { parseTimestamp } from '../../core/time.js';
import type { ProjectData } from '../data/project.js';
import type { ReleaseSeed } from '../data/releases.js';
import { releaseGroupView, releaseView } from '../views/releases.js';
import { list, nextLink, perPage, requireProject, sortOf, type Ctx } from './context.js';

/**
 * Releases page with a numeric `offset` (with no other parameter the next link is the bare `?offset=5` of the
 * recording) and refuse per_page above 10 (PostHog saw 400 in 2026). Release groups and the releases of a group page
 * with a `page_token` of `<id>|<epoch ms>|0`, as recorded; the releases of a group carry no X-Total-Count, as recorded.
 */
export function releaseRoutes(r: Router<Ctx>): void {
  r.add('GET', '/projects/{project_id}/releases', (ctx, p) => {
    const pd = requireProject(ctx, p.project_id);
    const pp = perPage(ctx, 5, 10, { reject: 'per_page must be between 1 and 10' });
    const stage = scalar(ctx.query, 'release_stage');
    const baseRaw = scalar(ctx.query, 'base');
    let beforeSec = Infinity;
    if (baseRaw) {
      const d = parseTimestamp(baseRaw);
      if (!d) fail(400, 'base must be iso8601 format');
      beforeSec = d.getTime() / 1000;
    }
    const sort = sortOf(ctx, ['timestamp', 'percent_of_sessions']) ?? 'timestamp';
    const rows = pd.releases.releases
      .filter((x) => (!stage || x.stage === stage) && x.timeSec < beforeSec)
      .sort(sort === 'timestamp' ? byTimeDesc : (a, b) => b.totalSessions - a.totalSessions || byTimeDesc(a, b));
    const offRaw = scalar(ctx.query, 'offset');
    if (offRaw !== undefined && !/^\d+$/.test(offRaw)) fail(400, 'offset must be a number');
    const offset = offRaw === undefined ? 0 : Number(offRaw);
    const page = rows.slice(offset, offset + pp);
    const next = offset + pp < rows.length ? nextLink(ctx, { offset: String(offset + pp) }) : null;
    return list(
      page.map((x) => releaseView(pd, x)),
      { total: rows.length, next },
    );
  });

  r.add('GET', '/projects/{project_id}/releases/{release_id}', (ctx, p) => {
    const pd = requireProject(ctx, p.project_id);
    const d = ctx.sim.world.ids.decodeAs('release', p.release_id ?? '');
    const rel = d && d.parent === pd.project.gi ? pd.releases.releases[d.index] : undefined;
    if (!rel) fail(404, 'Release not found');
    return json(releaseView(pd, rel));
  });

  r.add('GET', '/projects/{project_id}/release_groups', (ctx, p) => {
    const pd = requireProject(ctx, p.project_id);
    const stage = scalar(ctx.query, 'release_stage_name');
    if (!stage) fail(400, "release_stage_name can't be blank");
    const topOnly = scalar(ctx.query, 'top_only') === 'true';
    const visibleOnly = scalar(ctx.query, 'visible_only') === 'true';
    const groups = pd.releases.groups
      .filter((g) => g.stage === stage && (!topOnly || g.top) && (!visibleOnly || g.visible))
      .map((g) => ({ id: g.id, sec: pd.releases.releases[g.releases[0]!]!.timeSec, g }))
      .sort((a, b) => b.sec - a.sec || (a.id < b.id ? -1 : 1));
    const { page, next } = tokenPage(ctx, groups, perPage(ctx, 30, 100));
    // X-Total-Count here, unlike the releases of a group (recorded without it): SmartBear's own client reads it on
    // this list (docs/bugsnag-api.md §8); whether the live API sends it is not confirmed (§18).
    return list(
      page.map((x) => releaseGroupView(pd, x.g)),
      { total: groups.length, next },
    );
  });

  r.add('GET', '/release_groups/{id}', (ctx, p) => {
    const { pd, group } = requireGroup(ctx, p.id);
    return json(releaseGroupView(pd, pd.releases.groups[group]!));
  });

  r.add('GET', '/release_groups/{release_group_id}/releases', (ctx, p) => {
    const { pd, group } = requireGroup(ctx, p.release_group_id);
    const rels = pd.releases.groups[group]!.releases.map((i) => pd.releases.releases[i]!)
      .sort(byTimeDesc)
      .map((x) => ({ id: x.id, sec: x.timeSec, x }));
    const { page, next } = tokenPage(ctx, rels, perPage(ctx, 30, 100));
    return list(
      page.map((y) => releaseView(pd, y.x)),
      { next },
    );
  });
}

const byTimeDesc = (a: ReleaseSeed, b: ReleaseSeed) => b.timeSec - a.timeSec || b.index - a.index;

function requireGroup(ctx: Ctx, id: string | undefined): { pd: ProjectData; group: number } {
  const d = ctx.sim.world.ids.decodeAs('releaseGroup', id ?? '');
  if (!d || !ctx.sim.world.canSeeProject(ctx.token, d.parent)) fail(404, 'Release group not found');
  const pd = ctx.sim.project(d.parent);
  if (d.index >= pd.releases.groups.length) fail(404, 'Release group not found');
  return { pd, group: d.index };
}

/** Keyset paging by `page_token=<id of the last row>|<its time in ms>|0`. */
function tokenPage<T extends { id: string; sec: number }>(
  ctx: Ctx,
  items: T[],
  pp: number,
): { page: T[]; next: string | null } {
  const token = scalar(ctx.query, 'page_token');
  let start = 0;
  if (token) {
    const [id, ms, zero] = token.split('|');
    const at = items.findIndex((x) => x.id === id);
    if (at < 0 || zero !== '0' || !/^\d+$/.test(ms ?? '')) fail(400, 'page_token is invalid');
    start = at + 1;
  }
  const page = items.slice(start, start + pp);
  const last = page[page.length - 1];
  const next =
    last && start + pp < items.length ? nextLink(ctx, { page_token: `${last.id}|${last.sec * 1000}|0` }) : null;
  return { page, next };
}
