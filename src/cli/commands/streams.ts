import type { Command } from 'commander';
import { catalog } from '../../engine/index.js';
import type { CommandGroup } from '../context.js';
import { printJson, printLine, table } from '../output.js';

/** `snagsync streams`: the catalog — every stream with its key, cursor, sync modes, parent and JSON Schema. */
export const registerStreams: CommandGroup = ({ program, io }) => {
  program
    .command('streams')
    .description('list the streams a source can read: key, cursor, sync modes, partition, heavy (--json adds the JSON Schema)')
    .option('--json', 'print the catalog as JSON, with each stream\'s JSON Schema')
    .action(function (this: Command) {
      const flags = this.opts<{ json?: boolean }>();
      const entries = catalog();
      if (flags.json) return printJson(io, entries);
      printLine(
        io,
        table(
          entries.map((e) => ({
            stream: e.name,
            'read per': e.parent ? `${e.partition} (via ${e.parent})` : e.partition,
            'primary key': e.primary_key.join(', '),
            cursor: e.cursor ? e.cursor.field : '-',
            'sync modes': e.sync_modes.join(', '),
            default: e.default ? 'yes' : e.heavy ? 'no (heavy)' : 'no',
          })),
          ['stream', 'read per', 'primary key', 'cursor', 'sync modes', 'default'],
        ),
      );
    });
};
