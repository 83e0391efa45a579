import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import { resolveOptions, type ResolvedOptions, type SimulatorOptions } from './options.js';
import { SimState, type AddedEvent } from './state.js';
import { Router } from './http/router.js';
import { RateLimiter } from './http/ratelimit.js';
import { FaultInjector, parseFaultSpec } from './http/faults.js';
import { StatsCollector, type SimStats } from './http/stats.js';
import { InFlight } from './http/inflight.js';
import { requestListener } from './server.js';
import { ControlError, handleControl } from './control.js';
import type { Ctx } from './routes/context.js';
import { accountRoutes } from './routes/account.js';
import { errorRoutes } from './routes/errors.js';
import { eventRoutes } from './routes/events.js';
import { writeRoutes } from './routes/writes.js';
import { releaseRoutes } from './routes/releases.js';
import { trendRoutes } from './routes/trends.js';
import { pivotRoutes } from './routes/pivots.js';
import { catalogRoutes } from './routes/catalog.js';
import { eventDataRequestRoutes } from './routes/event-data-requests.js';
import { performanceRoutes } from './routes/performance.js';
import { json } from './http/reply.js';
import { WebhookHub } from './webhooks/hub.js';
import { releaseView } from './views/releases.js';
import { notifyStats, type NotifyStats } from './routes/notify.js';
import type { SimFixtures, TokenRole } from './data/world.js';
import type { ErrorTruth } from './truth/error-history.js';
import { changeError, deleteError, errorHistories, findError, type ScriptedChange } from './truth/script.js';

export interface SimToken {
  token: string;
  /** Display name of the user the token acts as. */
  user: string;
  user_id: string;
  email: string;
  role: TokenRole;
  /** Organization ids the token reaches (what `/user/organizations` lists). */
  organizations: string[];
  /** Org admin in every organization it reaches. */
  admin: boolean;
  admin_organizations: string[];
}

export interface SimInfo {
  url: string;
  tokens: SimToken[];
  fixtures: SimFixtures;
  organizations: Array<{ id: string; name: string; projects: Array<{ id: string; name: string; api_key: string }> }>;
  options: Omit<ResolvedOptions, 'anchorSec'> & { anchor: string };
}

export interface AddEventsOptions {
  /** Default: the first project (or the error's project). */
  projectId?: string;
  /** Default: existing errors, in proportion to their traffic. */
  errorId?: string;
  count?: number;
  /** As a notifier's events do: reopen a fixed error, or a snoozed one whose rule they meet (default: statuses stay). */
  reopen?: boolean;
  /** The events' metaData in their full reports, served as given (any keys, `__proto__` included); default generated. */
  metaData?: Record<string, unknown>;
  /** The events' breadcrumbs in their full reports, served as given; default generated. */
  breadcrumbs?: unknown[];
}

/** A scripted change of one error (truth/script.ts); `projectId`, when given, must be the error's. */
export interface ChangeErrorOptions extends ScriptedChange {
  projectId?: string;
  errorId: string;
}

export interface AddReleaseOptions {
  projectId?: string;
  version: string;
  /** Default: the project's first release stage. */
  releaseStage?: string;
  versionCode?: string;
  builderName?: string;
}

export interface AddErrorsOptions {
  projectId?: string;
  count?: number;
  eventsPerError?: number;
}

/** A project's generated traffic per UTC day: what every list, count and trend of the simulator adds up to. */
export interface SimVolume {
  project_id: string;
  platform: 'server' | 'browser' | 'mobile';
  /** Oldest first; `YYYY-MM-DD` (the first day may be partial). Events added at run time are not counted. */
  days: Array<{ day: string; events: number }>;
  /** The project's incident spike (a bad release), if it has one: first day, length, and the first day's multiplier. */
  incident: { from: string; days: number; peak: number } | null;
}

export interface Simulator {
  url: string;
  port: number;
  tokens: SimToken[];
  fixtures: SimFixtures;
  info(): SimInfo;
  stats(): SimStats;
  resetStats(): void;
  addEvents(opts?: AddEventsOptions): AddedEvent[];
  volume(projectId: string): SimVolume;
  addErrors(opts?: AddErrorsOptions): Array<{ id: string; events: AddedEvent[] }>;
  /** Makes a release now, as Bugsnag's Build API does (fires the `release` webhook trigger); returns its API view. */
  addRelease(opts: AddReleaseOptions): Record<string, unknown>;
  /** Sets an error's status, severity or assignment, dated `at` (default now, never later); returns its truth. */
  changeError(opts: ChangeErrorOptions): ErrorTruth;
  /** Deletes an error (as `DELETE /projects/…/errors/…` does), dated `at` (default now); returns its truth. */
  deleteError(opts: { projectId?: string; errorId: string; at?: string | number }): ErrorTruth;
  /**
   * The truth of errors' histories (every error of the project, deleted ones included, or the one named): each
   * change of status, severity and assignment with its time and cause, and the intervals error_history would hold
   * if every change were observed when it happened.
   */
  errorHistory(projectId: string, errorId?: string): ErrorTruth[];
  revokeToken(token: string): void;
  restoreToken(token: string): void;
  /** Replace the fault spec (see http/faults.ts); '' clears it. Throws FaultSpecError on a bad spec. */
  setFaults(spec: string): void;
  faults(): string;
  /** Webhook targets (`/__sim/webhooks`): add, list, remove, and their delivery counts. */
  webhooks: WebhookHub;
  /** What `POST /notify` and `POST /sessions` took and refused. */
  notifyStats(): NotifyStats;
  /**
   * Resolves once no request is being handled: every request received so far has been answered or, when its client
   * went away (killed mid-request), applied all the same; then once no webhook delivery is pending or being retried.
   */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Start a simulator of the Bugsnag Data Access API on `host:port` (default 127.0.0.1, a free port). */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const startMs = Date.now();
  const opts = resolveOptions(options, startMs);
  const state = new SimState(opts, startMs);
  const limiter = new RateLimiter(opts.rateLimit, opts.rateWindowMs, startMs);
  const faults = new FaultInjector(opts.seed);
  faults.set(parseFaultSpec(opts.faults), startMs);
  const stats = new StatsCollector();
  const inFlight = new InFlight();
  const router = buildRouter();
  const loopback = isLoopback(opts.host);
  let origin = '';
  const webhooks = new WebhookHub(state, () => origin);

  const server: Server = createServer({ keepAlive: true });
  const sim: Simulator = {
    url: '',
    port: 0,
    tokens: [],
    fixtures: state.world.fixtures(),
    info: () => info(state, sim),
    stats: () => stats.snapshot(),
    resetStats: () => {
      stats.reset();
      limiter.reset();
    },
    addEvents: (o = {}) => {
      const { gi, error } = target(state, o.projectId, o.errorId);
      const payload = {
        ...(o.metaData ? { metaData: o.metaData } : {}),
        ...(o.breadcrumbs ? { breadcrumbs: o.breadcrumbs } : {}),
      };
      const given = Object.keys(payload).length > 0 ? payload : undefined;
      return state.addEvents(gi, o.count ?? 1, error, Date.now(), o.reopen === true, given);
    },
    volume: (projectId) => volume(state, target(state, projectId, undefined).gi),
    addErrors: (o = {}) => {
      const { gi } = target(state, o.projectId, undefined);
      return state.addErrors(gi, o.count ?? 1, o.eventsPerError ?? 1, Date.now());
    },
    addRelease: (o) => {
      const { gi } = target(state, o.projectId, undefined);
      const pd = state.project(gi);
      const r = state.addRelease(
        gi,
        {
          appVersion: o.version,
          stage: o.releaseStage ?? pd.project.releaseStages[0] ?? 'production',
          source: 'api',
          ...(o.versionCode ? { versionCode: o.versionCode } : {}),
          ...(o.builderName ? { builderName: o.builderName } : {}),
        },
        Date.now(),
      );
      return releaseView(pd, r);
    },
    changeError: ({ projectId, errorId, ...change }) =>
      changeError(state, findError(state, projectId, errorId), change, Date.now()),
    deleteError: ({ projectId, errorId, at }) =>
      deleteError(state, findError(state, projectId, errorId), at, Date.now()),
    errorHistory: (projectId, errorId) => errorHistories(state, projectId, errorId),
    revokeToken: (t) => {
      if (!state.world.token(t)) throw new ControlError('unknown token');
      state.revoked.add(t);
    },
    restoreToken: (t) => {
      if (!state.world.token(t)) throw new ControlError('unknown token');
      state.revoked.delete(t);
    },
    setFaults: (spec) => faults.set(parseFaultSpec(spec), Date.now()),
    faults: () => faults.current.text,
    webhooks,
    notifyStats: () => notifyStats(state),
    idle: async () => {
      await inFlight.idle();
      await webhooks.idle();
    },
    close: () =>
      new Promise<void>((resolve) => {
        webhooks.removeAll();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  server.on(
    'request',
    requestListener({
      sim: state,
      router,
      limiter,
      faults,
      stats,
      inFlight,
      origin: () => origin,
      control: loopback ? (method, path, body, query) => handleControl(sim, method, path, body, query) : null,
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  origin = `http://${host}:${addr.port}`;
  sim.url = origin;
  sim.port = addr.port;
  sim.tokens = tokenList(state);
  return sim;
}

function buildRouter(): Router<Ctx> {
  const r = new Router<Ctx>();
  r.add('GET', '/', (ctx) => json({ organizations_url: `${ctx.origin}/user/organizations` }));
  accountRoutes(r);
  errorRoutes(r);
  eventRoutes(r);
  writeRoutes(r);
  releaseRoutes(r);
  trendRoutes(r);
  pivotRoutes(r);
  catalogRoutes(r);
  eventDataRequestRoutes(r);
  performanceRoutes(r);
  return r;
}

function tokenList(state: SimState): SimToken[] {
  const w = state.world;
  return w.tokens.map((t) => {
    const u = w.users[t.user]!;
    const orgs = w.tokenOrgs(t);
    const adminOrgs = orgs.filter((o) => w.isOrgAdmin(t, o.index));
    return {
      token: t.token,
      user: u.name ?? u.email,
      user_id: u.id,
      email: u.email,
      role: t.role,
      organizations: orgs.map((o) => o.id),
      admin: adminOrgs.length === orgs.length,
      admin_organizations: adminOrgs.map((o) => o.id),
    };
  });
}

function info(state: SimState, sim: Simulator): SimInfo {
  const { anchorSec, ...rest } = state.opts;
  return {
    url: sim.url,
    tokens: sim.tokens,
    fixtures: sim.fixtures,
    organizations: state.world.orgs.map((o) => ({
      id: o.id,
      name: o.name,
      projects: o.projects.map((gi) => {
        const p = state.world.projects[gi]!;
        return { id: p.id, name: p.name, api_key: p.apiKey };
      }),
    })),
    options: { ...rest, anchor: new Date(anchorSec * 1000).toISOString() },
  };
}

function volume(state: SimState, gi: number): SimVolume {
  const pd = state.project(gi);
  const tl = pd.timeline;
  const days = tl
    .perDay()
    .map((r) => ({ day: new Date(r.daySec * 1000).toISOString().slice(0, 10), events: r.events }));
  const inc = tl.incident;
  return {
    project_id: pd.project.id,
    platform: pd.project.kind.platform,
    days,
    incident: inc && { from: days[inc.fromDay]!.day, days: inc.days, peak: inc.peak / 1000 },
  };
}

function target(
  state: SimState,
  projectId: string | undefined,
  errorId: string | undefined,
): { gi: number; error: number | null } {
  const ids = state.world.ids;
  if (errorId) {
    const d = ids.decodeAs('error', errorId);
    if (!d) throw new ControlError(`unknown error ${errorId}`);
    const e = state.project(d.parent).errorIndex(errorId);
    if (e === null) throw new ControlError(`unknown or deleted error ${errorId}`);
    return { gi: d.parent, error: e };
  }
  if (projectId) {
    const d = ids.decodeAs('project', projectId);
    if (!d || d.index >= state.world.projects.length) throw new ControlError(`unknown project ${projectId}`);
    return { gi: d.index, error: null };
  }
  return { gi: 0, error: null };
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}
