export * from './client.js';
export * from './context.js';
export * from './hosts.js';
export * from './headers.js';
export * from './filters.js';
export * from './query.js';
export * from './page-sizes.js';
export * from './paginator.js';
export * from './errors.js';
export * from './params.js';
export * from './models/index.js';
export * from './resources/index.js';
// The HTTP layer's public pieces, so that library users need one import.
export { fetchTransport, type Transport, type TransportRequest, type TransportResponse, type HttpMethod } from '../http/transport.js';
export { systemClock, type Clock } from '../http/clock.js';
export { type ClientEvent, type ClientEventListener, type ClientStats } from '../http/events.js';
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
