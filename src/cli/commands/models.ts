import type { Command } from 'commander';
import type { CommandGroup } from '../context.js';
import { printJson, printLine, table } from '../output.js';
import { withRuntime } from '../runtime.js';

/**
 * `snagsync models apply|list`: the ready-made analytics views (destinations/models) in a source's destination —
 * created or replaced by `apply` (or after every sync of a source created with --models), listed by `list`.
 */
export const registerModels: CommandGroup = ({ command: group, io }) => {
  group
    .command('apply')
    .description(
      "create or replace the analytics views in a source's destination (SQLite or PostgreSQL), in one transaction; a view whose tables are not synced yet is skipped",
    )
    .argument('<source>', 'source name or id')
    .option('--json', 'print JSON')
    .action(async function (this: Command, ref: string) {
      const flags = this.opts<{ json?: boolean }>();
      const { applySourceModels } = await import('../../engine/models.js');
      await withRuntime(io, async (rt) => {
        const source = await rt.store.sources.findByNameOrId(ref);
        const result = await applySourceModels(rt, source);
        if (flags.json) return printJson(io, { source: source.name, ...result });
        const created = result.views.filter((v) => v.status === 'created').length;
        printLine(
          io,
          [
            `Views in ${result.location}: ${created} created or replaced, ${result.views.length - created} skipped.`,
            table(
              result.views.map((v) => ({ view: v.name, status: v.status, reason: v.reason ?? '' })),
              ['view', 'status', 'reason'],
            ),
          ].join('\n'),
        );
      });
    });

  group
    .command('list')
    .description('list the analytics views: the question each answers and the tables it reads')
    .option('--json', 'print JSON, with each view’s columns')
    .action(async function (this: Command) {
      const flags = this.opts<{ json?: boolean }>();
      const { VIEWS } = await import('../../destinations/models/views.js');
      if (flags.json)
        return printJson(
          io,
          VIEWS.map((v) => ({ name: v.name, question: v.question, tables: Object.keys(v.needs), columns: v.columns })),
        );
      printLine(
        io,
        table(
          VIEWS.map((v) => ({ view: v.name, tables: Object.keys(v.needs).join(', '), question: v.question })),
          ['view', 'tables', 'question'],
        ),
      );
    });
};
