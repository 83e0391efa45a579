import type { CommandGroup } from '../context.js';
import { registerCredentials } from './credentials.js';
import { registerDemo } from './demo.js';
import { registerSim } from './sim.js';

/** One entry per command group, one file each. */
export const COMMAND_GROUPS: CommandGroup[] = [registerDemo, registerSim, registerCredentials];
