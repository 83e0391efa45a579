// The library's whole surface: the four subpath entries together (`snagsync/client`, `/engine`, `/sim`, `/server`),
// each of which lists what it exports on purpose. Internals (store tables, destination classes, stream state, the
// HTTP pipeline) stay unexported; test/repo/entries.test.ts keeps the list of names and fails when it changes.
export * from './client.js';
export * from './engine.js';
export * from './sim.js';
export * from './server.js';
