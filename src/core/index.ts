export * from './errors.js';
export * from './redact.js';
export * from './time.js';
export * from './sleep.js';
export * from './ids.js';
export * from './version.js';
export * from './log.js';
