import { hash } from '../prng.js';
import { isoMs } from '../format.js';
import type { SimState } from '../state.js';
import type { Membership, OrgSeed, ProjectSeed, TeamSeed } from '../data/world.js';

/** Organizations, projects, collaborators and teams as the API renders them (field order follows the recordings). */
export function orgView(sim: SimState, origin: string, o: OrgSeed): Record<string, unknown> {
  const creator = sim.world.users[o.creator]!;
  return {
    id: o.id,
    name: o.name,
    slug: o.slug,
    creator: { id: creator.id, name: creator.name, email: creator.email },
    created_at: isoMs(o.createdSec * 1000 + (hash(o.createdSec) % 1000)),
    updated_at: isoMs(o.updatedMs),
    auto_upgrade: o.index % 2 === 0,
    upgrade_url: `${origin}/settings/${o.slug}/plans-billing?plansBilling%5Bstep%5D=collaborators-and-events`,
    can_start_pro_trial: false,
    pro_trial_ends_at: null,
    pro_trial_feature: false,
    billing_emails: [creator.email],
    api_key: o.apiKey,
    collaborators_url: `${origin}/organizations/${o.id}/collaborators`,
    projects_url: `${origin}/organizations/${o.id}/projects`,
    managed_by_platform_services: false,
  };
}

export interface ProjectCounts {
  open: number;
  forReview: number;
}

export function projectView(
  sim: SimState,
  origin: string,
  p: ProjectSeed,
  counts: ProjectCounts,
): Record<string, unknown> {
  const org = sim.world.orgs[p.org]!;
  const collaborators = sim.world.projectMembers(p.gi).length;
  const teams = sim.world.teamsOf(p.org).filter((t) => t.projects.includes(p.gi)).length;
  return {
    id: p.id,
    organization_id: org.id,
    slug: p.slug,
    name: p.name,
    api_key: p.apiKey,
    type: p.kind.type,
    is_full_view: true,
    release_stages: p.releaseStages,
    language: p.kind.language,
    created_at: isoMs(p.createdMs),
    updated_at: isoMs(p.createdMs + 86_400_000 * 3),
    errors_url: `${origin}/projects/${p.id}/errors`,
    events_url: `${origin}/projects/${p.id}/events`,
    url: `${origin}/projects/${p.id}`,
    html_url: `${origin}/${org.slug}/${p.slug}`,
    open_error_count: counts.open,
    for_review_error_count: counts.forReview,
    collaborators_count: collaborators,
    teams_count: teams,
    global_grouping: [],
    location_grouping: [],
    discarded_app_versions: [],
    discarded_errors: [],
    custom_event_fields_used: 1,
    resolve_on_deploy: false,
    url_whitelist: [],
    ignore_old_browsers: false,
    ignored_browser_versions: {},
    default_performance_percentile: 'p75',
    performance_display_type: p.kind.platform === 'mobile' ? 'mobile' : p.kind.platform === 'browser' ? 'js' : 'server',
    // The project's stability targets (docs/bugsnag-api.md, Projects): each a value with who set it and when.
    stability_target_type: p.kind.platform === 'server' ? 'session' : 'user',
    target_stability: {
      value: 0.995,
      updated_at: isoMs(p.createdMs + 86_400_000),
      updated_by_id: sim.world.users[org.creator]!.id,
    },
    critical_stability: {
      value: 0.985,
      updated_at: isoMs(p.createdMs + 86_400_000),
      updated_by_id: sim.world.users[org.creator]!.id,
    },
  };
}

export function collaboratorView(sim: SimState, origin: string, m: Membership): Record<string, unknown> {
  const u = sim.world.users[m.user]!;
  const roles: Record<string, string> = {};
  for (const [gi, role] of m.roles) roles[sim.world.projects[gi]!.id] = role;
  const h = hash(sim.opts.seed, m.user, 17);
  return {
    id: u.id,
    name: u.name,
    email: u.email,
    two_factor_enabled: u.twoFactor,
    two_factor_enabled_on: u.twoFactor ? isoMs(u.createdMs + 86_400_000 * 10) : null,
    recovery_codes_remaining: u.twoFactor ? 8 : 0,
    password_updated_on: isoMs(u.createdMs + 86_400_000 * (h % 90)),
    show_time_in_utc: h % 3 === 0,
    projects_url: `${origin}/users/${u.id}/projects`,
    heroku: false,
    created_at: isoMs(u.createdMs),
    is_admin: m.admin,
    pending_invitation: u.pending,
    last_request_at: u.lastRequestMs === null ? null : isoMs(u.lastRequestMs),
    project_ids: m.projects.map((gi) => sim.world.projects[gi]!.id),
    paid_for: !u.pending,
    project_roles: roles,
    managed_by_smartbear_id: false,
    team_ids: m.teams.map((t) => sim.world.teams.find((x) => x.org === m.org && x.index === t)!.id),
  };
}

export function teamView(t: TeamSeed): Record<string, unknown> {
  return { id: t.id, name: t.name, collaborator_count: t.members.length, project_count: t.projects.length };
}

/** The short user object comments carry. */
export function commentAuthor(sim: SimState, origin: string, user: number): Record<string, unknown> {
  const u = sim.world.users[user]!;
  const h = hash(sim.opts.seed, user, 17);
  return {
    id: u.id,
    name: u.name,
    email: u.email,
    two_factor_enabled: u.twoFactor,
    two_factor_enabled_on: u.twoFactor ? isoMs(u.createdMs + 86_400_000 * 10) : null,
    password_updated_on: isoMs(u.createdMs + 86_400_000 * (h % 90)),
    show_time_in_utc: h % 3 === 0,
    projects_url: `${origin}/users/${u.id}/projects`,
    heroku: false,
    recovery_codes_remaining: u.twoFactor ? 8 : 0,
  };
}
