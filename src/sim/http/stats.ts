/**
 * What the simulator saw, for tests and benchmarks: per token (by role) and per endpoint (route template), rows
 * served, 429s sent, and the highest number of requests a token had in flight at once (clients promise to stay
 * sequential per token; this is how a test checks it).
 */
export interface TokenStats {
  token: string;
  requests: number;
  rows: number;
  rateLimited: number;
  maxConcurrent: number;
  endpoints: Record<string, number>;
}

export interface SimStats {
  requests: number;
  rows: number;
  rateLimited: number;
  unauthorized: number;
  unrouted: number;
  /** The last UNROUTED_PATHS_KEPT distinct unrouted requests, oldest first, as `METHOD /path` (no query string). */
  unroutedPaths: string[];
  /**
   * Filter names a request sent that are not event fields, so were ignored (as the real API ignores them): the last
   * IGNORED_FILTERS_KEPT distinct ones, oldest first, as `METHOD /route/template filters[name]`.
   */
  ignoredFilters: string[];
  /** Requests that carried neither `X-Version: 2` nor `Accept: …; version=2`. */
  withoutVersion: number;
  /** Requests from a known token without `X-Bugsnag-API: true` (sent by current clients, for on-premise installs). */
  withoutBugsnagApi: number;
  faults: Record<string, number>;
  byStatus: Record<string, number>;
  endpoints: Record<string, number>;
  byToken: Record<string, TokenStats>;
  /** Event data downloads (signed URLs, no token, outside the rate limit): docs/simulator-edr.md. */
  downloads: DownloadStats;
}

export interface DownloadStats {
  requests: number;
  /** Answered 403: wrong, missing or expired signature, or an expired request. */
  refused: number;
  /** Bodies sent to the end. */
  completed: number;
  /** Bodies cut short: a reset or truncate fault, or the client going away. */
  cut: number;
  records: number;
  /** Bytes of body written to the socket (compressed when gzip was asked for). */
  bytes: number;
}

/** Bounds on the lists of names, so a client looping on a bad path cannot grow the stats without end. */
export const UNROUTED_PATHS_KEPT = 50;
export const IGNORED_FILTERS_KEPT = 50;
/** A path longer than this is cut (with an ellipsis) before it is kept. */
const PATH_KEPT_CHARS = 200;

/** Keep `item` as the newest of at most `max` distinct entries (an entry seen again moves to the end). */
function remember(list: string[], item: string, max: number): void {
  const at = list.indexOf(item);
  if (at >= 0) list.splice(at, 1);
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
}

export class StatsCollector {
  private s: SimStats = empty();
  private readonly inFlight = new Map<string, number>();

  snapshot(): SimStats {
    return structuredClone(this.s);
  }

  reset(): void {
    this.s = empty();
  }

  private tokenStats(role: string, masked: string): TokenStats {
    let t = this.s.byToken[role];
    if (!t) {
      t = { token: masked, requests: 0, rows: 0, rateLimited: 0, maxConcurrent: 0, endpoints: {} };
      this.s.byToken[role] = t;
    }
    return t;
  }

  /** A request from a known token reached an endpoint; returns the function to call when it is answered. */
  begin(role: string, masked: string, endpoint: string): () => void {
    this.s.requests++;
    this.s.endpoints[endpoint] = (this.s.endpoints[endpoint] ?? 0) + 1;
    const t = this.tokenStats(role, masked);
    t.requests++;
    t.endpoints[endpoint] = (t.endpoints[endpoint] ?? 0) + 1;
    const now = (this.inFlight.get(role) ?? 0) + 1;
    this.inFlight.set(role, now);
    if (now > t.maxConcurrent) t.maxConcurrent = now;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inFlight.set(role, (this.inFlight.get(role) ?? 1) - 1);
    };
  }

  unauthorized(): void {
    this.s.requests++;
    this.s.unauthorized++;
  }

  unrouted(method: string, path: string): void {
    this.s.requests++;
    this.s.unrouted++;
    const shown = path.length > PATH_KEPT_CHARS ? `${path.slice(0, PATH_KEPT_CHARS)}…` : path;
    remember(this.s.unroutedPaths, `${method} ${shown}`, UNROUTED_PATHS_KEPT);
  }

  ignoredFilter(endpoint: string, name: string): void {
    const shown = name.length > PATH_KEPT_CHARS ? `${name.slice(0, PATH_KEPT_CHARS)}…` : name;
    remember(this.s.ignoredFilters, `${endpoint} filters[${shown}]`, IGNORED_FILTERS_KEPT);
  }

  status(code: number): void {
    this.s.byStatus[code] = (this.s.byStatus[code] ?? 0) + 1;
  }

  rows(role: string | null, n: number): void {
    this.s.rows += n;
    if (role) {
      const t = this.s.byToken[role];
      if (t) t.rows += n;
    }
  }

  rateLimited(role: string, masked: string): void {
    this.s.rateLimited++;
    this.tokenStats(role, masked).rateLimited++;
  }

  fault(kind: string): void {
    this.s.faults[kind] = (this.s.faults[kind] ?? 0) + 1;
  }

  withoutVersion(): void {
    this.s.withoutVersion++;
  }

  withoutBugsnagApi(): void {
    this.s.withoutBugsnagApi++;
  }

  download(endpoint: string): void {
    this.s.requests++;
    this.s.endpoints[endpoint] = (this.s.endpoints[endpoint] ?? 0) + 1;
    this.s.downloads.requests++;
  }

  /** Looked up on every call, so a reset in the middle of a download starts the new counts cleanly. */
  downloadCount(key: Exclude<keyof DownloadStats, 'requests'>, n = 1): void {
    this.s.downloads[key] += n;
  }
}

function empty(): SimStats {
  return {
    requests: 0,
    rows: 0,
    rateLimited: 0,
    unauthorized: 0,
    unrouted: 0,
    unroutedPaths: [],
    ignoredFilters: [],
    withoutVersion: 0,
    withoutBugsnagApi: 0,
    faults: {},
    byStatus: {},
    endpoints: {},
    byToken: {},
    downloads: { requests: 0, refused: 0, completed: 0, cut: 0, records: 0, bytes: 0 },
  };
}
