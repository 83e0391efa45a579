import type { CommandGroup } from '../context.js';
import { registerCredentials } from './credentials.js';
import { registerDemo } from './demo.js';
import { registerRuns } from './runs.js';
import { registerSchedule } from './schedule.js';
import { registerServe } from './serve.js';
import { registerSim } from './sim.js';
import { registerSources } from './sources.js';
import { registerStore } from './store.js';
import { registerStreams } from './streams.js';
import { registerSync } from './sync.js';
import { registerWriteback } from './writeback.js';

/** One entry per command group, one file each. */
export const COMMAND_GROUPS: CommandGroup[] = [
  registerDemo,
  registerSim,
  registerCredentials,
  registerSources,
  registerStreams,
  registerSync,
  registerWriteback,
  registerRuns,
  registerSchedule,
  registerServe,
  registerStore,
];
