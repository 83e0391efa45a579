// `snagsync/sim`: the Bugsnag API simulator, started in-process on a loopback port (what the tests and benches use).
export * from './sim/index.js';
