import type { TokenSeed, OrgSeed } from '../data/world.js';
import type { ProjectData } from '../data/project.js';
import type { SimState } from '../state.js';
import { compileFilters, FilterError, type CompiledFilters, type FilterEnv } from '../query/filters.js';
import { scalar, toQuery, type QHash } from '../query/params.js';
import { parseTimestamp } from '../../core/time.js';
import { fail, json, type Reply } from '../http/reply.js';
import { isoZ } from '../format.js';
import { endUser } from '../data/errors.js';

/** What every API handler gets: the simulator, the authenticated token, the parsed query and the clock. */
export interface Ctx {
  sim: SimState;
  token: TokenSeed;
  query: QHash;
  path: string;
  origin: string;
  nowMs: number;
  body: unknown;
}

export function requireProject(ctx: Ctx, id: string | undefined): ProjectData {
  const d = id ? ctx.sim.world.ids.decodeAs('project', id) : null;
  // Projects a token cannot see answer 404 exactly like projects that do not exist (docs/bugsnag-api.md §4).
  if (!d || !ctx.sim.world.canSeeProject(ctx.token, d.index)) fail(404, 'Project not found');
  return ctx.sim.project(d.index);
}

export function requireOrg(ctx: Ctx, id: string | undefined): OrgSeed {
  const d = id ? ctx.sim.world.ids.decodeAs('organization', id) : null;
  const org = d ? ctx.sim.world.orgs[d.index] : undefined;
  if (!org || !ctx.sim.world.tokenOrgs(ctx.token).includes(org)) fail(404, 'Organization not found');
  return org;
}

export function requireOrgAdmin(ctx: Ctx, org: OrgSeed): void {
  if (!ctx.sim.world.isOrgAdmin(ctx.token, org.index)) fail(403, 'Organization Administrator role required');
}

/** Resolve an error id to its project (which the token must see) and index. */
export function requireError(_ctx: Ctx, pd: ProjectData, id: string | undefined): number {
  const e = id ? pd.errorIndex(id) : null;
  if (e === null) fail(404, 'Error not found');
  return e;
}

/** An error id without a project in the path (`/errors/{id}/latest_event`). */
export function requireErrorAnywhere(ctx: Ctx, id: string | undefined): { pd: ProjectData; e: number } {
  const d = id ? ctx.sim.world.ids.decodeAs('error', id) : null;
  if (!d || !ctx.sim.world.canSeeProject(ctx.token, d.parent)) fail(404, 'Error not found');
  const pd = ctx.sim.project(d.parent);
  const e = pd.errorIndex(id!);
  if (e === null) fail(404, 'Error not found');
  return { pd, e };
}

/** `per_page`: default, maximum, and what happens above it (clamped, as the docs say, or 400, as releases do). */
export function perPage(ctx: Ctx, def: number, max: number, over: 'clamp' | { reject: string } = 'clamp'): number {
  const raw = scalar(ctx.query, 'per_page');
  if (raw === undefined || raw === '') return def;
  const n = Number.parseInt(raw, 10);
  if (typeof over === 'object' && (!Number.isFinite(n) || n < 1 || n > max)) fail(400, over.reject);
  if (!Number.isFinite(n) || n < 1) return def;
  return Math.min(n, max);
}

/**
 * A list's `sort`: absent (the list's default order), or one of the values docs/bugsnag-api.md gives for the list.
 * Any other value answers 400 with the message the errors list gives (Rails' inclusion validation), on every list
 * the same way.
 */
export function sortOf<T extends string>(ctx: Ctx, allowed: readonly T[]): T | undefined {
  const raw = scalar(ctx.query, 'sort');
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw)) fail(400, 'sort is not included in the list');
  return raw as T;
}

export function filterEnv(ctx: Ctx, org: number): FilterEnv {
  const world = ctx.sim.world;
  return {
    tokenUser: ctx.token.user,
    collaboratorId: (u) => world.users[u]!.id,
    collaboratorEmail: (u) => world.users[u]!.email,
    endUser: (n) => endUser(world.opts.seed, org, n),
    nowMs: ctx.nowMs,
  };
}

export function filtersOf(ctx: Ctx, pd: ProjectData): CompiledFilters {
  try {
    return compileFilters(ctx.query.filters, filterEnv(ctx, pd.project.org));
  } catch (err) {
    if (err instanceof FilterError) fail(400, err.message);
    throw err;
  }
}

/** `base` (exclusive, whole seconds): as given, or just past now for a new walk. Either way remembered (state.ts). */
export function baseOf(ctx: Ctx): number {
  const raw = scalar(ctx.query, 'base');
  let sec: number;
  if (raw === undefined || raw === '') sec = ctx.sim.defaultBaseSec(ctx.nowMs);
  else {
    const d = parseTimestamp(raw);
    if (!d) fail(400, 'base must be iso8601 format');
    sec = Math.ceil(d.getTime() / 1000);
  }
  ctx.sim.noteBase(sec, ctx.nowMs);
  return sec;
}

export function formatBase(sec: number): string {
  return isoZ(sec);
}

/** An absolute next link on the simulator's own origin: every original parameter, with the paging ones replaced. */
export function nextLink(ctx: Ctx, replace: QHash, drop: string[] = []): string {
  const params: QHash = {};
  for (const [k, v] of Object.entries(ctx.query)) {
    if (k === 'auth_token' || drop.includes(k)) continue; // never copy a token into a URL clients store
    params[k] = v;
  }
  Object.assign(params, replace);
  return `${ctx.origin}${ctx.path}?${toQuery(params)}`;
}

export function list(rows: unknown[], opts: { total?: number; next?: string | null } = {}): Reply {
  const headers: Record<string, string> = {};
  if (opts.next) headers.Link = `<${opts.next}>; rel="next"`;
  if (opts.total !== undefined) headers['X-Total-Count'] = String(opts.total);
  return json(rows, headers);
}

/** Keyset paging over a fixed, ordered list of records with ids (`offset=<id of the last row>`). */
export function keysetPage<T extends { id: string }>(
  ctx: Ctx,
  items: T[],
  perPageN: number,
  extra: QHash = {},
): { page: T[]; next: string | null } {
  const offset = scalar(ctx.query, 'offset');
  // An offset that is not an id of this list is ignored (CORSAIR saw `offset=9999` ignored on projects).
  const at = offset ? items.findIndex((x) => x.id === offset) : -1;
  const start = at >= 0 ? at + 1 : 0;
  const page = items.slice(start, start + perPageN);
  const last = page[page.length - 1];
  const next = last && start + perPageN < items.length ? nextLink(ctx, { ...extra, offset: last.id }) : null;
  return { page, next };
}
