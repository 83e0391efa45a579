// The library face of snagsync. Each area re-exports its public pieces here as it lands.
export * from './core/index.js';
export * from './sim/index.js';
export * from './bugsnag/index.js';
export * from './store/index.js';
export * from './destinations/index.js';
export * from './credentials/vault.js';
export * from './credentials/index.js';
export * from './engine/index.js';
export * from './server/index.js';
