export {
  DEFAULT_LIMIT,
  type LookReport,
  type PollerHandle,
  type PollerOptions,
  type PollerStatus,
  startPoller,
} from './poller.js';
export { Pollers, pollerStatus } from './pollers.js';
