import type { Command } from 'commander';
import type { CommandGroup } from '../context.js';
import { printJson, printLine, table } from '../output.js';

/** `snagsync streams`: the catalog — every stream with its key, cursor, sync modes, parent and JSON Schema. */
export const registerStreams: CommandGroup = ({ command, io }) => {
  command.option('--json', "print the catalog as JSON, with each stream's JSON Schema").action(async function (
    this: Command,
  ) {
    const flags = this.opts<{ json?: boolean }>();
    // The catalog alone (the stream declarations), not the engine, and only when it is printed (not for --help).
    const { catalog, DEFAULT_STREAMS, STREAMS } = await import('../../streams/catalog.js');
    // Only --json shows the JSON Schemas, which are costly to generate: the table reads the declarations.
    if (flags.json) return printJson(io, catalog());
    printLine(
      io,
      table(
        STREAMS.map((s) => ({
          stream: s.name,
          'read per': s.parent ? `${s.partition} (via ${s.parent})` : s.partition,
          'primary key': s.primaryKey.join(', '),
          cursor: s.cursor ? s.cursor.field : '-',
          'sync modes': s.syncModes.join(', '),
          default: DEFAULT_STREAMS.includes(s.name) ? 'yes' : s.heavy ? 'no (heavy)' : 'no',
        })),
        ['stream', 'read per', 'primary key', 'cursor', 'sync modes', 'default'],
      ),
    );
  });
};
