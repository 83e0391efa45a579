import type { CommandGroup } from '../context.js';
import { registerDemo } from './demo.js';

/** One entry per command group, one file each. */
export const COMMAND_GROUPS: CommandGroup[] = [registerDemo];
