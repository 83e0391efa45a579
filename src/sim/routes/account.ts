import { fail, json, type Reply } from '../http/reply.js';
import type { Router } from '../http/router.js';
import { scalar } from '../query/params.js';
import type { Membership, ProjectSeed } from '../data/world.js';
import { collaboratorView, orgView, projectView, teamView, type ProjectCounts } from '../views/account.js';
import {
  keysetPage,
  list,
  nextLink,
  perPage,
  requireOrg,
  requireOrgAdmin,
  requireProject,
  sortOf,
  type Ctx,
} from './context.js';

/** Current user's organizations, organizations, projects, collaborators and teams. */
export function accountRoutes(r: Router<Ctx>): void {
  r.add('GET', '/user/organizations', (ctx) => {
    const admin = scalar(ctx.query, 'admin') === 'true';
    const orgs = ctx.sim.world
      .tokenOrgs(ctx.token)
      .filter((o) => !admin || ctx.sim.world.isOrgAdmin(ctx.token, o.index))
      .sort((a, b) => b.createdSec - a.createdSec);
    const pp = perPage(ctx, 30, 100);
    const views = orgs.map((o) => orgView(ctx.sim, ctx.origin, o) as { id: string });
    // The documented next link spells out the defaults; the 2017 recording has no X-Total-Count here.
    const { page, next } = keysetPage(ctx, views, pp, { direction: 'desc', per_page: String(pp), sort: 'created_at' });
    return list(page, { next });
  });

  r.add('GET', '/organizations/{organization_id}', (ctx, p) =>
    json(orgView(ctx.sim, ctx.origin, requireOrg(ctx, p.organization_id))),
  );

  r.add('GET', '/organizations/{organization_id}/projects', (ctx, p) => {
    const org = requireOrg(ctx, p.organization_id);
    const visible = org.projects
      .filter((gi) => ctx.sim.world.canSeeProject(ctx.token, gi))
      .map((gi) => ctx.sim.world.projects[gi]!);
    return projectList(ctx, visible);
  });

  r.add('GET', '/projects/{project_id}', (ctx, p) => {
    const pd = requireProject(ctx, p.project_id);
    return json(projectView(ctx.sim, ctx.origin, pd.project, projectCounts(ctx, pd.project.gi)));
  });

  r.add('GET', '/organizations/{organization_id}/collaborators', (ctx, p) => {
    const org = requireOrg(ctx, p.organization_id);
    requireOrgAdmin(ctx, org);
    return collaboratorList(ctx, ctx.sim.world.orgMembers(org.index));
  });

  r.add('GET', '/organizations/{organization_id}/collaborators/{id}', (ctx, p) => {
    const org = requireOrg(ctx, p.organization_id);
    requireOrgAdmin(ctx, org);
    return json(collaboratorView(ctx.sim, ctx.origin, memberOrFail(ctx.sim.world.orgMembers(org.index), ctx, p.id)));
  });

  r.add('GET', '/organizations/{organization_id}/collaborators/{collaborator_id}/projects', (ctx, p) => {
    const org = requireOrg(ctx, p.organization_id);
    requireOrgAdmin(ctx, org);
    const m = memberOrFail(ctx.sim.world.orgMembers(org.index), ctx, p.collaborator_id);
    return projectList(
      ctx,
      m.projects.map((gi) => ctx.sim.world.projects[gi]!),
    );
  });

  r.add('GET', '/projects/{project_id}/collaborators', (ctx, p) => {
    const pd = requireProject(ctx, p.project_id);
    return collaboratorList(ctx, ctx.sim.world.projectMembers(pd.project.gi));
  });

  r.add('GET', '/projects/{project_id}/collaborators/{id}', (ctx, p) => {
    const pd = requireProject(ctx, p.project_id);
    return json(
      collaboratorView(ctx.sim, ctx.origin, memberOrFail(ctx.sim.world.projectMembers(pd.project.gi), ctx, p.id)),
    );
  });

  r.add('GET', '/organizations/{organization_id}/teams', (ctx, p) => {
    const org = requireOrg(ctx, p.organization_id);
    requireOrgAdmin(ctx, org);
    const q = (scalar(ctx.query, 'q') ?? '').toLowerCase();
    const teams = ctx.sim.world.teamsOf(org.index).filter((t) => t.name.toLowerCase().includes(q));
    const pp = perPage(ctx, 30, 100);
    // Teams page with an opaque `offset` token rather than a record id (docs/bugsnag-api.md §7).
    const raw = scalar(ctx.query, 'offset');
    let start = 0;
    if (raw) {
      const m = /^t(\d+)$/.exec(Buffer.from(raw, 'base64url').toString('utf8'));
      if (!m) fail(400, 'Pagination Offset is invalid');
      start = Number(m[1]);
    }
    const page = teams.slice(start, start + pp);
    const next =
      start + pp < teams.length ? nextLink(ctx, { offset: Buffer.from(`t${start + pp}`).toString('base64url') }) : null;
    return list(page.map(teamView), { next });
  });

  r.add('GET', '/organizations/{organization_id}/teams/{id}', (ctx, p) => {
    const org = requireOrg(ctx, p.organization_id);
    requireOrgAdmin(ctx, org);
    const team = ctx.sim.world.teamsOf(org.index).find((t) => t.id === p.id);
    if (!team) fail(404, 'Team not found');
    return json(teamView(team));
  });
}

function memberOrFail(members: Membership[], ctx: Ctx, id: string | undefined): Membership {
  const m = members.find((x) => ctx.sim.world.users[x.user]!.id === id);
  if (!m) fail(404, 'User not found');
  return m;
}

function collaboratorList(ctx: Ctx, members: Membership[]): Reply {
  const q = (scalar(ctx.query, 'q') ?? '').toLowerCase();
  const views = members
    .filter((m) => {
      const u = ctx.sim.world.users[m.user]!;
      return !q || (u.name ?? '').toLowerCase().includes(q) || u.email.toLowerCase().includes(q);
    })
    .map((m) => collaboratorView(ctx.sim, ctx.origin, m) as { id: string });
  const { page, next } = keysetPage(ctx, views, perPage(ctx, 30, 100));
  return list(page, { total: views.length, next });
}

function projectList(ctx: Ctx, projects: ProjectSeed[]): Reply {
  const sort = sortOf(ctx, ['created_at', 'name', 'favorite']) ?? 'created_at';
  const direction = scalar(ctx.query, 'direction');
  if (sort === 'favorite' && direction === 'desc') fail(400, 'favorites cannot be sorted descending');
  const q = (scalar(ctx.query, 'q') ?? '').toLowerCase();
  const asc = sort === 'favorite' ? true : direction === 'asc';
  const key = (p: ProjectSeed): string | number =>
    sort === 'name' ? p.name.toLowerCase() : sort === 'favorite' ? (p.local === 0 ? 0 : 1) : p.createdMs;
  const sorted = projects
    .filter((p) => !q || p.name.toLowerCase().includes(q))
    .sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      const c = ka < kb ? -1 : ka > kb ? 1 : a.gi - b.gi;
      return asc ? c : -c;
    });
  const views = sorted.map((p) => projectView(ctx.sim, ctx.origin, p, projectCounts(ctx, p.gi)) as { id: string });
  const { page, next } = keysetPage(ctx, views, perPage(ctx, 30, 100));
  return list(page, { total: views.length, next });
}

export function projectCounts(ctx: Ctx, gi: number): ProjectCounts {
  const pd = ctx.sim.project(gi);
  const key = `counts:${gi}:${pd.stateVersion}`;
  const hit = ctx.sim.cache.get(key) as ProjectCounts | undefined;
  if (hit) return hit;
  const counts: ProjectCounts = { open: 0, forReview: 0 };
  for (let e = 0; e < pd.errorCount; e++) {
    if (pd.isDeleted(e)) continue;
    const s = pd.peekState(e).status;
    if (s === 'open') counts.open++;
    else if (s === 'for_review') counts.forReview++;
  }
  ctx.sim.cache.set(key, counts);
  return counts;
}
