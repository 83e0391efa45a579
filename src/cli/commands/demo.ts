import type { CommandGroup } from '../context.js';
import { printLine } from '../output.js';

export const registerDemo: CommandGroup = ({ program, io }) => {
  program
    .command('demo')
    .description('run the demo: simulator → credential → source → sync into SQLite, then print a summary')
    .action(() => {
      printLine(io, 'snagsync demo: not yet — the sync engine has not landed. Run `npm test` to see what works today.');
    });
};
