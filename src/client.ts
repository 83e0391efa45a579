// `snagsync/client`: the typed client for the Bugsnag Data Access API v2 and the errors it throws. Importing it loads
// no server (Fastify), no store (better-sqlite3) and no logger (pino): test/repo/entries.test.ts checks it.
export * from './bugsnag/index.js';
export { SnagError, isSnagError, EXIT_CODES, type ErrorCode, type SnagErrorOptions } from './core/errors.js';
export type { Logger } from './core/log.js';
export { VERSION } from './core/version.js';
