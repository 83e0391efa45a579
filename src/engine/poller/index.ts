export {
  DEFAULT_LIMIT,
  type LookReport,
  type PollerHandle,
  type PollerOptions,
  type PollerStatus,
  startPoller,
} from './poller.js';
export { continuousNotice, Pollers, pollerStatus } from './pollers.js';
