// The public face of the Data Access API client (re-exported by src/index.ts). Internals stay unexported.
export { createBugsnagClient, BugsnagClient, DEFAULT_TIMEOUT_MS } from './client.js';
export type { BugsnagClientOptions, RawRequest } from './client.js';
export type { CallOptions, ListOptions } from './context.js';
export {
  normalizeHost,
  isLoopbackHostname,
  sameOrigin,
  DEFAULT_API_BASE_URL,
  KNOWN_API_HOSTS,
  type NormalizedHost,
  type HostKind,
} from './hosts.js';
export {
  filterPairs,
  filterTime,
  type Filters,
  type FilterInput,
  type FilterComparison,
  type FilterType,
  type FilterScalar,
} from './filters.js';
export { PAGE_SIZE } from './page-sizes.js';
export { Paginator, MAX_NEXT_LINK_LENGTH, type Page } from './paginator.js';
export { readErrorBody, type BugsnagErrorBody } from './errors.js';
export type { WindowOptions } from './params.js';
// Each resource's model (lenient zod schema `…Schema`, its parser and its type); the builders they are written with
// (`str`, `timestamp`, `defineModel`… in models/common.ts) stay internal.
export * from './models/organization.js';
export * from './models/project.js';
export * from './models/error.js';
export * from './models/error-update.js';
export * from './models/event.js';
export * from './models/release.js';
export * from './models/collaborator.js';
export * from './models/comment.js';
export * from './models/fields.js';
export * from './models/feature-flag.js';
export * from './models/performance.js';
export * from './models/pivot.js';
export * from './models/saved-search.js';
export * from './models/integration.js';
export * from './models/trend.js';
export type { Model } from './models/common.js';
export type * from './resources/index.js';

// The HTTP layer's public pieces, so that library users need one import.
export {
  fetchTransport,
  type Transport,
  type TransportRequest,
  type TransportResponse,
  type HttpMethod,
} from '../http/transport.js';
export {
  nodeStreamTransport,
  type StreamTransport,
  type StreamRequest,
  type StreamResponse,
} from '../http/stream-transport.js';
export {
  jsonArrayElements,
  jsonArrayPages,
  gunzipIfNeeded,
  JsonStreamError,
  type JsonArrayOptions,
  type JsonStreamProblem,
} from '../http/json-array.js';
export { systemClock, type Clock } from '../http/clock.js';
export type { ClientEvent, ClientEventListener, ClientStats } from '../http/events.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../http/retry.js';
export {
  RateLimiter,
  sharedRateLimiter,
  DEFAULT_RATE_WINDOW_MS,
  DEFAULT_MAX_IN_FLIGHT,
  type RateLimiterOptions,
  type RateLimiterState,
} from '../http/rate-limiter.js';
export { parseLinkHeader, findNextLink, type LinkEntry } from '../http/link.js';
