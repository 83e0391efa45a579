import { hash, hashString, pickBy, Rng } from '../prng.js';
import { apiKeyFor, IdCodec, tokenFor } from '../ids.js';
import type { ResolvedOptions } from '../options.js';
import { FIRST_NAMES, LAST_NAMES, ORG_NAMES, PROJECT_KINDS, TEAM_NAMES, type ProjectKind } from './vocab.js';

/**
 * The small, eagerly built part of the simulated account: organizations, projects, users, who belongs where, tokens
 * and teams. Everything large (errors, events, releases) hangs off a project and is generated lazily elsewhere.
 */
const DAY = 86_400;
const EXTRA_USERS_PER_ORG = 9;
const TEAMS_PER_ORG = 5;

export type TokenRole = 'admin' | 'member' | 'multi-org';

export interface OrgSeed {
  index: number;
  id: string;
  name: string;
  slug: string;
  createdSec: number;
  updatedMs: number;
  creator: number;
  apiKey: string;
  /** The plan lacks the performance-comparisons feature: saved searches answer 403. */
  lacksSavedSearches: boolean;
  /** The plan lacks features-experiments and BugSnag Performance: feature flags and performance answer 403. */
  lacksFlagsAndPerformance: boolean;
  projects: number[];
}

export interface ProjectSeed {
  gi: number;
  org: number;
  local: number;
  id: string;
  name: string;
  slug: string;
  kind: ProjectKind;
  apiKey: string;
  releaseStages: string[];
  /** Null: stability trend answers 404 "This project does not have a primary release stage". */
  primaryStage: string | null;
  /** False: stability trend answers 204. */
  hasSessions: boolean;
  createdMs: number;
}

export interface UserSeed {
  index: number;
  id: string;
  name: string | null;
  email: string;
  createdMs: number;
  lastRequestMs: number | null;
  twoFactor: boolean;
  pending: boolean;
}

export interface Membership {
  user: number;
  org: number;
  admin: boolean;
  /** Global indexes of the projects the user can see in this org. */
  projects: number[];
  /** Project global index → role. */
  roles: Map<number, 'project_owner' | 'project_member'>;
  teams: number[];
}

export interface TeamSeed {
  org: number;
  index: number;
  id: string;
  name: string;
  members: number[];
  projects: number[];
}

export interface TokenSeed {
  token: string;
  user: number;
  role: TokenRole;
  orgs: number[];
}

export class World {
  readonly ids: IdCodec;
  readonly orgs: OrgSeed[] = [];
  readonly projects: ProjectSeed[] = [];
  readonly users: UserSeed[] = [];
  readonly teams: TeamSeed[] = [];
  readonly tokens: TokenSeed[] = [];
  /** `${org}:${user}` → membership. */
  private readonly memberships = new Map<string, Membership>();
  private readonly tokenIndex = new Map<string, TokenSeed>();
  private readonly apiKeys = new Set<string>();

  constructor(readonly opts: ResolvedOptions) {
    this.ids = new IdCodec(opts.seed);
    this.build();
  }

  private build(): void {
    const { seed, orgs, projects: perOrg, anchorSec } = this.opts;
    const nameOffset = hash(seed, hashString('names'));
    // Users 0–2 are the token holders; each org then gets its own extra collaborators.
    const userCount = 3 + orgs * EXTRA_USERS_PER_ORG;
    for (let u = 0; u < userCount; u++) this.users.push(this.makeUser(u, nameOffset));

    for (let o = 0; o < orgs; o++) {
      const rng = Rng.of(seed, hashString('org'), o);
      const name = pickBy(ORG_NAMES, nameOffset + o) + (o >= ORG_NAMES.length ? ` ${o + 1}` : '');
      const createdSec = anchorSec - (700 - o * 20) * DAY + rng.int(DAY);
      this.orgs.push({
        index: o,
        id: this.ids.encode('organization', 0, o),
        name,
        slug: slugify(name),
        createdSec,
        updatedMs: (anchorSec - rng.between(2, 60) * DAY) * 1000 + rng.int(1000),
        creator: o === 0 ? 0 : 2,
        apiKey: apiKeyFor(seed, 'org-notifier-key', o),
        lacksSavedSearches: o === 1,
        lacksFlagsAndPerformance: o === 1,
        projects: [],
      });
      const kindCount = new Map<string, number>();
      for (let j = 0; j < perOrg; j++) {
        const gi = o * perOrg + j;
        const kind = pickBy(PROJECT_KINDS, hash(seed, hashString('project-kind')) + gi);
        const seen = (kindCount.get(kind.name) ?? 0) + 1;
        kindCount.set(kind.name, seen);
        const pname = seen === 1 ? kind.name : `${kind.name} ${seen}`;
        const special = o === 0 ? specialOf(j, perOrg) : 'none';
        const prng = Rng.of(seed, hashString('project'), gi);
        const stages =
          special === 'no-primary-stage'
            ? ['development', 'staging']
            : prng.chance(1, 2)
              ? ['production', 'staging', 'development']
              : ['production', 'staging'];
        const apiKey = apiKeyFor(seed, 'project-notifier-key', gi);
        this.apiKeys.add(apiKey);
        this.projects.push({
          gi,
          org: o,
          local: j,
          id: this.ids.encode('project', 0, gi),
          name: pname,
          slug: slugify(pname),
          kind,
          apiKey,
          releaseStages: stages,
          primaryStage: special === 'no-primary-stage' ? null : 'production',
          hasSessions: special !== 'no-sessions',
          createdMs: (createdSec + (j + 1) * 3 * DAY + prng.int(DAY)) * 1000 + prng.int(1000),
        });
        this.orgs[o]!.projects.push(gi);
      }
    }

    this.buildMemberships();
    this.buildTeams();
    const roles: Array<[TokenRole, number, number[]]> = [
      ['admin', 0, [0]],
      ['member', 1, [0]],
      ['multi-org', 2, orgs > 1 ? [0, 1] : [0]],
    ];
    roles.forEach(([role, user, tokenOrgs], n) => {
      const t: TokenSeed = { token: tokenFor(seed, n), user, role, orgs: tokenOrgs };
      this.tokens.push(t);
      this.tokenIndex.set(t.token, t);
    });
  }

  private makeUser(u: number, nameOffset: number): UserSeed {
    const { seed, anchorSec } = this.opts;
    const rng = Rng.of(seed, hashString('user'), u);
    const first = pickBy(FIRST_NAMES, nameOffset + u * 7);
    const last = pickBy(LAST_NAMES, nameOffset + u * 11 + 3);
    const extra = u >= 3 ? (u - 3) % EXTRA_USERS_PER_ORG : -1;
    const pending = extra === EXTRA_USERS_PER_ORG - 1;
    const emailName = `${first}.${last}`.toLowerCase().replace(/[^a-z.]/g, '');
    return {
      index: u,
      id: this.ids.encode('user', 0, u),
      name: pending ? null : `${first} ${last}`,
      email: `${emailName}${u >= 3 ? u : ''}@example.com`,
      createdMs: (anchorSec - rng.between(100, 600) * DAY) * 1000 + rng.int(1000),
      lastRequestMs: pending ? null : (anchorSec - rng.int(5 * DAY)) * 1000 + rng.int(1000),
      twoFactor: rng.chance(1, 2),
      pending,
    };
  }

  private buildMemberships(): void {
    const { orgs, seed } = this.opts;
    for (let o = 0; o < orgs; o++) {
      const all = this.orgs[o]!.projects;
      const add = (user: number, admin: boolean, projects: number[]) => {
        const roles = new Map<number, 'project_owner' | 'project_member'>();
        for (const p of projects) roles.set(p, admin ? 'project_owner' : 'project_member');
        this.memberships.set(`${o}:${user}`, { user, org: o, admin, projects, roles, teams: [] });
      };
      if (o === 0) {
        add(0, true, all);
        // The plain member cannot see the org's last project: it answers 404, never 403.
        add(1, false, all.length > 1 ? all.slice(0, -1) : all);
        add(2, false, all);
      } else if (o === 1) {
        add(2, true, all);
      }
      for (let j = 0; j < EXTRA_USERS_PER_ORG; j++) {
        const u = 3 + o * EXTRA_USERS_PER_ORG + j;
        const rng = Rng.of(seed, hashString('membership'), o, u);
        const admin = j < 2;
        add(u, admin, admin ? all : all.filter(() => rng.chance(2, 3)));
      }
    }
  }

  private buildTeams(): void {
    const { orgs, seed } = this.opts;
    for (let o = 0; o < orgs; o++) {
      const members = this.orgMembers(o);
      for (let t = 0; t < TEAMS_PER_ORG; t++) {
        const rng = Rng.of(seed, hashString('team'), o, t);
        const team: TeamSeed = {
          org: o,
          index: t,
          id: this.ids.encode('team', o, t),
          name: TEAM_NAMES[t % TEAM_NAMES.length]!,
          members: members.filter(() => rng.chance(1, 3)).map((m) => m.user),
          projects: this.orgs[o]!.projects.filter(() => rng.chance(1, 2)),
        };
        for (const u of team.members) this.memberships.get(`${o}:${u}`)?.teams.push(t);
        this.teams.push(team);
      }
    }
  }

  membership(org: number, user: number): Membership | undefined {
    return this.memberships.get(`${org}:${user}`);
  }

  /** Members of an org in a stable order (user index). */
  orgMembers(org: number): Membership[] {
    const out: Membership[] = [];
    for (const m of this.memberships.values()) if (m.org === org) out.push(m);
    return out.sort((a, b) => a.user - b.user);
  }

  projectMembers(gi: number): Membership[] {
    const p = this.projects[gi];
    if (!p) return [];
    return this.orgMembers(p.org).filter((m) => m.projects.includes(gi));
  }

  teamsOf(org: number): TeamSeed[] {
    return this.teams.filter((t) => t.org === org);
  }

  token(t: string): TokenSeed | undefined {
    return this.tokenIndex.get(t);
  }

  isProjectApiKey(t: string): boolean {
    return this.apiKeys.has(t);
  }

  /** Orgs a token reaches (its user must still be a member). */
  tokenOrgs(t: TokenSeed): OrgSeed[] {
    return t.orgs.filter((o) => this.membership(o, t.user)).map((o) => this.orgs[o]!);
  }

  canSeeProject(t: TokenSeed, gi: number): boolean {
    const p = this.projects[gi];
    if (!p || !t.orgs.includes(p.org)) return false;
    return this.membership(p.org, t.user)?.projects.includes(gi) ?? false;
  }

  isOrgAdmin(t: TokenSeed, org: number): boolean {
    return t.orgs.includes(org) && (this.membership(org, t.user)?.admin ?? false);
  }

  /** Special projects and organizations that exercise the API's rough edges. */
  fixtures(): SimFixtures {
    const find = (pred: (p: ProjectSeed) => boolean) => this.projects.find(pred)?.id ?? null;
    const member = this.tokens[1]!;
    return {
      projectWithoutSessions: find((p) => !p.hasSessions),
      projectWithoutPrimaryStage: find((p) => p.primaryStage === null),
      projectHiddenFromMember: find((p) => p.org === member.orgs[0] && !this.canSeeProject(member, p.gi)),
      orgWithoutSavedSearches: this.orgs.find((o) => o.lacksSavedSearches)?.id ?? null,
      orgWithoutFlagsAndPerformance: this.orgs.find((o) => o.lacksFlagsAndPerformance)?.id ?? null,
      projectApiKey: this.projects[0]!.apiKey,
    };
  }
}

export interface SimFixtures {
  /** `/stability_trend` answers 204. */
  projectWithoutSessions: string | null;
  /** `/stability_trend` answers 404 "This project does not have a primary release stage". */
  projectWithoutPrimaryStage: string | null;
  /** In the member's organization but not shared with the member: 404 for that token. */
  projectHiddenFromMember: string | null;
  /** Its plan lacks the performance-comparisons feature: saved searches answer 403. */
  orgWithoutSavedSearches: string | null;
  /** Its plan lacks features-experiments and BugSnag Performance: feature flags and performance answer 403. */
  orgWithoutFlagsAndPerformance: string | null;
  /** A project notifier API key: refused with 401 when used as a token. */
  projectApiKey: string;
}

function specialOf(j: number, n: number): 'none' | 'no-sessions' | 'no-primary-stage' {
  if (n >= 3 && j === n - 1) return 'no-primary-stage';
  if (n >= 2 && j === (n >= 3 ? n - 2 : n - 1)) return 'no-sessions';
  return 'none';
}

export function slugify(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}
