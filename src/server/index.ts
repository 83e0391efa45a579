// The HTTP face's public pieces (re-exported by src/index.ts): build the app for tests or embedding, or start it.
export { buildServer, type BuildServerOptions } from './app.js';
export { startServer, isLoopbackAddress, type StartOptions, type StartedServer } from './start.js';
export { resolveServerKey, SERVER_KEY_ENV, type ServerKey } from './api-key.js';
