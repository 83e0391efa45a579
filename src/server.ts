// `snagsync/server`: the HTTP API and web UI, to embed (`buildServer`, a Fastify instance) or to start (`startServer`).
export {
  buildServer,
  startServer,
  resolveServerKey,
  SERVER_KEY_ENV,
  type BuildServerOptions,
  type StartOptions,
  type StartedServer,
  type ServerKey,
} from './server/index.js';
