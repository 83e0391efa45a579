import { SnagError } from '../core/errors.js';
import { getLogger, type Logger } from '../core/log.js';
import { registerSecret } from '../core/redact.js';
import { systemClock, type Clock } from '../http/clock.js';
import {
  applyEvent,
  emptyStats,
  type ClientEvent,
  type ClientStats,
  type ClientEventListener,
} from '../http/events.js';
import { send, type PipelineConfig, type PipelineResponse } from '../http/pipeline.js';
import { type RateLimiter, sharedRateLimiter, type RateLimiterState } from '../http/rate-limiter.js';
import { resolveRetryPolicy, type RetryPolicy } from '../http/retry.js';
import { nodeTransport } from '../http/node-transport.js';
import type { HttpMethod, Transport } from '../http/transport.js';
import { nodeStreamTransport, type StreamTransport } from '../http/stream-transport.js';
import type { ApiContext, CallOptions, ListOptions, Pairs } from './context.js';
import { incompleteBody, notBugsnag, responseError } from './errors.js';
import { bugsnagHeaders } from './headers.js';
import { USER_AGENT } from '../core/version.js';
import { DEFAULT_API_BASE_URL, normalizeHost, type NormalizedHost } from './hosts.js';
import type { Model } from './models/common.js';
import { acceptNextLink, Paginator } from './paginator.js';
import { buildUrl, queryPairs, type QueryValue } from './query.js';
import {
  collaboratorsResource,
  teamsResource,
  type CollaboratorsResource,
  type TeamsResource,
} from './resources/collaborators.js';
import { commentsResource, type CommentsResource } from './resources/comments.js';
import { errorsResource, type ErrorsResource } from './resources/errors.js';
import { eventDataRequestsResource, type EventDataRequestsResource } from './resources/event-data-requests.js';
import { eventsResource, type EventsResource } from './resources/events.js';
import { featureFlagsResource, type FeatureFlagsResource } from './resources/feature-flags.js';
import {
  eventFieldsResource,
  traceFieldsResource,
  type EventFieldsResource,
  type TraceFieldsResource,
} from './resources/fields.js';
import { integrationsResource, type IntegrationsResource } from './resources/integrations.js';
import { organizationsResource, type OrganizationsResource } from './resources/organizations.js';
import { performanceResource, type PerformanceResource } from './resources/performance.js';
import { pivotsResource, type PivotsResource } from './resources/pivots.js';
import { projectsResource, type ProjectsResource } from './resources/projects.js';
import {
  releaseGroupsResource,
  releasesResource,
  type ReleaseGroupsResource,
  type ReleasesResource,
} from './resources/releases.js';
import { savedSearchesResource, type SavedSearchesResource } from './resources/saved-searches.js';
import { stabilityResource, trendsResource, type StabilityResource, type TrendsResource } from './resources/trends.js';

export interface BugsnagClientOptions {
  /** A Bugsnag Personal Auth Token. Registered as a secret at once, so no output of the process can show it. */
  token: string;
  /** API host: a base URL, a bare host name or a pasted dashboard URL (see normalizeHost). Default api.bugsnag.com. */
  host?: string;
  /** Defaults to node:http(s) behind the address guard (nodeTransport). Inject a scripted transport in tests. */
  transport?: Transport;
  /**
   * For bodies read as streams (event data downloads from signed URLs). Never given the token, and outside the
   * rate limiter. Defaults to node:http(s).
   */
  streamTransport?: StreamTransport;
  /** Per attempt, body included. Default 60 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Bugsnag's rate-limit window (1 minute). The simulator can scale it down. */
  rateWindowMs?: number;
  /** Requests in flight at once for this token, across all clients in the process. Default 2. */
  maxInFlight?: number;
  /** Progress and history: requests, retries, rate-limit waits. Never carries the token. */
  onEvent?: ClientEventListener;
  /** Aborts everything this client does. */
  signal?: AbortSignal;
  clock?: Clock;
  /** Defaults to the process logger (stderr, redacted); `false` for none. */
  logger?: Logger | false;
  /** Replaces the process-wide limiter for this token (tests, or deliberate isolation). */
  rateLimiter?: RateLimiter;
}

export const DEFAULT_TIMEOUT_MS = 60_000;

/** A request to an endpoint that has no typed method yet. Reads are retried; writes never are. */
export interface RawRequest<T> extends CallOptions {
  method: HttpMethod;
  /** Path under the API base URL, starting with `/`. */
  path: string;
  query?: Readonly<Record<string, QueryValue>>;
  body?: unknown;
  model: Model<T>;
}

export class BugsnagClient implements ApiContext {
  readonly baseUrl: string;
  readonly origin: string;
  readonly host: NormalizedHost;

  readonly organizations: OrganizationsResource;
  readonly projects: ProjectsResource;
  readonly errors: ErrorsResource;
  readonly events: EventsResource;
  readonly releases: ReleasesResource;
  readonly releaseGroups: ReleaseGroupsResource;
  readonly collaborators: CollaboratorsResource;
  readonly teams: TeamsResource;
  readonly comments: CommentsResource;
  readonly eventFields: EventFieldsResource;
  readonly traceFields: TraceFieldsResource;
  readonly featureFlags: FeatureFlagsResource;
  readonly performance: PerformanceResource;
  readonly pivots: PivotsResource;
  readonly savedSearches: SavedSearchesResource;
  readonly integrations: IntegrationsResource;
  readonly trends: TrendsResource;
  readonly stability: StabilityResource;
  readonly eventDataRequests: EventDataRequestsResource;

  // Private (#) so that inspecting or serialising a client can never show the token.
  readonly #token: string;
  readonly #pipeline: PipelineConfig;
  readonly #clock: Clock;
  #stats: ClientStats = emptyStats();

  constructor(options: BugsnagClientOptions) {
    const token = typeof options.token === 'string' ? options.token.trim() : '';
    if (!token) {
      throw new SnagError('config', 'No Bugsnag token was given.', {
        hint: 'Create a Personal Auth Token in Bugsnag (Settings → My account → Personal auth tokens).',
      });
    }
    registerSecret(token);
    if (/\s/.test(token)) {
      throw new SnagError('config', 'The Bugsnag token contains spaces or line breaks.', {
        hint: 'Give the token alone, without the "token " prefix or surrounding text.',
      });
    }
    this.#token = token;
    this.host = normalizeHost(options.host ?? DEFAULT_API_BASE_URL);
    this.baseUrl = this.host.baseUrl;
    this.origin = this.host.origin;
    this.#clock = options.clock ?? systemClock;

    const logger = options.logger === false ? undefined : (options.logger ?? getLogger());
    const onEvent = options.onEvent;
    const emit = (event: ClientEvent) => {
      applyEvent(this.#stats, event);
      if (!onEvent) return;
      try {
        onEvent(event);
      } catch (err) {
        // A broken progress display must not break a sync.
        logger?.warn({ err: err instanceof Error ? err.message : String(err) }, 'onEvent listener failed');
      }
    };
    const limiterOptions = {
      clock: this.#clock,
      ...(options.rateWindowMs !== undefined ? { windowMs: options.rateWindowMs } : {}),
      ...(options.maxInFlight !== undefined ? { maxInFlight: options.maxInFlight } : {}),
    };
    let limiter = options.rateLimiter;
    if (limiter) limiter.configure(limiterOptions);
    else limiter = sharedRateLimiter(token, this.origin, limiterOptions);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(timeoutMs > 0))
      throw new SnagError('config', 'The request timeout must be a positive number of milliseconds.');
    this.#pipeline = {
      transport: options.transport ?? nodeTransport(),
      limiter,
      clock: this.#clock,
      timeoutMs,
      retry: resolveRetryPolicy(options.retry),
      emit,
      logger,
      signal: options.signal,
    };

    this.organizations = organizationsResource(this);
    this.projects = projectsResource(this);
    this.errors = errorsResource(this);
    this.events = eventsResource(this);
    this.releases = releasesResource(this);
    this.releaseGroups = releaseGroupsResource(this);
    this.collaborators = collaboratorsResource(this);
    this.teams = teamsResource(this);
    this.comments = commentsResource(this);
    this.eventFields = eventFieldsResource(this);
    this.traceFields = traceFieldsResource(this);
    this.featureFlags = featureFlagsResource(this);
    this.performance = performanceResource(this);
    this.pivots = pivotsResource(this);
    this.savedSearches = savedSearchesResource(this);
    this.integrations = integrationsResource(this);
    this.trends = trendsResource(this);
    this.stability = stabilityResource(this);
    const streamTransport = options.streamTransport ?? nodeStreamTransport();
    const withClientSignal = (signal: AbortSignal | undefined) => {
      const signals = [options.signal, signal].filter((x): x is AbortSignal => x !== undefined);
      return signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    };
    this.eventDataRequests = eventDataRequestsResource(this, {
      // Only the headers the resource gives travel with a download: never the token (bugsnagHeaders is not used).
      stream: (url, headers, signal) =>
        streamTransport({
          url,
          headers: { ...headers, 'User-Agent': USER_AGENT },
          signal: withClientSignal(signal),
          idleTimeoutMs: timeoutMs,
        }),
      sleep: (ms, signal) => this.#clock.sleep(ms, withClientSignal(signal)),
      now: () => this.#clock.now(),
    });
  }

  /** What this client has cost so far: requests, retries, rate-limit waits. A copy. */
  stats(): ClientStats {
    return { ...this.#stats };
  }

  resetStats(): void {
    this.#stats = emptyStats();
  }

  /** The shared limiter's view of the token's budget (for displays). */
  rateLimitState(): RateLimiterState {
    return this.#pipeline.limiter.state();
  }

  now(): Date {
    return new Date(this.#clock.now());
  }

  toJSON(): Record<string, unknown> {
    return { baseUrl: this.baseUrl };
  }

  // ---- ApiContext ----------------------------------------------------------------------------------------------

  async get<T>(path: string, query: Pairs, model: Model<T>, options?: CallOptions): Promise<T> {
    const res = await this.#send('GET', buildUrl(this.baseUrl, path, query), undefined, options);
    return this.#one(res, model, false) as Promise<T>;
  }

  async getOptional<T>(path: string, query: Pairs, model: Model<T>, options?: CallOptions): Promise<T | null> {
    const res = await this.#send('GET', buildUrl(this.baseUrl, path, query), undefined, options);
    return this.#one(res, model, true);
  }

  async getArray<T>(path: string, query: Pairs, model: Model<T>, options?: CallOptions): Promise<T[]> {
    const res = await this.#send('GET', buildUrl(this.baseUrl, path, query), undefined, options);
    return this.#array(res, model);
  }

  paginate<T>(path: string, query: Pairs, model: Model<T>, options: ListOptions = {}): Paginator<T> {
    const start =
      options.resumeFrom !== undefined
        ? acceptNextLink(options.resumeFrom, this.baseUrl, this.baseUrl)
        : buildUrl(this.baseUrl, path, query);
    return new Paginator<T>(
      async (url) => {
        const res = await this.#send('GET', url, undefined, options);
        return { items: this.#array(res, model), headers: res.headers };
      },
      start,
      this.baseUrl,
    );
  }

  async write<T>(
    method: 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    path: string,
    query: Pairs,
    body: unknown,
    model: Model<T>,
    options?: CallOptions,
  ): Promise<T | null> {
    const res = await this.#send(method, buildUrl(this.baseUrl, path, query), body, options);
    return this.#one(res, model, true);
  }

  /** Any endpoint, typed by the model you give. Returns null for 204 / empty answers. */
  async request<T>(req: RawRequest<T>): Promise<T | null> {
    if (!req.path.startsWith('/')) {
      throw new SnagError('config', `A request path must start with "/" (got "${req.path}").`);
    }
    const url = buildUrl(this.baseUrl, req.path, queryPairs(req.query ?? {}));
    const res = await this.#send(req.method, url, req.method === 'GET' ? undefined : req.body, req);
    return this.#one(res, req.model, true);
  }

  /** Any paginated list, typed by the model you give (or resumed from a saved next URL). */
  list<T>(path: string, model: Model<T>, options: ListOptions & { query?: Readonly<Record<string, QueryValue>> } = {}) {
    return this.paginate(path, queryPairs(options.query ?? {}), model, options);
  }

  // ---- internals -----------------------------------------------------------------------------------------------

  async #send(method: HttpMethod, url: string, body: unknown, options?: CallOptions): Promise<PipelineResponse> {
    if (new URL(url).searchParams.has('auth_token')) {
      throw new SnagError('config', 'Refusing to send a token in a URL (auth_token query parameter).', {
        hint: 'snagsync sends the token in the Authorization header; remove auth_token from the parameters.',
      });
    }
    const hasBody = body !== undefined;
    const res = await send(this.#pipeline, {
      method,
      url,
      headers: bugsnagHeaders(this.#token, hasBody),
      body: hasBody ? JSON.stringify(body) : undefined,
      signal: options?.signal,
      expectJson: true,
    });
    if (res.status < 200 || res.status >= 300) throw responseError(res);
    return res;
  }

  async #one<T>(res: PipelineResponse, model: Model<T>, allowEmpty: boolean): Promise<T | null> {
    if (res.status === 204 || res.bodyKind === 'empty') {
      if (allowEmpty) return null;
      throw notBugsnag(res, model.name);
    }
    const parsed = model.parse(this.#json(res, model));
    if (!parsed.ok) throw notBugsnag(res, model.name, parsed.problem);
    return parsed.value;
  }

  #array<T>(res: PipelineResponse, model: Model<T>): T[] {
    if (res.status === 204) return [];
    const json = this.#json(res, model);
    if (!Array.isArray(json))
      throw notBugsnag(res, `a list of ${model.name.replace(/^an? /, '')} records`, 'not a list');
    const out: T[] = [];
    for (let i = 0; i < json.length; i++) {
      const parsed = model.parse(json[i]);
      if (!parsed.ok) throw notBugsnag(res, model.name, `row ${i + 1}: ${parsed.problem}`);
      out.push(parsed.value);
    }
    return out;
  }

  #json(res: PipelineResponse, model: Model<unknown>): unknown {
    if (res.bodyKind === 'json') return res.json;
    if (res.bodyKind === 'invalid-json') throw incompleteBody(res);
    throw notBugsnag(res, model.name);
  }
}

export function createBugsnagClient(options: BugsnagClientOptions): BugsnagClient {
  return new BugsnagClient(options);
}
