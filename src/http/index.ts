export * from './clock.js';
export * from './transport.js';
export * from './link.js';
export * from './retry.js';
export * from './events.js';
export * from './rate-limiter.js';
export * from './net-errors.js';
export * from './pipeline.js';
