// The simulator's public face: start one, and the types of what it returns.
export { startSimulator } from './simulator.js';
export type { Simulator, SimToken, SimInfo, SimVolume, AddEventsOptions, AddErrorsOptions } from './simulator.js';
export type { SimulatorOptions } from './options.js';
export type { SimStats, TokenStats } from './http/stats.js';
export type { SimFixtures } from './data/world.js';
export type { AddedEvent } from './state.js';
export type { ChangeErrorOptions } from './simulator.js';
export type { ErrorTruth, TruthChange, TruthInterval, ChangeCause } from './truth/error-history.js';
export { parseFaultSpec, FaultSpecError } from './http/faults.js';
